// The names the config does not spell out, decided once: the components', a release's tracks, its
// entry (Ingress or Gateway), the GatewayClass its Gateway uses. config/ checks them, the plan
// declares them, index.ts names its components by them.
import { planCanaryRelease, RELEASE_DEFAULTS } from "../components/apps/canaryReleasePlan";
import type { ReleaseInput } from "./input";

/**
 * The names of the platform's components (index.ts declares them, platformPlan plans them): decided
 * once, as every child's resource name derives from its component's. The releases' and MinIO's come
 * from the config.
 */
export const COMPONENT_NAMES = {
    hosts: "hosts",
    namespaces: "ns",
    metallb: "metallb",
    ingressNginx: "ingress-nginx",
    nginxGateway: "nginx-gateway",
    coredns: "coredns",
    dashboard: "dashboard",
    access: "access",
    nodeExporter: "node-exporter",
    netpol: "netpol",
    verify: "verify",
} as const;

/**
 * The Deployment, namespace and `app` label of each track of a release, and the name of its Ingress
 * (or, split "gateway", of its Gateway and HTTPRoute), with the defaults applied: the component's own
 * plan ({@link planCanaryRelease}), in the shape the checks read.
 */
export function tracksOf(name: string, r: ReleaseInput) {
    const p = planCanaryRelease(name, { ...r, gateway: undefined, disruptionBudget: undefined, topologySpread: undefined, ephemeralStorage: undefined });
    const track = (t: NonNullable<typeof p.canary>) => ({ deployment: t.plan.deployment.name, namespace: t.plan.namespace });
    // Where a NodePort or LoadBalancer Service of the release publishes its pods: by the planned types,
    // so a canary's ClusterIP twin in its own namespace publishes nothing there.
    const published = [...new Set(p.services.filter((s) => s.type === "NodePort" || s.type === "LoadBalancer").map((s) => s.object.namespace))];
    return { app: p.app, entry: p.entry, stable: track(p.stable), canary: p.canary && track(p.canary), published };
}

/** The verify Job's namespace when there is a verify step (`verify.enabled`), else undefined: whether the step exists, decided once. */
export function verifyNamespaceOf(cfg: { readonly verify: { readonly enabled: boolean; readonly namespace: string } }): string | undefined {
    return cfg.verify.enabled ? cfg.verify.namespace : undefined;
}

/** What the release rules need to know of the platform's routers. */
export interface Routers {
    readonly ingressNginxEnabled: boolean;
    /** NGINX Gateway Fabric's GatewayClass, when it is enabled. */
    readonly gatewayClass?: string;
}

/** The platform's routers as the config turns them on. */
export function routersOf(cfg: { readonly ingressNginx: { readonly enabled: boolean }; readonly nginxGateway: { readonly enabled: boolean; readonly className: string } }): Routers {
    return { ingressNginxEnabled: cfg.ingressNginx.enabled, gatewayClass: cfg.nginxGateway.enabled ? cfg.nginxGateway.className : undefined };
}

/** The GatewayClass of a release's Gateway: its own, or the platform's controller's. */
export function gatewayClassOf(r: Pick<ReleaseInput, "gateway">, routers: Routers): string | undefined {
    return r.gateway?.className ?? routers.gatewayClass;
}

/** The port of a release's Gateway listener, which its data plane listens on: `gateway.port`, the release's default when not set. */
export function listenerPort(r: Pick<ReleaseInput, "gateway">): number {
    return r.gateway?.port ?? RELEASE_DEFAULTS.gatewayPort;
}

/** The Gateway arguments of a release with split "gateway" (its class: parseConfig refuses a release without one). */
export function gatewayOf(routers: Routers, r: Pick<ReleaseInput, "split" | "gateway">): { className?: string; loadBalancerIP?: string; port: number } | undefined {
    return r.split === "gateway" ? { className: gatewayClassOf(r, routers), loadBalancerIP: r.gateway?.loadBalancerIP, port: listenerPort(r) } : undefined;
}
