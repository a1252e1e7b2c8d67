// Settings of the platform's security defaults (components/core): Pod Security levels, read-only
// root filesystems, default-deny NetworkPolicies. The namespaces' levels and the openings they make are
// the plan's (plan/security.ts).
import { z } from "zod";
import { tracksOf } from "./apps";
import type { accessSchema } from "./access";
import type { releasesSchema } from "./apps";
import type { dashboardSchema, ingressNginxSchema, metallbSchema, nginxGatewaySchema } from "./network";
import type { nodeExporterSchema } from "./observability";
import type { minioSchema } from "./storage";
import type { verifySchema } from "./verify";
import { bool, ConfigPath, dnsLabel, expected, renderValue, Report, strict } from "./primitives";

export { BUILT_IN_NAMESPACES } from "../components/core/constants";
export { namespacePlan, networkPolicyPlan } from "../plan";

export const securitySchema = strict({
    appNamespaceLevel: z
        .enum(["restricted", "baseline", "privileged"], expected('"restricted", "baseline" or "privileged"'))
        .default("restricted")
        .describe("Pod Security Standards level enforced on the app namespaces."),
    readOnlyRootFilesystem: bool.default(true).describe("Mount the app containers' root filesystem read-only (a writable /tmp stays)."),
    networkPolicies: bool.default(true).describe("Default-deny NetworkPolicies in the app namespaces, opened only for DNS, the ingress controller and published ports."),
    extraSourceNamespaces: z.array(dnsLabel, expected("a list of namespace names")).default([]).describe("More namespaces whose pods may reach the apps and MinIO (e.g. a monitoring namespace)."),
});

/** The parts of the config the security rules read (parsed, each area's schema output). */
interface SecurityView {
    readonly metallb: z.output<typeof metallbSchema>;
    readonly ingressNginx: z.output<typeof ingressNginxSchema>;
    readonly nginxGateway: z.output<typeof nginxGatewaySchema>;
    readonly dashboard: z.output<typeof dashboardSchema>;
    readonly nodeExporter: z.output<typeof nodeExporterSchema>;
    readonly releases: z.output<typeof releasesSchema>;
    readonly minio: z.output<typeof minioSchema>;
    readonly access: z.output<typeof accessSchema>;
    readonly security: z.output<typeof securitySchema>;
    readonly verify: z.output<typeof verifySchema>;
}

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
