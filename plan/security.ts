// The namespaces and NetworkPolicy openings the config makes, decided once: the Pod Security level of
// every namespace, and what each app namespace opens — each opening with the config entries that
// made it, so that the plan's NetworkPolicies name them without walking the config a second time.
import { GATEWAY_NAME_LABEL, PORTS } from "../components/core/constants";
import type { PodSecurityLevel, WorkloadOpening } from "../components/core";
import type { ConfigPath, PlanInput } from "./input";
import { listenerPort, tracksOf, verifyNamespaceOf } from "./names";

const PERMISSIVENESS: Record<PodSecurityLevel, number> = { restricted: 0, baseline: 1, privileged: 2 };

/**
 * Every namespace the config uses, with the Pod Security Standards level it enforces. A namespace used
 * by two parts gets the more permissive of their levels. kube-system is never labelled.
 * - MetalLB's speaker (host network, NET_RAW) and node-exporter (host network, PID, paths): privileged;
 * - ingress-nginx, NGINX Gateway Fabric and the dashboard (charts we do not control): baseline;
 * - everything else: `security.appNamespaceLevel` (restricted unless relaxed).
 */
export function namespacePlan(cfg: PlanInput): Record<string, PodSecurityLevel> {
    const plan: Record<string, PodSecurityLevel> = {};
    const use = (ns: string | undefined, level: PodSecurityLevel) => {
        if (ns === undefined || ns === "kube-system") {
            return;
        }
        const current = plan[ns];
        plan[ns] = current !== undefined && PERMISSIVENESS[current] >= PERMISSIVENESS[level] ? current : level;
    };
    const app = cfg.security.appNamespaceLevel;
    // A part with `install: false` lives in a namespace its own installation made: never created here.
    if (cfg.metallb.enabled && cfg.metallb.install) use(cfg.metallb.namespace, "privileged");
    if (cfg.nodeExporter.enabled) use(cfg.nodeExporter.namespace, "privileged");
    if (cfg.ingressNginx.enabled && cfg.ingressNginx.install) use(cfg.ingressNginx.namespace, "baseline");
    if (cfg.nginxGateway.enabled && cfg.nginxGateway.install) use(cfg.nginxGateway.namespace, "baseline");
    if (cfg.dashboard.enabled && cfg.dashboard.install) use(cfg.dashboard.namespace, "baseline");
    for (const r of Object.values(cfg.releases)) {
        use(r.namespace, app);
        use(r.stable.namespace, app);
        use(r.canary?.namespace, app);
    }
    if (cfg.minio.enabled) use(cfg.minio.namespace, app);
    for (const a of cfg.access.accounts) {
        use(a.namespace, app);
        use(a.grant?.namespace, app);
    }
    for (const g of cfg.access.groups) use(g.namespace, app);
    // The verify Job's namespace: restricted whatever the apps' level (its pod meets it).
    use(verifyNamespaceOf(cfg), "restricted");
    return plan;
}

/** One opening of one namespace, with every config entry that opens a workload of its name there (the first one's opening is kept). */
export interface PlannedOpening {
    readonly opening: WorkloadOpening;
    readonly sources: readonly { readonly path: ConfigPath; readonly value: unknown }[];
}

/**
 * The NetworkPolicy openings of every app namespace, with what made each (empty when
 * `security.networkPolicies` is false): each release's pods on its port, from the ingress controller
 * and its own namespace, and from anywhere in a namespace where a NodePort or LoadBalancer Service of
 * the release publishes them (a canary's ClusterIP twin in its own namespace does not); a Gateway's
 * data plane on its listener's port; MinIO's API from its namespace, and from anywhere when its
 * LoadBalancer is on.
 * Two openings of one name in one namespace keep the first, and both entries: the checks refuse the second.
 */
export function openingsPlan(cfg: PlanInput): Record<string, PlannedOpening[]> {
    if (!cfg.security.networkPolicies) {
        return {};
    }
    const plan: Record<string, { opening: WorkloadOpening; sources: { path: ConfigPath; value: unknown }[] }[]> = {};
    const open = (ns: string, opening: WorkloadOpening, source: { path: ConfigPath; value: unknown }) => {
        const list = (plan[ns] ??= []);
        const same = list.find((o) => o.opening.name === opening.name);
        if (same === undefined) list.push({ opening, sources: [source] });
        else if (!same.sources.some((s) => s.path.join(".") === source.path.join("."))) same.sources.push(source);
    };
    const verifyNamespace = verifyNamespaceOf(cfg);
    for (const [name, r] of Object.entries(cfg.releases)) {
        const release = { path: ["releases", name], value: name };
        const tracks = tracksOf(name, r);
        const gateway = r.split === "gateway" ? tracks.entry : undefined;
        // Who carries the Gateway's traffic: a data plane in another namespace (k3s's Traefik in
        // kube-system), or NGINX Gateway Fabric's in the Gateway's own namespace — let in to a track
        // elsewhere.
        const dataPlane = gateway === undefined ? undefined : (r.gateway?.dataPlaneNamespace ?? r.namespace);
        const track = (ns: string): WorkloadOpening => {
            const published = tracks.published.includes(ns);
            const from: WorkloadOpening["from"] = published ? ["anywhere"] : cfg.ingressNginx.enabled ? ["ingressController", "sameNamespace"] : ["sameNamespace"];
            // The verify Job's pods request every track; a published one is open to them already.
            const verifier = verifyNamespace !== undefined && !published ? [verifyNamespace] : [];
            const fromNamespaces = [...(dataPlane !== undefined && dataPlane !== ns ? [dataPlane] : []), ...verifier];
            const opening = { name, podSelector: { app: tracks.app }, ports: [r.port], from };
            return fromNamespaces.length > 0 ? { ...opening, fromNamespaces } : opening;
        };
        open(tracks.stable.namespace, track(tracks.stable.namespace), release);
        if (tracks.canary !== undefined) open(tracks.canary.namespace, track(tracks.canary.namespace), release);
        if (gateway !== undefined && r.gateway?.dataPlaneNamespace === undefined) {
            // The data plane NGINX Gateway Fabric provisions for the Gateway: clients in on the listener's port,
            // out to the release's pods and to its control plane (the agent's connection, port 8443).
            const backends = [tracks.stable.namespace, ...(tracks.canary ? [tracks.canary.namespace] : [])];
            open(
                r.namespace,
                {
                    name: `${gateway}-gateway`,
                    podSelector: { [GATEWAY_NAME_LABEL]: gateway },
                    ports: [listenerPort(r)],
                    from: ["anywhere"],
                    egress: [
                        ...[...new Set(backends)].map((namespace) => ({ namespace, podSelector: { app: tracks.app }, ports: [r.port] })),
                        { namespace: cfg.nginxGateway.namespace, ports: [PORTS.gatewayControlPlane] },
                    ],
                },
                { path: r.ingress?.name !== undefined ? ["releases", name, "ingress", "name"] : ["releases", name], value: gateway },
            );
        }
    }
    if (cfg.minio.enabled) {
        open(
            cfg.minio.namespace,
            { name: cfg.minio.name, podSelector: { app: cfg.minio.name }, ports: [PORTS.minio], from: cfg.minio.loadBalancer.enabled ? ["anywhere"] : ["sameNamespace"] },
            { path: ["minio", "name"], value: cfg.minio.name },
        );
    }
    return plan;
}

/** The NetworkPolicy openings of every app namespace ({@link openingsPlan} without their config entries): NetworkIsolation's `namespaces`. */
export function networkPolicyPlan(cfg: PlanInput): Record<string, WorkloadOpening[]> {
    return Object.fromEntries(Object.entries(openingsPlan(cfg)).map(([ns, list]) => [ns, list.map((o) => o.opening)]));
}
