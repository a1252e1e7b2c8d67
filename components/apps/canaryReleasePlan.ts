// What a release of the clock app makes, decided once by a pure function: its tracks (each a
// ClockApp), its Services, and its entry — by split: replicas (one Service over both tracks), ingress
// (a canary Ingress by header and weight) or gateway (a Gateway and one HTTPRoute). canaryRelease.ts
// renders the plan; plan/ composes it into the platform's.
import type * as pulumi from "@pulumi/pulumi";
import { APP_LABEL, GATEWAY_NAME_LABEL, INGRESS_NGINX, INGRESS_NGINX_ANNOTATIONS, PORTS, ROLLOUT_TIMEOUT_SECONDS, TRACK_LABEL } from "../core/constants";
import { declared, type DeclaredObject, type Labels, type PlannedComponent, type PlannedObject, type Source } from "../core/planned";
import { type ClockAppArgs, planClockApp, type PlannedClockApp } from "./clockApp";

/** The defaults of a release's settings, stated once: the plan applies them, config/apps.ts's schema reads them. */
export const RELEASE_DEFAULTS = {
    namespace: "default",
    split: "replicas",
    serviceType: "ClusterIP",
    servicePort: PORTS.http,
    path: "/",
    weight: 0,
    header: "canary",
    gatewayPort: PORTS.http,
    ingressClassName: INGRESS_NGINX.className,
    rolloutTimeoutSeconds: ROLLOUT_TIMEOUT_SECONDS,
} as const;

/** The Gateway API's group: its Gateway, HTTPRoute and ReferenceGrant. */
const GATEWAY_API = "gateway.networking.k8s.io";

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
    /** split "ingress" or "gateway": percentage of requests (0–100) sent to the canary. Defaults to {@link RELEASE_DEFAULTS}' 0. */
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
    /** GatewayClass of the Gateway (NGINX Gateway Fabric's is "nginx"); config/apps.ts refuses a release with split "gateway" without one. */
    readonly className?: string;
    /** A fixed address from the MetalLB pool for the Gateway's data-plane Service. Defaults to the pool's choice. */
    readonly loadBalancerIP?: string;
    /** Port of the HTTP listener: one of the controller's entry points where it has fixed ones (Traefik on k3s: 8000). Defaults to 80. */
    readonly port?: number;
}

/** What every track of the release is given as it is: {@link ClockAppArgs}' fields, with its defaults. */
type TrackSettings = "port" | "pageDelivery" | "strategy" | "resources" | "readOnlyRootFilesystem" | "rolloutTimeoutSeconds" | "disruptionBudget" | "topologySpread" | "ephemeralStorage";

/** Arguments of {@link CanaryRelease}: its own, and what each track is given ({@link ClockAppArgs}). */
export interface CanaryReleaseArgs extends Pick<ClockAppArgs, TrackSettings> {
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
}

/** One track of a release: the ClockApp it is, the arguments it is given, and that ClockApp's own plan. */
export interface PlannedTrack {
    readonly kind: "stable" | "canary";
    readonly resourceName: string;
    readonly args: ClockAppArgs;
    readonly plan: PlannedClockApp;
}

/** One Service of a release: in front of one track (both, split "replicas"). */
export interface PlannedReleaseService {
    readonly object: DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels };
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
    readonly port: number;
    readonly selector: Labels;
    /** The MetalLB address it pins (a LoadBalancer's `loadBalancerIP`). */
    readonly loadBalancerIP?: string;
}

/** An Ingress of a release: the main one, or the canary one beside the canary's Service. */
export interface PlannedReleaseIngress {
    readonly object: DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels };
    readonly className: string;
    readonly host?: string;
    readonly path: string;
    readonly service: string;
    readonly port: number;
    readonly annotations: Readonly<Record<string, string>>;
}

/** split "replicas" or "ingress": the main Ingress, and (split "ingress", with a canary) the canary Ingress. */
export interface PlannedIngressEntry {
    readonly by: "ingress";
    readonly ingress: PlannedReleaseIngress;
    readonly canaryIngress?: PlannedReleaseIngress;
}

/** One backend of an HTTPRoute rule. */
export interface PlannedBackendRef {
    readonly name: string;
    readonly namespace?: string;
    readonly port: number;
    readonly weight?: number;
}

/** One rule of the release's HTTPRoute. */
export interface PlannedRouteRule {
    readonly matches: readonly {
        readonly path: { readonly type: "PathPrefix"; readonly value: string };
        readonly headers?: readonly { readonly type: "Exact"; readonly name: string; readonly value: string }[];
    }[];
    readonly filters?: readonly { readonly type: "URLRewrite"; readonly urlRewrite: { readonly path: { readonly type: "ReplacePrefixMatch"; readonly replacePrefixMatch: string } } }[];
    readonly backendRefs: readonly PlannedBackendRef[];
}

/** split "gateway": the Gateway, its HTTPRoute, the controller's data plane and the ReferenceGrant a canary elsewhere needs. */
export interface PlannedGatewayEntry {
    readonly by: "gateway";
    readonly gateway: {
        readonly object: DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels };
        readonly className?: string;
        readonly port: number;
        readonly host?: string;
        readonly loadBalancerIP?: string;
        /** How long `pulumi up` waits for its address. */
        readonly timeoutSeconds: number;
    };
    readonly route: {
        readonly object: DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels };
        readonly hostnames?: readonly string[];
        readonly rules: readonly PlannedRouteRule[];
    };
    /** The Service the Gateway's controller makes for its data plane, beside it (`<gateway>-<class>`): the controller's, not the program's. */
    readonly dataPlane?: PlannedObject;
    /** A route may send to a Service of another namespace only where that namespace allows it. */
    readonly referenceGrant?: { readonly object: DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels }; readonly from: string };
}

/** What {@link CanaryRelease} `name` makes of its arguments, with every default applied. */
export interface PlannedCanaryRelease {
    readonly namespace: string;
    readonly app: string;
    readonly split: NonNullable<CanaryReleaseArgs["split"]>;
    readonly stable: PlannedTrack;
    readonly canary?: PlannedTrack;
    /** The Services: every one of `services` in front of the stable track, then the canary's own. */
    readonly services: readonly PlannedReleaseService[];
    /** The main Ingress's name, or (split "gateway") the Gateway's and HTTPRoute's: `ingress.name`, defaults to the release name. */
    readonly entry?: string;
    readonly router?: PlannedIngressEntry | PlannedGatewayEntry;
    /** The URL the entry answers on. */
    readonly url?: string;
    /** A curl command line that reaches the canary's pods through the router. */
    readonly canaryCurl?: string;
    /** The component resources: the release, then its tracks' ClockApps. */
    readonly components: readonly PlannedComponent[];
    /** Every object, in the order the component declares them (the controller's data plane among them), each with the setting that made it. */
    readonly objects: readonly PlannedObject[];
}

/** What a release's entry reads, every default applied: where it is, what it routes to, and how the canary is chosen. */
interface EntryContext {
    readonly name: string;
    readonly args: CanaryReleaseArgs;
    readonly namespace: string;
    readonly app: string;
    readonly entry: string;
    readonly source: Source;
    readonly release: Source;
    readonly host?: string;
    readonly path: string;
    readonly rewrite?: string;
    /** The Service the entry routes to (its name and port), and the canary's own beside the canary's pods (with a canary). */
    readonly backend: { readonly name: string; readonly namespace: string; readonly port: number };
    readonly canaryBackend?: PlannedReleaseService;
    readonly weight: number;
    readonly header: string;
}

/** The planned objects of a release are namespaced and named; these narrow the shared type to say so. */
type Named = DeclaredObject & { readonly name: string; readonly namespace: string; readonly labels: Labels };
const named = (o: DeclaredObject) => o as Named;

/** split "replicas" or "ingress": the main Ingress, and with split "ingress" the canary Ingress by header and weight. */
function ingressEntry(c: EntryContext, canaryIngress: boolean): PlannedIngressEntry {
    const labels = { [APP_LABEL]: c.app };
    const className = c.args.ingressClassName ?? RELEASE_DEFAULTS.ingressClassName;
    const base: Record<string, string> = c.rewrite ? { [INGRESS_NGINX_ANNOTATIONS.rewriteTarget]: c.rewrite } : {};
    const ingress = (resourceName: string, name: string, namespace: string, derived: boolean, to: { name: string; port: number }, annotations: Record<string, string>): PlannedReleaseIngress => ({
        object: named(
            declared("CanaryRelease", resourceName, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", namespace, name, source: c.source, ...(derived ? { derived } : {}), labels }, c.release),
        ),
        className,
        host: c.host,
        path: c.path,
        service: to.name,
        port: to.port,
        annotations,
    });
    const canary = c.canaryBackend;
    return {
        by: "ingress",
        ingress: ingress(`${c.name}-ingress`, c.entry, c.namespace, false, c.backend, base),
        canaryIngress:
            canaryIngress && canary
                ? ingress(
                      `${c.name}-canary-ingress`,
                      `${c.entry}-canary`,
                      canary.object.namespace,
                      true,
                      { name: canary.object.name, port: canary.port },
                      {
                          ...base,
                          [INGRESS_NGINX_ANNOTATIONS.canary]: "true",
                          [INGRESS_NGINX_ANNOTATIONS.canaryByHeader]: c.header,
                          [INGRESS_NGINX_ANNOTATIONS.canaryWeight]: String(c.weight),
                      },
                  )
                : undefined,
    };
}

/** split "gateway": a Gateway, one HTTPRoute splitting by header and weight, and a ReferenceGrant where the canary is in another namespace. */
function gatewayEntry(c: EntryContext): PlannedGatewayEntry {
    const labels = { [APP_LABEL]: c.app };
    const gw = c.args.gateway;
    const port = gw?.port ?? RELEASE_DEFAULTS.gatewayPort;
    const address = gw?.loadBalancerIP;
    const gateway = named(
        declared(
            "CanaryRelease",
            `${c.name}-gateway`,
            {
                apiVersion: `${GATEWAY_API}/v1`,
                kind: "Gateway",
                namespace: c.namespace,
                name: c.entry,
                source: c.source,
                labels,
                ports: [port],
                // Copied by the controller onto its data-plane Service, where MetalLB reads it.
                pin: address === undefined ? undefined : { address, source: { path: ["gateway", "loadBalancerIP"], value: address } },
            },
            c.release,
        ),
    );
    const route = named(
        declared("CanaryRelease", `${c.name}-route`, { apiVersion: `${GATEWAY_API}/v1`, kind: "HTTPRoute", namespace: c.namespace, name: c.entry, source: c.source, labels }, c.release),
    );
    const ref = (s: { name: string; namespace: string }, weight?: number): PlannedBackendRef => ({
        name: s.name,
        ...(s.namespace === c.namespace ? {} : { namespace: s.namespace }),
        port: c.backend.port,
        ...(weight === undefined ? {} : { weight }),
    });
    const path = { type: "PathPrefix", value: c.path } as const;
    // ingress-nginx's rewrite-target "/" on path "/web": the prefix is replaced, /web/x → /x.
    const filters = c.rewrite ? [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: c.rewrite } } } as const] : undefined;
    const canary = c.canaryBackend;
    const rules: PlannedRouteRule[] = canary
        ? [
              // The rule with the header match wins over the path-only one (more header matches), wherever it is listed.
              { matches: [{ path, headers: [{ type: "Exact", name: c.header, value: "always" }] }], filters, backendRefs: [ref(canary.object)] },
              { matches: [{ path }], filters, backendRefs: [ref(c.backend, 100 - c.weight), ref(canary.object, c.weight)] },
          ]
        : [{ matches: [{ path }], filters, backendRefs: [ref(c.backend)] }];
    const className = gw?.className;
    const grantIn = canary && canary.object.namespace !== c.namespace ? canary.object.namespace : undefined;
    return {
        by: "gateway",
        gateway: { object: gateway, className, port, host: c.host, loadBalancerIP: address, timeoutSeconds: c.args.rolloutTimeoutSeconds ?? RELEASE_DEFAULTS.rolloutTimeoutSeconds },
        route: { object: route, hostnames: c.host ? [c.host] : undefined, rules },
        dataPlane:
            className === undefined
                ? undefined
                : {
                      apiVersion: "v1",
                      kind: "Service",
                      namespace: c.namespace,
                      name: gatewayDataPlaneName(c.entry, className),
                      by: "controller",
                      source: c.source,
                      derived: true,
                      selector: { labels: { [GATEWAY_NAME_LABEL]: c.entry }, source: c.source },
                  },
        referenceGrant:
            grantIn === undefined
                ? undefined
                : {
                      object: named(
                          declared(
                              "CanaryRelease",
                              `${c.name}-canary-grant`,
                              { apiVersion: `${GATEWAY_API}/v1beta1`, kind: "ReferenceGrant", namespace: grantIn, name: `${c.entry}-from-${c.namespace}`, source: c.source, derived: true, labels },
                              c.release,
                          ),
                      ),
                      from: c.namespace,
                  },
    };
}

/** The Service NGINX Gateway Fabric makes for a Gateway's data plane, beside it: `<gateway>-<class>`. */
export function gatewayDataPlaneName(gateway: string, className: string): string {
    return `${gateway}-${className}`;
}

/**
 * The plan of {@link CanaryRelease} `name`: every object with its name, labels, selector, ports and
 * pinned address, every default applied once. Each object's setting is a path within the release's own
 * settings (`[]`: the release itself). Pure; it refuses nothing (config/apps.ts holds the rules).
 */
export function planCanaryRelease(name: string, args: CanaryReleaseArgs): PlannedCanaryRelease {
    const namespace = args.namespace ?? RELEASE_DEFAULTS.namespace;
    const app = args.app ?? name;
    const split = args.split ?? RELEASE_DEFAULTS.split;
    const disjoint = split !== "replicas";
    const release: Source = { path: [], value: name };
    const appSource: Source = { path: args.app !== undefined ? ["app"] : [], value: app };
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
    const track = (t: TrackArgs, kind: "stable" | "canary"): PlannedTrack => {
        const resourceName = `${name}-${kind}`;
        const own = t.name;
        const clockArgs: ClockAppArgs = {
            ...common,
            track: kind,
            namespace: t.namespace ?? namespace,
            deploymentName: own ?? (kind === "stable" ? name : `${name}-canary`),
            version: t.version,
            replicas: t.replicas,
            broken: t.broken,
        };
        const sources = { app: release, name: { path: own !== undefined ? [kind, "name"] : [], value: own ?? name }, label: appSource, derived: own === undefined && kind === "canary" };
        return { kind, resourceName, args: clockArgs, plan: planClockApp(resourceName, clockArgs, sources) };
    };
    const stable = track(args.stable, "stable");
    const canary = args.canary ? track(args.canary, "canary") : undefined;

    // Split by replicas: the Services select only `app`, so both tracks answer. Otherwise each
    // track has its own Service and the router (Ingress or HTTPRoute) splits between them.
    const service = (t: PlannedTrack, index: number, svcName: string, resourceName: string): PlannedReleaseService => {
        const labels: Labels = disjoint ? { [APP_LABEL]: app, [TRACK_LABEL]: t.kind } : { [APP_LABEL]: app };
        const configured = args.services[index];
        const type = configured.type ?? RELEASE_DEFAULTS.serviceType;
        const exposed = t.kind === "stable" || type === "ClusterIP" || type === "Headless";
        const address = exposed && type === "LoadBalancer" ? configured.loadBalancerIP : undefined;
        const port = configured.port ?? RELEASE_DEFAULTS.servicePort;
        const at = ["services", index];
        const selector = disjoint ? { ...t.plan.selector } : labels;
        return {
            object: named(
                declared("CanaryRelease", resourceName, {
                    apiVersion: "v1",
                    kind: "Service",
                    namespace: t.plan.namespace,
                    name: svcName,
                    source: { path: [...at, "name"], value: configured.name },
                    // The canary's Service in the stable one's namespace is named `<service>-canary`.
                    derived: t.kind === "canary" && svcName !== configured.name,
                    labels,
                    selector: { labels: selector, source: appSource },
                    ports: [port],
                    pin: address === undefined ? undefined : { address, source: { path: [...at, "loadBalancerIP"], value: address } },
                }),
            ),
            track: t.kind,
            index,
            type: exposed ? type : "ClusterIP",
            port,
            selector,
            loadBalancerIP: address,
        };
    };
    const services = args.services.map((s, i) => service(stable, i, s.name, `${name}-${s.name}`));
    const components: PlannedComponent[] = [
        { type: "CanaryRelease", name, source: release },
        { type: "ClockApp", name: stable.resourceName, source: release },
        ...(canary ? [{ type: "ClockApp", name: canary.resourceName, source: release }] : []),
    ];
    const trackObjects = [...stable.plan.objects, ...(canary?.plan.objects ?? [])];
    const ing = args.ingress;
    if (ing === undefined) {
        return { namespace, app, split, stable, canary, services, components, objects: [...trackObjects, ...services.map((s) => s.object)] };
    }

    const entry = ing.name ?? name;
    // The Service the entry routes to: `ingress.service`, the first one when not set (config/apps.ts refuses a name of none).
    const backendName = ing.service ?? args.services[0]?.name;
    const backendIndex = args.services.findIndex((s) => s.name === backendName);
    const backend = services[backendIndex] as PlannedReleaseService | undefined;
    const canaryName = canary && backend ? (canary.plan.namespace === namespace ? `${backend.object.name}-canary` : backend.object.name) : undefined;
    // The canary Service sits beside the canary pods; in its own namespace it keeps the stable name (the lab's canary/web-svc).
    const canaryBackend = disjoint && canary && canaryName !== undefined ? service(canary, backendIndex, canaryName, `${name}-canary-${canaryName}`) : undefined;
    const path = ing.path ?? RELEASE_DEFAULTS.path;
    const weight = args.canary?.weight ?? RELEASE_DEFAULTS.weight;
    const header = args.canary?.header ?? RELEASE_DEFAULTS.header;
    const context: EntryContext = {
        name,
        args,
        namespace,
        app,
        entry,
        source: { path: ing.name !== undefined ? ["ingress", "name"] : [], value: entry },
        release,
        host: ing.host,
        path,
        rewrite: ing.rewriteTarget ?? (path === "/" ? undefined : "/"),
        backend: { name: backend?.object.name ?? backendName ?? name, namespace: stable.plan.namespace, port: backend?.port ?? RELEASE_DEFAULTS.servicePort },
        canaryBackend,
        weight,
        header,
    };
    const router = split === "gateway" ? gatewayEntry(context) : ingressEntry(context, split === "ingress");
    const url = `http://${ing.host ?? (split === "gateway" ? "<gateway address>" : "<ingress address>")}${path}`;
    const entryObjects =
        router.by === "gateway"
            ? [router.gateway.object, router.route.object, ...(router.dataPlane ? [router.dataPlane] : []), ...(router.referenceGrant ? [router.referenceGrant.object] : [])]
            : [router.ingress.object];
    const allServices = canaryBackend ? [...services, canaryBackend] : services;
    return {
        namespace,
        app,
        split,
        stable,
        canary,
        services: allServices,
        entry,
        router,
        url,
        canaryCurl: canaryBackend ? `curl -H "${header}: always" ${url}` : undefined,
        components,
        objects: [
            ...trackObjects,
            ...services.map((s) => s.object),
            ...entryObjects,
            ...(canaryBackend ? [canaryBackend.object] : []),
            ...(router.by === "ingress" && router.canaryIngress ? [router.canaryIngress.object] : []),
        ],
    };
}
