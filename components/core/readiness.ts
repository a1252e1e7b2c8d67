// What `pulumi up` waits for before it calls an object ready, decided once per kind. The
// kubernetes provider's legacy awaiters let a Service's or an Ingress's endpoints "settle" for a fixed
// 10 s after their last change, which proves nothing a request would; a `pulumi.com/waitFor`
// annotation (JSONPath, strict `kubectl get -o jsonpath` syntax; a JSON list waits for all) or
// `pulumi.com/skipAwait` replaces that awaiter for the object (pulumi-kubernetes ≥ 4.18,
// provider/pkg/metadata/overrides.go). Deployments and StatefulSets keep their rollout awaits.

/** The annotation keys the provider reads. */
export const SKIP_AWAIT = "pulumi.com/skipAwait";
export const WAIT_FOR = "pulumi.com/waitFor";

/** Nothing to wait for: the object is usable once the API server has it. */
export const AWAIT_NOTHING: Readonly<Record<string, string>> = { [SKIP_AWAIT]: "true" };

/** The address a load balancer (MetalLB) or an ingress controller publishes in `status.loadBalancer`. */
const LOAD_BALANCER_ADDRESS = "jsonpath={.status.loadBalancer.ingress[0].ip}";

/** A Gateway API condition of the route's (only) parent, as the Gateway's controller writes it. */
const parentCondition = (type: string) => `jsonpath={.status.parents[0].conditions[?(@.type=="${type}")].status}=True`;

/**
 * A Service's readiness by type. ClusterIP, Headless and NodePort: nothing — their address and ports
 * are allocated by the API server on create, and whether a pod answers is the verify step's question
 * (a selector that matches no pod is found there, with a request). LoadBalancer: its address, which
 * MetalLB assigns; without one the Service serves nothing outside the cluster.
 */
export function serviceReadiness(type: "ClusterIP" | "Headless" | "NodePort" | "LoadBalancer" | undefined): Readonly<Record<string, string>> {
    return type === "LoadBalancer" ? { [WAIT_FOR]: LOAD_BALANCER_ADDRESS } : AWAIT_NOTHING;
}

/** An Ingress: the address the ingress controller publishes once it has taken the Ingress in. */
export const AWAIT_INGRESS_ADDRESS: Readonly<Record<string, string>> = { [WAIT_FOR]: LOAD_BALANCER_ADDRESS };

/** A Gateway: the address its controller gives it (its data-plane Service's). */
export const AWAIT_GATEWAY_ADDRESS: Readonly<Record<string, string>> = { [WAIT_FOR]: "jsonpath={.status.addresses[0].value}" };

/**
 * An HTTPRoute: its Gateway took it (Accepted) and every backend it names exists (ResolvedRefs).
 * The provider cannot compare a condition's observedGeneration with the route's generation in one
 * expression, so an update of a route already Accepted returns at once; the verify step requests it.
 */
export const AWAIT_ROUTE_ACCEPTED: Readonly<Record<string, string>> = { [WAIT_FOR]: JSON.stringify([parentCondition("Accepted"), parentCondition("ResolvedRefs")]) };
