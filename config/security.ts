// Settings of the platform's security defaults (components/core): Pod Security levels, read-only
// root filesystems, default-deny NetworkPolicies; the namespace and NetworkPolicy plans.
import { z } from "zod";
import { GATEWAY_NAME_LABEL, PORTS } from "../components/core/constants";
import type { WorkloadOpening } from "../components/core";
import { tracksOf } from "./apps";
import type { PlatformConfig } from "./index";
import { bool, ConfigPath, dnsLabel, expected, renderValue, Report, strict } from "./primitives";

export { BUILT_IN_NAMESPACES } from "../components/core/constants";

export const securitySchema = strict({
    appNamespaceLevel: z
        .enum(["restricted", "baseline", "privileged"], expected('"restricted", "baseline" or "privileged"'))
        .default("restricted")
        .describe("Pod Security Standards level enforced on the app namespaces."),
    readOnlyRootFilesystem: bool.default(true).describe("Mount the app containers' root filesystem read-only (a writable /tmp stays)."),
    networkPolicies: bool.default(true).describe("Default-deny NetworkPolicies in the app namespaces, opened only for DNS, the ingress controller and published ports."),
    extraSourceNamespaces: z.array(dnsLabel, expected("a list of namespace names")).default([]).describe("More namespaces whose pods may reach the apps and MinIO (e.g. a monitoring namespace)."),
});

type Level = "restricted" | "baseline" | "privileged";
const PERMISSIVENESS: Record<Level, number> = { restricted: 0, baseline: 1, privileged: 2 };

/** The parts of the config the security rules read (parsed, before secrets are wrapped). */
type SecurityView = Pick<PlatformConfig, "metallb" | "ingressNginx" | "nginxGateway" | "dashboard" | "nodeExporter" | "releases" | "minio" | "access" | "security" | "verify">;

/** Every namespace the config puts app objects in (the apps, MinIO, the accounts), with its config key. */
function appNamespaces(cfg: SecurityView): { path: ConfigPath; namespace: string }[] {
    const used: { path: ConfigPath; namespace: string }[] = [];
    for (const [name, r] of Object.entries(cfg.releases)) {
        const tracks = tracksOf(name, r);
        const at = (track: "stable" | "canary", own: string | undefined): ConfigPath => (own !== undefined ? ["releases", name, track, "namespace"] : ["releases", name, "namespace"]);
        used.push({ path: at("stable", r.stable.namespace), namespace: tracks.stable.namespace });
        if (tracks.canary !== undefined) used.push({ path: at("canary", r.canary?.namespace), namespace: tracks.canary.namespace });
    }
    if (cfg.minio.enabled) used.push({ path: ["minio", "namespace"], namespace: cfg.minio.namespace });
    cfg.access.accounts.forEach((a, i) => {
        used.push({ path: ["access", "accounts", i, "namespace"], namespace: a.namespace });
        if (a.grant?.namespace !== undefined) used.push({ path: ["access", "accounts", i, "grant", "namespace"], namespace: a.grant.namespace });
    });
    cfg.access.groups.forEach((g, i) => used.push({ path: ["access", "groups", i, "namespace"], namespace: g.namespace }));
    return used;
}

/**
 * Namespaces that app objects must stay out of: the cluster's own and those of the add-ons this stack
 * runs. An app namespace gets the apps' Pod Security level and a default-deny NetworkPolicy, which
 * would stop MetalLB's speaker, the ingress controller or the cluster's DNS.
 */
export function securityChecks(cfg: SecurityView, add: Report): void {
    const reserved = new Map<string, string>([
        ["kube-system", "the cluster's own"],
        ["kube-public", "the cluster's own"],
        ["kube-node-lease", "the cluster's own"],
    ]);
    if (cfg.metallb.enabled) reserved.set(cfg.metallb.namespace, "MetalLB's (metallb.namespace)");
    if (cfg.ingressNginx.enabled) reserved.set(cfg.ingressNginx.namespace, "ingress-nginx's (ingressNginx.namespace)");
    if (cfg.nginxGateway.enabled) reserved.set(cfg.nginxGateway.namespace, "NGINX Gateway Fabric's (nginxGateway.namespace)");
    if (cfg.dashboard.enabled) reserved.set(cfg.dashboard.namespace, "the dashboard's (dashboard.namespace)");
    if (cfg.nodeExporter.enabled) reserved.set(cfg.nodeExporter.namespace, "node-exporter's (nodeExporter.namespace)");
    if (cfg.verify.enabled) reserved.set(cfg.verify.namespace, "the verify step's (verify.namespace)");
    const reported = new Set<string>();
    for (const { path, namespace } of appNamespaces(cfg)) {
        const owner = reserved.get(namespace);
        const key = path.join(".");
        if (owner !== undefined && !reported.has(key)) {
            reported.add(key);
            add(
                path,
                `${renderValue(namespace)} is ${owner} namespace (expected an app namespace: app namespaces get Pod Security level "${cfg.security.appNamespaceLevel}" and a default-deny NetworkPolicy)`,
            );
        }
    }
}

/**
 * Every namespace the config uses, with the Pod Security Standards level it enforces. A namespace used
 * by two parts gets the more permissive of their levels. kube-system is never labelled.
 * - MetalLB's speaker (host network, NET_RAW) and node-exporter (host network, PID, paths): privileged;
 * - ingress-nginx, NGINX Gateway Fabric and the dashboard (charts we do not control): baseline;
 * - everything else: `security.appNamespaceLevel` (restricted unless relaxed).
 */
export function namespacePlan(cfg: SecurityView): Record<string, Level> {
    const plan: Record<string, Level> = {};
    const use = (ns: string | undefined, level: Level) => {
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
    if (cfg.verify.enabled) use(cfg.verify.namespace, "restricted");
    return plan;
}

/**
 * The NetworkPolicy openings of every app namespace (empty when `security.networkPolicies` is false):
 * each release's pods on its port, from the ingress controller and its own namespace, and from
 * anywhere when a NodePort or LoadBalancer Service publishes it; MinIO's API from its namespace, and
 * from anywhere when its LoadBalancer is on.
 */
export function networkPolicyPlan(cfg: SecurityView): Record<string, WorkloadOpening[]> {
    if (!cfg.security.networkPolicies) {
        return {};
    }
    const plan: Record<string, WorkloadOpening[]> = {};
    const open = (ns: string, opening: WorkloadOpening) => {
        const list = (plan[ns] ??= []);
        if (!list.some((o) => o.name === opening.name)) list.push(opening);
    };
    for (const [name, r] of Object.entries(cfg.releases)) {
        const published = r.services.some((s) => s.type === "NodePort" || s.type === "LoadBalancer");
        const from: WorkloadOpening["from"] = published ? ["anywhere"] : cfg.ingressNginx.enabled ? ["ingressController", "sameNamespace"] : ["sameNamespace"];
        const tracks = tracksOf(name, r);
        const opening = { name, podSelector: { app: tracks.app }, ports: [r.port], from };
        const gateway = r.split === "gateway" ? tracks.entry : undefined;
        // Who carries the Gateway's traffic: a data plane in another namespace (k3s's Traefik in
        // kube-system), or NGINX Gateway Fabric's in the Gateway's own namespace — let in to a track
        // elsewhere.
        const dataPlane = gateway === undefined ? undefined : (r.gateway?.dataPlaneNamespace ?? r.namespace);
        // The verify Job's pods request every track (issue 22); a published track is open to them already.
        const verifier = cfg.verify.enabled && !published ? [cfg.verify.namespace] : [];
        const track = (ns: string): WorkloadOpening => {
            const fromNamespaces = [...(dataPlane !== undefined && dataPlane !== ns ? [dataPlane] : []), ...verifier];
            return fromNamespaces.length > 0 ? { ...opening, fromNamespaces } : opening;
        };
        open(tracks.stable.namespace, track(tracks.stable.namespace));
        if (tracks.canary !== undefined) open(tracks.canary.namespace, track(tracks.canary.namespace));
        if (gateway !== undefined && r.gateway?.dataPlaneNamespace === undefined) {
            // The data plane NGINX Gateway Fabric provisions for the Gateway: clients in on the listener's port,
            // out to the release's pods and to its control plane (the agent's connection, port 8443).
            const backends = [tracks.stable.namespace, ...(tracks.canary ? [tracks.canary.namespace] : [])];
            open(r.namespace, {
                name: `${gateway}-gateway`,
                podSelector: { [GATEWAY_NAME_LABEL]: gateway },
                ports: [80],
                from: ["anywhere"],
                egress: [
                    ...[...new Set(backends)].map((namespace) => ({ namespace, podSelector: { app: tracks.app }, ports: [r.port] })),
                    { namespace: cfg.nginxGateway.namespace, ports: [PORTS.gatewayControlPlane] },
                ],
            });
        }
    }
    if (cfg.minio.enabled) {
        open(cfg.minio.namespace, { name: cfg.minio.name, podSelector: { app: cfg.minio.name }, ports: [PORTS.minio], from: cfg.minio.loadBalancer.enabled ? ["anywhere"] : ["sameNamespace"] });
    }
    return plan;
}
