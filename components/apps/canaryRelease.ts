import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_LABEL, INGRESS_NGINX_ANNOTATIONS, METALLB_LOAD_BALANCER_IPS, TRACK_LABEL } from "../core/constants";
import { AWAIT_GATEWAY_ADDRESS, AWAIT_INGRESS_ADDRESS, AWAIT_ROUTE_ACCEPTED, serviceReadiness } from "../core/readiness";
import { ClockApp, ClockAppArgs, ContainerResources, planClockApp, type PlannedClockApp } from "./clockApp";
import { StrategyPreset } from "./strategy";

/** One track (stable or canary) of a release. */
export interface TrackArgs {
    /** Deployment name. Defaults to the release name (stable) or `<release>-canary` (canary). */
    readonly name?: string;
    /** Namespace of the track. Defaults to the release's namespace. */
    readonly namespace?: string;
    /** Version shown on the page. */
    readonly version: string;
    /** Number of pods. */
    readonly replicas: number;
    /** The lab's broken release (container command `false`). Defaults to false. */
    readonly broken?: boolean;
}

/** The canary track, with its ingress routing when the release splits at the ingress. */
export interface CanaryTrackArgs extends TrackArgs {
    /** split "ingress" or "gateway": percentage of requests (0–100) sent to the canary. Defaults to 0. */
    readonly weight?: number;
    /** split "ingress" or "gateway": requests with this header set to "always" reach the canary. Defaults to "canary". */
    readonly header?: string;
}

/** A Service in front of the release's pods. */
export interface ReleaseServiceArgs {
    readonly name: string;
    /** "Headless" is a ClusterIP Service with `clusterIP: None`. Defaults to "ClusterIP". */
    readonly type?: "ClusterIP" | "Headless" | "NodePort" | "LoadBalancer";
    /** Service port (to the container's `http` port). Defaults to 80. */
    readonly port?: number;
    /** LoadBalancer only: a fixed address from the MetalLB pool. */
    readonly loadBalancerIP?: string;
}

/** The release's entry: an Ingress through ingress-nginx, or (split "gateway") a Gateway and an HTTPRoute. */
export interface ReleaseIngressArgs {
    /** Main Ingress name (the canary one is `<name>-canary`), or the Gateway's and HTTPRoute's. Defaults to the release name. */
    readonly name?: string;
    /** Host to match. Required when split is "ingress". */
    readonly host?: string;
    /** Path prefix. Defaults to "/". */
    readonly path?: string;
    /** Service the main Ingress routes to. Defaults to the first service. */
    readonly service?: string;
    /**
     * `nginx.ingress.kubernetes.io/rewrite-target`, or the HTTPRoute's `URLRewrite` `ReplacePrefixMatch`
     * (split "gateway": a plain path only). Defaults to "/" when the path is not "/".
     */
    readonly rewriteTarget?: string;
}

/** split "gateway": the Gateway the release's HTTPRoute attaches to. */
export interface ReleaseGatewayArgs {
    /** GatewayClass of the Gateway (NGINX Gateway Fabric's is "nginx"). */
    readonly className: string;
    /** A fixed address from the MetalLB pool for the Gateway's data-plane Service. Defaults to the pool's choice. */
    readonly loadBalancerIP?: string;
    /** Port of the HTTP listener: one of the controller's entry points where it has fixed ones (Traefik on k3s: 8000). Defaults to 80. */
    readonly port?: number;
}

/** Arguments of {@link CanaryRelease}. */
export interface CanaryReleaseArgs {
    /** Namespace of the release. Defaults to "default". */
    readonly namespace?: string;
    /** Value of the `app` label. Defaults to the component name. */
    readonly app?: string;
    /**
     * How traffic reaches the canary. "replicas": one Service selects both tracks, so the split follows
     * the replica counts (the lab's 29 + 3). "ingress": stable and canary Services with disjoint
     * selectors and a canary Ingress routed by header and weight. "gateway": the same Services behind a
     * Gateway and one HTTPRoute (Gateway API) routed by header and weight. Defaults to "replicas".
     */
    readonly split?: "replicas" | "ingress" | "gateway";
    readonly stable: TrackArgs;
    /** The canary track; absent when there is none (or after a promotion). */
    readonly canary?: CanaryTrackArgs;
    /** Services of the release (at least one). */
    readonly services: readonly ReleaseServiceArgs[];
    /** The release's Ingress; required when split is "ingress" or "gateway". */
    readonly ingress?: ReleaseIngressArgs;
    /** The Gateway; required when split is "gateway". */
    readonly gateway?: ReleaseGatewayArgs;
    /** IngressClass of the Ingresses. Defaults to "nginx". */
    readonly ingressClassName?: string;
    /**
     * What the release's Ingresses wait for: the ingress controller, whose admission webhook refuses every
     * Ingress of its class until it is ready. The Deployments and Services do not wait for it.
     */
    readonly ingressDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * What the release's LoadBalancer Services wait for: MetalLB, whose pool gives them their address.
     * The ConfigMaps, Deployments and other Services do not: the pods roll out while MetalLB installs.
     */
    readonly loadBalancerDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** What the release's Gateway waits for: the controller of its GatewayClass, which gives it its address. */
    readonly gatewayDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Port nginx listens on. Defaults to 8080. */
    readonly port?: number;
    /** See {@link ClockAppArgs.pageDelivery}. Defaults to "configMap". */
    readonly pageDelivery?: "configMap" | "initContainer";
    /** Strategy of both tracks. Defaults to rolling 25%/25%. */
    readonly strategy?: StrategyPreset;
    /** Requests and limits of every container. Defaults to ClockApp's. */
    readonly resources?: ContainerResources;
    /** Defaults to true. */
    readonly readOnlyRootFilesystem?: boolean;
    /** How long `pulumi up` waits for each rollout. Defaults to 600. */
    readonly rolloutTimeoutSeconds?: number;
    /** See {@link ClockAppArgs.disruptionBudget}: one per track with more than one replica. Defaults to the rollout's maxUnavailable. */
    readonly disruptionBudget?: ClockAppArgs["disruptionBudget"];
    /** See {@link ClockAppArgs.topologySpread}. Defaults to soft, maxSkew 1, across nodes. */
    readonly topologySpread?: ClockAppArgs["topologySpread"];
    /** See {@link ClockAppArgs.ephemeralStorage}. Defaults to ClockApp's. */
    readonly ephemeralStorage?: ClockAppArgs["ephemeralStorage"];
}

/** What {@link planCanaryRelease} reads: the arguments that decide which objects a release makes and their names. */
export interface CanaryReleasePlanArgs {
    readonly namespace?: string;
    readonly app?: string;
    readonly split?: CanaryReleaseArgs["split"];
    readonly stable: Pick<TrackArgs, "name" | "namespace" | "version" | "replicas">;
    readonly canary?: Pick<TrackArgs, "name" | "namespace" | "version" | "replicas">;
    readonly services: readonly Pick<ReleaseServiceArgs, "name" | "type" | "loadBalancerIP">[];
    readonly ingress?: Pick<ReleaseIngressArgs, "name" | "service">;
    readonly disruptionBudget?: ClockAppArgs["disruptionBudget"];
}

/** A planned object of a release: its Pulumi resource name, Kubernetes name and namespace. */
export interface PlannedReleaseObject {
    readonly resourceName: string;
    readonly name: string;
    readonly namespace: string;
}

/** One Service of a release: in front of one track (both, split "replicas"), with its labels and selector. */
export interface PlannedReleaseService extends PlannedReleaseObject {
    readonly track: "stable" | "canary";
    /** Index of the service in `services` whose port it takes. */
    readonly index: number;
    /**
     * Its type: the configured one; for the canary's own Service behind the router, the backend's
     * when that is a ClusterIP or headless Service, else a ClusterIP — the router reaches it inside
     * the cluster, and a second NodePort or LoadBalancer would publish the canary around the split
     * (and pin the backend's address twice, which MetalLB refuses).
     */
    readonly type: NonNullable<ReleaseServiceArgs["type"]>;
    /** The MetalLB address it pins (a LoadBalancer's `loadBalancerIP`). */
    readonly loadBalancerIP?: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly selector: Readonly<Record<string, string>>;
}

/** The objects {@link CanaryRelease} `name` declares, named once: the component renders them and plan/ declares them. */
export interface PlannedCanaryRelease {
    readonly namespace: string;
    readonly app: string;
    /** split "ingress" or "gateway": each track has its own Services (selectors with `track`). */
    readonly disjoint: boolean;
    readonly stable: PlannedClockApp & { readonly resourceName: string };
    readonly canary?: PlannedClockApp & { readonly resourceName: string };
    /** The main Ingress's name, or (split "gateway") the Gateway's and HTTPRoute's: `ingress.name`, defaults to the release name. */
    readonly entry?: string;
    /** The index of the Service the entry routes to (undefined: `ingress.service` names none of them). */
    readonly backend?: number;
    /** The Services: every one of `services` in front of the stable track, then the canary's own. */
    readonly services: readonly PlannedReleaseService[];
    readonly ingress?: PlannedReleaseObject;
    readonly canaryIngress?: PlannedReleaseObject;
    readonly gateway?: PlannedReleaseObject;
    readonly route?: PlannedReleaseObject;
    readonly referenceGrant?: PlannedReleaseObject;
}

/** The names, labels and selectors of {@link CanaryRelease} `name`, with the defaults applied, decided once. */
export function planCanaryRelease(name: string, args: CanaryReleasePlanArgs): PlannedCanaryRelease {
    const namespace = args.namespace ?? "default";
    const app = args.app ?? name;
    const split = args.split ?? "replicas";
    const disjoint = split !== "replicas";
    const track = (t: CanaryReleasePlanArgs["stable"], kind: "stable" | "canary", defaultName: string) => {
        const resourceName = `${name}-${kind}`;
        const planned = planClockApp(resourceName, {
            app,
            track: kind,
            namespace: t.namespace ?? namespace,
            deploymentName: t.name ?? defaultName,
            version: t.version,
            replicas: t.replicas,
            disruptionBudget: args.disruptionBudget,
        });
        return { ...planned, resourceName };
    };
    const stable = track(args.stable, "stable", name);
    const canary = args.canary ? track(args.canary, "canary", `${name}-canary`) : undefined;
    // Split by replicas: the Services select only `app`, so both tracks answer. Otherwise each
    // track has its own Service and the router (Ingress or HTTPRoute) splits between them.
    const service = (t: typeof stable, kind: "stable" | "canary", svcName: string, index: number, resourceName: string): PlannedReleaseService => {
        const selector: Record<string, string> = disjoint ? { [APP_LABEL]: app, [TRACK_LABEL]: kind } : { [APP_LABEL]: app };
        const configured = args.services[index];
        const type = configured.type ?? "ClusterIP";
        const exposed = kind === "stable" || type === "ClusterIP" || type === "Headless";
        return {
            resourceName,
            name: svcName,
            namespace: t.namespace,
            track: kind,
            index,
            type: exposed ? type : "ClusterIP",
            loadBalancerIP: exposed && type === "LoadBalancer" ? configured.loadBalancerIP : undefined,
            labels: selector,
            selector: disjoint ? { ...t.selector } : selector,
        };
    };
    const services = args.services.map((s, i) => service(stable, "stable", s.name, i, `${name}-${s.name}`));
    const ing = args.ingress;
    if (ing === undefined) return { namespace, app, disjoint, stable, canary, services };

    const entry = ing.name ?? name;
    const found = args.services.findIndex((s) => s.name === (ing.service ?? args.services[0]?.name));
    const backend = found < 0 ? undefined : found;
    const backendService = backend === undefined ? undefined : args.services[backend];
    // The canary Service sits beside the canary pods; in its own namespace it keeps the stable name (the lab's canary/web-svc).
    if (disjoint && canary && backendService && backend !== undefined) {
        const canaryName = canary.namespace === namespace ? `${backendService.name}-canary` : backendService.name;
        services.push(service(canary, "canary", canaryName, backend, `${name}-canary-${canaryName}`));
    }
    const routed = { namespace, app, disjoint, stable, canary, entry, backend, services };
    if (split === "gateway") {
        return {
            ...routed,
            gateway: { resourceName: `${name}-gateway`, name: entry, namespace },
            route: { resourceName: `${name}-route`, name: entry, namespace },
            // A route may send to a Service of another namespace only where that namespace allows it.
            referenceGrant: canary && canary.namespace !== namespace ? { resourceName: `${name}-canary-grant`, name: `${entry}-from-${namespace}`, namespace: canary.namespace } : undefined,
        };
    }
    return {
        ...routed,
        ingress: { resourceName: `${name}-ingress`, name: entry, namespace },
        canaryIngress: split === "ingress" && canary ? { resourceName: `${name}-canary-ingress`, name: `${entry}-canary`, namespace: canary.namespace } : undefined,
    };
}

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
        if (args.services.length === 0) {
            throw new Error(`release ${name}: services: [] is empty (expected at least one Service)`);
        }
        const planned = planCanaryRelease(name, args);
        const { namespace, app } = planned;
        const split = args.split ?? "replicas";
        const common = {
            app,
            port: args.port,
            pageDelivery: args.pageDelivery,
            strategy: args.strategy,
            resources: args.resources,
            readOnlyRootFilesystem: args.readOnlyRootFilesystem,
            rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
            disruptionBudget: args.disruptionBudget,
            topologySpread: args.topologySpread,
            ephemeralStorage: args.ephemeralStorage,
        };
        const track = (t: TrackArgs, kind: "stable" | "canary", p: PlannedCanaryRelease["stable"]) =>
            new ClockApp(
                p.resourceName,
                { ...common, track: kind, namespace: p.namespace, deploymentName: p.deployment.name, version: t.version, replicas: t.replicas, broken: t.broken },
                { parent: this },
            );
        this.stable = track(args.stable, "stable", planned.stable);
        this.canary = args.canary && planned.canary ? track(args.canary, "canary", planned.canary) : undefined;

        // The planned Services: split by replicas, they select only `app`, so both tracks answer;
        // otherwise each track has its own and the router (Ingress or HTTPRoute) splits between them.
        const service = (p: PlannedReleaseService) => {
            const svc = args.services[p.index];
            return new k8s.core.v1.Service(
                p.resourceName,
                {
                    metadata: {
                        name: p.name,
                        namespace: p.namespace,
                        labels: { ...p.labels },
                        // Ready: a LoadBalancer once it has its address, any other type at once (serviceReadiness).
                        annotations: { ...serviceReadiness(p.type), ...(p.loadBalancerIP ? { [METALLB_LOAD_BALANCER_IPS]: p.loadBalancerIP } : {}) },
                    },
                    spec: {
                        type: p.type === "Headless" ? "ClusterIP" : p.type,
                        clusterIP: p.type === "Headless" ? "None" : undefined,
                        selector: { ...p.selector },
                        ports: [{ name: "http", port: svc.port ?? 80, targetPort: "http", protocol: "TCP" }],
                    },
                },
                { parent: this, dependsOn: p.type === "LoadBalancer" ? args.loadBalancerDependsOn : undefined },
            );
        };
        this.services = {};
        for (const p of planned.services) {
            if (p.track === "stable") this.services[p.name] = service(p);
        }

        const ing = args.ingress;
        if (ing) {
            const backend = planned.backend === undefined ? undefined : args.services[planned.backend];
            if (!backend) {
                throw new Error(`release ${name}: ingress.service: ${JSON.stringify(ing.service)} is not one of its services (expected one of ${args.services.map((s) => s.name).join(", ")})`);
            }
            if (split === "ingress" && !ing.host) {
                throw new Error(`release ${name}: ingress.host: is required when split is "ingress" (ingress-nginx merges a canary Ingress only into a main Ingress of the same host)`);
            }
            const path = ing.path ?? "/";
            const rewrite = ing.rewriteTarget ?? (path === "/" ? undefined : "/");
            const origin = `http://${ing.host ?? (split === "gateway" ? "<gateway address>" : "<ingress address>")}${path}`;
            this.url = origin;
            const header = args.canary?.header ?? "canary";
            const weight = args.canary?.weight ?? 0;

            // The canary Service sits beside the canary pods; in its own namespace it keeps the stable name (the lab's canary/web-svc).
            const plannedCanary = planned.services.find((p) => p.track === "canary");
            let canaryService: ReleaseServiceArgs | undefined;
            if (plannedCanary && this.canary) {
                canaryService = { ...backend, name: plannedCanary.name };
                this.services[`canary/${plannedCanary.name}`] = service(plannedCanary);
                this.canaryCurl = `curl -H "${header}: always" ${origin}`;
            }

            if (planned.gateway && planned.route) {
                if (!args.gateway) {
                    throw new Error(`release ${name}: gateway: is required when split is "gateway" (expected the GatewayClass to use)`);
                }
                const timeout = `${args.rolloutTimeoutSeconds ?? 600}s`;
                this.gateway = new k8s.apiextensions.CustomResource(
                    planned.gateway.resourceName,
                    {
                        apiVersion: "gateway.networking.k8s.io/v1",
                        kind: "Gateway",
                        metadata: {
                            name: planned.gateway.name,
                            namespace: planned.gateway.namespace,
                            labels: { app },
                            // Ready: once its controller gave it an address, as a LoadBalancer Service is.
                            annotations: AWAIT_GATEWAY_ADDRESS,
                        },
                        spec: {
                            gatewayClassName: args.gateway.className,
                            listeners: [{ name: "http", protocol: "HTTP", port: args.gateway.port ?? 80, hostname: ing.host, allowedRoutes: { namespaces: { from: "Same" } } }],
                            // Copied by the controller onto the data-plane Service, where MetalLB reads it.
                            infrastructure: args.gateway.loadBalancerIP ? { annotations: { [METALLB_LOAD_BALANCER_IPS]: args.gateway.loadBalancerIP } } : undefined,
                        },
                        // Declared (never set) so that the object's status is an output to read the address from.
                        status: undefined,
                    },
                    { parent: this, dependsOn: args.gatewayDependsOn, customTimeouts: { create: timeout, update: timeout } },
                );
                const gatewayStatus = (this.gateway as unknown as { status: pulumi.Output<{ addresses?: { value: string }[] } | undefined> }).status;
                this.gatewayAddress = gatewayStatus.apply((status) => status?.addresses?.[0]?.value ?? args.gateway?.loadBalancerIP);
                const port = backend.port ?? 80;
                const ref = (svc: ReleaseServiceArgs, t: ClockApp, w?: number) => ({
                    name: svc.name,
                    ...(t.namespace === namespace ? {} : { namespace: t.namespace }),
                    port,
                    ...(w === undefined ? {} : { weight: w }),
                });
                const pathMatch = { type: "PathPrefix", value: path };
                // ingress-nginx's rewrite-target "/" on path "/web": the prefix is replaced, /web/x → /x.
                const filters = rewrite ? [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: rewrite } } }] : undefined;
                const rules: unknown[] = [];
                if (this.canary && canaryService) {
                    // The rule with the header match wins over the path-only one (more header matches), wherever it is listed.
                    rules.push({ matches: [{ path: pathMatch, headers: [{ type: "Exact", name: header, value: "always" }] }], filters, backendRefs: [ref(canaryService, this.canary)] });
                    rules.push({ matches: [{ path: pathMatch }], filters, backendRefs: [ref(backend, this.stable, 100 - weight), ref(canaryService, this.canary, weight)] });
                } else {
                    rules.push({ matches: [{ path: pathMatch }], filters, backendRefs: [ref(backend, this.stable)] });
                }
                this.route = new k8s.apiextensions.CustomResource(
                    planned.route.resourceName,
                    {
                        apiVersion: "gateway.networking.k8s.io/v1",
                        kind: "HTTPRoute",
                        // Ready: once its Gateway accepted it and every backend Service exists (Accepted, ResolvedRefs).
                        metadata: { name: planned.route.name, namespace: planned.route.namespace, labels: { app }, annotations: AWAIT_ROUTE_ACCEPTED },
                        spec: { parentRefs: [{ name: planned.gateway.name }], hostnames: ing.host ? [ing.host] : undefined, rules },
                    },
                    { parent: this, dependsOn: [this.gateway] },
                );
                if (planned.referenceGrant) {
                    // A route may send to a Service of another namespace only where that namespace allows it.
                    new k8s.apiextensions.CustomResource(
                        planned.referenceGrant.resourceName,
                        {
                            apiVersion: "gateway.networking.k8s.io/v1beta1",
                            kind: "ReferenceGrant",
                            metadata: { name: planned.referenceGrant.name, namespace: planned.referenceGrant.namespace, labels: { app } },
                            spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace }], to: [{ group: "", kind: "Service" }] },
                        },
                        { parent: this },
                    );
                }
            } else if (planned.ingress) {
                const baseAnnotations: Record<string, string> = rewrite ? { [INGRESS_NGINX_ANNOTATIONS.rewriteTarget]: rewrite } : {};
                const ingress = (p: PlannedReleaseObject, serviceName: string, annotations: Record<string, string>) =>
                    new k8s.networking.v1.Ingress(
                        p.resourceName,
                        {
                            // Ready: once the ingress controller published its address on it (not the endpoints' 10 s settle).
                            metadata: { name: p.name, namespace: p.namespace, labels: { app }, annotations: { ...AWAIT_INGRESS_ADDRESS, ...annotations } },
                            spec: {
                                ingressClassName: args.ingressClassName ?? "nginx",
                                rules: [
                                    {
                                        host: ing.host,
                                        http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: serviceName, port: { number: backend.port ?? 80 } } } }] },
                                    },
                                ],
                            },
                        },
                        { parent: this, dependsOn: args.ingressDependsOn },
                    );
                this.ingress = ingress(planned.ingress, backend.name, baseAnnotations);
                if (planned.canaryIngress && canaryService) {
                    this.canaryIngress = ingress(planned.canaryIngress, canaryService.name, {
                        ...baseAnnotations,
                        [INGRESS_NGINX_ANNOTATIONS.canary]: "true",
                        [INGRESS_NGINX_ANNOTATIONS.canaryByHeader]: header,
                        [INGRESS_NGINX_ANNOTATIONS.canaryWeight]: String(weight),
                    });
                }
            }
        }
        this.registerOutputs({ url: this.url, canaryCurl: this.canaryCurl, gatewayAddress: this.gatewayAddress });
    }
}
