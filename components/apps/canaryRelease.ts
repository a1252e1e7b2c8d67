import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClockApp, ContainerResources } from "./clockApp";
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
    /** split "ingress": percentage of requests (0–100) sent to the canary. Defaults to 0. */
    readonly weight?: number;
    /** split "ingress": requests with this header set to "always" reach the canary. Defaults to "canary". */
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

/** The release's Ingress (path-based routing through ingress-nginx). */
export interface ReleaseIngressArgs {
    /** Main Ingress name; the canary one is `<name>-canary`. Defaults to the release name. */
    readonly name?: string;
    /** Host to match. Required when split is "ingress". */
    readonly host?: string;
    /** Path prefix. Defaults to "/". */
    readonly path?: string;
    /** Service the main Ingress routes to. Defaults to the first service. */
    readonly service?: string;
    /** `nginx.ingress.kubernetes.io/rewrite-target`. Defaults to "/" when the path is not "/". */
    readonly rewriteTarget?: string;
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
     * selectors and a canary Ingress routed by header and weight. Defaults to "replicas".
     */
    readonly split?: "replicas" | "ingress";
    readonly stable: TrackArgs;
    /** The canary track; absent when there is none (or after a promotion). */
    readonly canary?: CanaryTrackArgs;
    /** Services of the release (at least one). */
    readonly services: readonly ReleaseServiceArgs[];
    /** The release's Ingress; required when split is "ingress". */
    readonly ingress?: ReleaseIngressArgs;
    /** IngressClass of the Ingresses. Defaults to "nginx". */
    readonly ingressClassName?: string;
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
}

/** ingress-nginx annotation keys. */
const NGINX = "nginx.ingress.kubernetes.io";

/** A release of the clock app: a stable track, an optional canary track, its Services and Ingresses. */
export class CanaryRelease extends pulumi.ComponentResource {
    public readonly stable: ClockApp;
    public readonly canary?: ClockApp;
    public readonly services: Record<string, k8s.core.v1.Service>;
    public readonly ingress?: k8s.networking.v1.Ingress;
    public readonly canaryIngress?: k8s.networking.v1.Ingress;
    /** The URL the main Ingress answers on, when there is one. */
    public readonly url?: string;
    /** A curl command line that reaches the canary pods, when the split is at the ingress. */
    public readonly canaryCurl?: string;

    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:apps:CanaryRelease", name, {}, opts);
        if (args.services.length === 0) {
            throw new Error(`release ${name}: services: [] is empty (expected at least one Service)`);
        }
        const namespace = args.namespace ?? "default";
        const app = args.app ?? name;
        const split = args.split ?? "replicas";
        const common = {
            app,
            port: args.port,
            pageDelivery: args.pageDelivery,
            strategy: args.strategy,
            resources: args.resources,
            readOnlyRootFilesystem: args.readOnlyRootFilesystem,
            rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
        };
        const track = (t: TrackArgs, kind: "stable" | "canary", defaultName: string) =>
            new ClockApp(
                `${name}-${kind}`,
                { ...common, track: kind, namespace: t.namespace ?? namespace, deploymentName: t.name ?? defaultName, version: t.version, replicas: t.replicas, broken: t.broken },
                { parent: this },
            );
        this.stable = track(args.stable, "stable", name);
        this.canary = args.canary ? track(args.canary, "canary", `${name}-canary`) : undefined;

        // Split by replicas: the Services select only `app`, so both tracks answer.
        const selectorFor = (t: ClockApp) => (split === "replicas" ? { app } : t.selector);
        const service = (svc: ReleaseServiceArgs, t: ClockApp, resourceName: string) =>
            new k8s.core.v1.Service(
                resourceName,
                {
                    metadata: {
                        name: svc.name,
                        namespace: t.namespace,
                        labels: { app, ...(split === "ingress" ? { track: t.selector.track } : {}) },
                        annotations: svc.loadBalancerIP ? { "metallb.io/loadBalancerIPs": svc.loadBalancerIP } : undefined,
                    },
                    spec: {
                        type: svc.type === "Headless" || svc.type === undefined ? "ClusterIP" : svc.type,
                        clusterIP: svc.type === "Headless" ? "None" : undefined,
                        selector: selectorFor(t),
                        ports: [{ name: "http", port: svc.port ?? 80, targetPort: "http", protocol: "TCP" }],
                    },
                },
                { parent: this },
            );
        this.services = {};
        for (const svc of args.services) {
            this.services[svc.name] = service(svc, this.stable, `${name}-${svc.name}`);
        }

        const ing = args.ingress;
        if (ing) {
            const backend = args.services.find((s) => s.name === (ing.service ?? args.services[0].name));
            if (!backend) {
                throw new Error(`release ${name}: ingress.service: ${JSON.stringify(ing.service)} is not one of its services (expected one of ${args.services.map((s) => s.name).join(", ")})`);
            }
            if (split === "ingress" && !ing.host) {
                throw new Error(`release ${name}: ingress.host: is required when split is "ingress" (ingress-nginx merges a canary Ingress only into a main Ingress of the same host)`);
            }
            const ingressName = ing.name ?? name;
            const path = ing.path ?? "/";
            const rewrite = ing.rewriteTarget ?? (path === "/" ? undefined : "/");
            const baseAnnotations: Record<string, string> = rewrite ? { [`${NGINX}/rewrite-target`]: rewrite } : {};
            const ingress = (resourceName: string, ingName: string, ns: string, serviceName: string, annotations: Record<string, string>) =>
                new k8s.networking.v1.Ingress(
                    resourceName,
                    {
                        metadata: { name: ingName, namespace: ns, labels: { app }, annotations },
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
                    { parent: this },
                );
            this.ingress = ingress(`${name}-ingress`, ingressName, namespace, backend.name, baseAnnotations);
            const origin = `http://${ing.host ?? "<ingress address>"}${path}`;
            this.url = origin;

            if (split === "ingress" && this.canary && args.canary) {
                // The canary Service sits beside the canary pods; in its own namespace it keeps the stable name (the lab's canary/web-svc).
                const canaryService = { ...backend, name: this.canary.namespace === namespace ? `${backend.name}-canary` : backend.name };
                this.services[`canary/${canaryService.name}`] = service(canaryService, this.canary, `${name}-canary-${canaryService.name}`);
                const header = args.canary.header ?? "canary";
                this.canaryIngress = ingress(`${name}-canary-ingress`, `${ingressName}-canary`, this.canary.namespace, canaryService.name, {
                    ...baseAnnotations,
                    [`${NGINX}/canary`]: "true",
                    [`${NGINX}/canary-by-header`]: header,
                    [`${NGINX}/canary-weight`]: String(args.canary.weight ?? 0),
                });
                this.canaryCurl = `curl -H "${header}: always" ${origin}`;
            }
        }
        this.registerOutputs({ url: this.url, canaryCurl: this.canaryCurl });
    }
}
