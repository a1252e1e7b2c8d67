// A release of the clock app, rendered from its plan (canaryReleasePlan.ts): each planned object
// becomes one resource, with the names, labels, ports and defaults the plan decided.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { METALLB_LOAD_BALANCER_IPS } from "../core/constants";
import { AWAIT_GATEWAY_ADDRESS, AWAIT_INGRESS_ADDRESS, AWAIT_ROUTE_ACCEPTED, serviceReadiness } from "../core/readiness";
import { ClockApp } from "./clockApp";
import { type CanaryReleaseArgs, planCanaryRelease, type PlannedGatewayEntry, type PlannedReleaseIngress, type PlannedReleaseService } from "./canaryReleasePlan";

export * from "./canaryReleasePlan";

/** A release of the clock app: a stable track, an optional canary track, its Services and Ingresses. */
export class CanaryRelease extends pulumi.ComponentResource {
    public readonly stable: ClockApp;
    public readonly canary?: ClockApp;
    public readonly services: Record<string, k8s.core.v1.Service>;
    public readonly ingress?: k8s.networking.v1.Ingress;
    public readonly canaryIngress?: k8s.networking.v1.Ingress;
    /** split "gateway": the Gateway and the HTTPRoute. */
    public readonly gateway?: k8s.apiextensions.CustomResource;
    public readonly route?: k8s.apiextensions.CustomResource;
    /** split "gateway": the Gateway's address (its data-plane Service's, once assigned). */
    public readonly gatewayAddress?: pulumi.Output<string | undefined>;
    /** The URL the main Ingress answers on, when there is one. */
    public readonly url?: string;
    /** A curl command line that reaches the canary pods, when the split is at the ingress. */
    public readonly canaryCurl?: string;

    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:apps:CanaryRelease", name, {}, opts);
        const planned = planCanaryRelease(name, args);
        this.stable = new ClockApp(planned.stable.resourceName, planned.stable.args, { parent: this });
        this.canary = planned.canary ? new ClockApp(planned.canary.resourceName, planned.canary.args, { parent: this }) : undefined;

        this.services = {};
        for (const s of planned.services) {
            this.services[s.track === "stable" ? s.object.name : `canary/${s.object.name}`] = this.service(s, args.loadBalancerDependsOn);
        }
        this.url = planned.url;
        this.canaryCurl = planned.canaryCurl;
        const router = planned.router;
        if (router?.by === "gateway") {
            const { gateway, route, address } = this.gatewayEntry(router, args.gatewayDependsOn);
            this.gateway = gateway;
            this.route = route;
            this.gatewayAddress = address;
        } else if (router?.by === "ingress") {
            this.ingress = this.ingressOf(router.ingress, args.ingressDependsOn);
            this.canaryIngress = router.canaryIngress ? this.ingressOf(router.canaryIngress, args.ingressDependsOn) : undefined;
        }
        this.registerOutputs({ url: this.url, canaryCurl: this.canaryCurl, gatewayAddress: this.gatewayAddress });
    }

    /** A planned Service; a LoadBalancer waits for `loadBalancerDependsOn` (MetalLB), which gives it its address. */
    private service(s: PlannedReleaseService, loadBalancerDependsOn: CanaryReleaseArgs["loadBalancerDependsOn"]): k8s.core.v1.Service {
        const o = s.object;
        return new k8s.core.v1.Service(
            o.resource.name,
            {
                metadata: {
                    name: o.name,
                    namespace: o.namespace,
                    labels: { ...o.labels },
                    // Ready: a LoadBalancer once it has its address, any other type at once (serviceReadiness).
                    annotations: { ...serviceReadiness(s.type), ...(s.loadBalancerIP ? { [METALLB_LOAD_BALANCER_IPS]: s.loadBalancerIP } : {}) },
                },
                spec: {
                    type: s.type === "Headless" ? "ClusterIP" : s.type,
                    clusterIP: s.type === "Headless" ? "None" : undefined,
                    selector: { ...s.selector },
                    ports: [{ name: "http", port: s.port, targetPort: "http", protocol: "TCP" }],
                },
            },
            { parent: this, dependsOn: s.type === "LoadBalancer" ? loadBalancerDependsOn : undefined },
        );
    }

    /** A planned Ingress; it waits for `ingressDependsOn` (the controller, whose webhook refuses it until ready). */
    private ingressOf(i: PlannedReleaseIngress, ingressDependsOn: CanaryReleaseArgs["ingressDependsOn"]): k8s.networking.v1.Ingress {
        const o = i.object;
        return new k8s.networking.v1.Ingress(
            o.resource.name,
            {
                // Ready: once the ingress controller published its address on it (not the endpoints' 10 s settle).
                metadata: { name: o.name, namespace: o.namespace, labels: { ...o.labels }, annotations: { ...AWAIT_INGRESS_ADDRESS, ...i.annotations } },
                spec: {
                    ingressClassName: i.className,
                    rules: [{ host: i.host, http: { paths: [{ path: i.path, pathType: "Prefix", backend: { service: { name: i.service, port: { number: i.port } } } }] } }],
                },
            },
            { parent: this, dependsOn: ingressDependsOn },
        );
    }

    /** The planned Gateway (waiting for `gatewayDependsOn`, its controller), its HTTPRoute and ReferenceGrant. */
    private gatewayEntry(
        g: PlannedGatewayEntry,
        gatewayDependsOn: CanaryReleaseArgs["gatewayDependsOn"],
    ): { gateway: k8s.apiextensions.CustomResource; route: k8s.apiextensions.CustomResource; address: pulumi.Output<string | undefined> } {
        const o = g.gateway.object;
        const timeout = `${g.gateway.timeoutSeconds}s`;
        const gateway = new k8s.apiextensions.CustomResource(
            o.resource.name,
            {
                apiVersion: o.apiVersion,
                kind: o.kind,
                metadata: {
                    name: o.name,
                    namespace: o.namespace,
                    labels: { ...o.labels },
                    // Ready: once its controller gave it an address, as a LoadBalancer Service is.
                    annotations: AWAIT_GATEWAY_ADDRESS,
                },
                spec: {
                    gatewayClassName: g.gateway.className,
                    listeners: [{ name: "http", protocol: "HTTP", port: g.gateway.port, hostname: g.gateway.host, allowedRoutes: { namespaces: { from: "Same" } } }],
                    // Copied by the controller onto the data-plane Service, where MetalLB reads it.
                    infrastructure: g.gateway.loadBalancerIP ? { annotations: { [METALLB_LOAD_BALANCER_IPS]: g.gateway.loadBalancerIP } } : undefined,
                },
                // Declared (never set) so that the object's status is an output to read the address from.
                status: undefined,
            },
            { parent: this, dependsOn: gatewayDependsOn, customTimeouts: { create: timeout, update: timeout } },
        );
        const status = (gateway as unknown as { status: pulumi.Output<{ addresses?: { value: string }[] } | undefined> }).status;
        const address = status.apply((s) => s?.addresses?.[0]?.value ?? g.gateway.loadBalancerIP);
        const r = g.route.object;
        const route = new k8s.apiextensions.CustomResource(
            r.resource.name,
            {
                apiVersion: r.apiVersion,
                kind: r.kind,
                // Ready: once its Gateway accepted it and every backend Service exists (Accepted, ResolvedRefs).
                metadata: { name: r.name, namespace: r.namespace, labels: { ...r.labels }, annotations: AWAIT_ROUTE_ACCEPTED },
                spec: { parentRefs: [{ name: o.name }], hostnames: g.route.hostnames ? [...g.route.hostnames] : undefined, rules: g.route.rules },
            },
            { parent: this, dependsOn: [gateway] },
        );
        if (g.referenceGrant) {
            const grant = g.referenceGrant.object;
            new k8s.apiextensions.CustomResource(
                grant.resource.name,
                {
                    apiVersion: grant.apiVersion,
                    kind: grant.kind,
                    metadata: { name: grant.name, namespace: grant.namespace, labels: { ...grant.labels } },
                    spec: { from: [{ group: r.apiVersion.split("/")[0], kind: r.kind, namespace: g.referenceGrant.from }], to: [{ group: "", kind: "Service" }] },
                },
                { parent: this },
            );
        }
        return { gateway, route, address };
    }
}
