// Settings of the platform's security defaults (components/core): Pod Security levels, read-only
// root filesystems, default-deny NetworkPolicies. The namespaces' levels and the openings they make are
// the plan's (plan/security.ts).
import { z } from "zod";
import { verifyNamespaceOf } from "../plan";
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

/** The add-ons this stack declares, with their namespace key and owner's name; `installs`: the stack installs it there. */
function addOns(cfg: SecurityView): { key: string; namespace: string; owner: string; installs: boolean }[] {
    return [
        { key: "metallb.namespace", namespace: cfg.metallb.namespace, owner: "MetalLB's", enabled: cfg.metallb.enabled, installs: cfg.metallb.install },
        { key: "ingressNginx.namespace", namespace: cfg.ingressNginx.namespace, owner: "ingress-nginx's", enabled: cfg.ingressNginx.enabled, installs: cfg.ingressNginx.install },
        { key: "nginxGateway.namespace", namespace: cfg.nginxGateway.namespace, owner: "NGINX Gateway Fabric's", enabled: cfg.nginxGateway.enabled, installs: cfg.nginxGateway.install },
        { key: "dashboard.namespace", namespace: cfg.dashboard.namespace, owner: "the dashboard's", enabled: cfg.dashboard.enabled, installs: cfg.dashboard.install },
        { key: "nodeExporter.namespace", namespace: cfg.nodeExporter.namespace, owner: "node-exporter's", enabled: cfg.nodeExporter.enabled, installs: true },
    ]
        .filter((a) => a.enabled)
        .map(({ key, namespace, owner, installs }) => ({ key, namespace, owner, installs }));
}

/** What runs in the cluster's own namespaces, for the verify step's refusal. */
const BUILT_IN_PODS: Record<string, string> = {
    "kube-system": "the cluster's own namespace, where CoreDNS (and its published Services) and, on k3s, the Gateway's data plane run",
    "kube-public": "the cluster's own namespace",
    "kube-node-lease": "the cluster's own namespace",
    default: "the namespace of every pod created without one",
};

/** What makes verify.namespace one the verifier must not share: built-in pods, an add-on's or a Gateway data plane's; undefined when it is free. */
function verifyNamespaceClash(cfg: SecurityView): string | undefined {
    const ns = cfg.verify.namespace;
    const addOn = addOns(cfg).find((a) => a.namespace === ns);
    const dataPlane = Object.entries(cfg.releases).find(([, r]) => r.split === "gateway" && r.gateway?.dataPlaneNamespace === ns);
    if (BUILT_IN_PODS[ns] !== undefined) return BUILT_IN_PODS[ns];
    if (addOn !== undefined) return `${addOn.owner} (${addOn.key}) namespace`;
    if (dataPlane !== undefined) return `the Gateway data plane's namespace (releases.${dataPlane[0]}.gateway.dataPlaneNamespace)`;
    return undefined;
}

/**
 * Namespaces that app objects must stay out of: the cluster's own and those of the add-ons this stack
 * runs. An app namespace gets the apps' Pod Security level and a default-deny NetworkPolicy, which
 * would stop MetalLB's speaker, the ingress controller or the cluster's DNS.
 *
 * And namespaces whose every pod the apps' NetworkPolicies admit hold only the part they are admitted
 * for: the verify step's (admitted as the verifier) holds no add-on, data plane or built-in pods, and
 * ingress-nginx's (admitted as the ingress controller) no other add-on this stack installs.
 */
export function securityChecks(cfg: SecurityView, add: Report): void {
    // The verify step's namespace, when it is one the verifier must not share: one line, on verify.namespace.
    const verifyNamespace = verifyNamespaceOf(cfg);
    const verifyClash = verifyNamespace !== undefined ? verifyNamespaceClash(cfg) : undefined;
    if (verifyClash !== undefined) {
        add(
            ["verify", "namespace"],
            `${renderValue(cfg.verify.namespace)} is ${verifyClash} (expected a namespace of the verify Job's own, such as "platform-verify": the apps' NetworkPolicies admit every pod of verify.namespace as the verifier)`,
        );
    }
    const reserved = new Map<string, string>([
        ["kube-system", "the cluster's own"],
        ["kube-public", "the cluster's own"],
        ["kube-node-lease", "the cluster's own"],
    ]);
    for (const a of addOns(cfg)) reserved.set(a.namespace, `${a.owner} (${a.key})`);
    if (verifyNamespace !== undefined && verifyClash === undefined) reserved.set(verifyNamespace, "the verify step's (verify.namespace)");
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
    const ingress = addOns(cfg).find((a) => a.key === "ingressNginx.namespace");
    if (ingress !== undefined) {
        for (const a of addOns(cfg)) {
            if (a.key !== ingress.key && a.installs && a.namespace === ingress.namespace) {
                add(
                    a.key.split("."),
                    `${renderValue(a.namespace)} is ingress-nginx's (ingressNginx.namespace) namespace (expected a namespace of its own: the apps' NetworkPolicies admit every pod of ingressNginx.namespace as the ingress controller)`,
                );
            }
        }
    }
}
