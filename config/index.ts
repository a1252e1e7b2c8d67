// The one place that reads stack configuration: it reads every key once, checks it against the
// schemas of the areas (one module each, mirroring components/) and the rules across them, and
// hands typed values to index.ts. Components never read config.
//
//   primitives.ts    names, numbers, quantities, addresses, images, chart sources; messages
//   cluster.ts       which cluster the provider targets
//   apps.ts          the clock app's releases              (components/apps)
//   network.ts       MetalLB, ingress-nginx, CoreDNS, dashboard; load-balancer addresses (components/network)
//   access.ts        accounts and group grants              (components/access)
//   storage.ts       MinIO                                  (components/storage)
//   observability.ts node-exporter                          (components/observability)
//   maintenance.ts   disruption budgets, spread, ephemeral storage (components/core/placement)
//   security.ts      Pod Security, NetworkPolicies (components/core; their plans in plan/security.ts)
//   hosts.ts         the VMs over SSH, k3s, Kickstart       (components/hosts)
//   planChecks.ts    the plan (plan/) checked whole: each object and resource name once, selectors apart
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ROLLOUT_TIMEOUT_SECONDS } from "../components/core/constants";
import { accessChecks, accessSchema } from "./access";
import { platformPlan, type PlanInput, type PlatformPlan } from "../plan";
import { releaseChecks, releasesSchema, rolloutTimeoutSeconds, routersOf } from "./apps";
import { clusterSchema } from "./cluster";
import { hostChecks, hostsSchema } from "./hosts";
import { corednsSchema, dashboardSchema, ingressNginxSchema, metallbSchema, networkChecks, nginxGatewaySchema } from "./network";
import { nodeExporterSchema } from "./observability";
import { planChecks } from "./planChecks";
import { formatPath, Report, strict, unknownKeyLines, withDefaults } from "./primitives";
import { securityChecks, securitySchema } from "./security";
import { minioChecks, minioSchema } from "./storage";
import { verifySchema } from "./verify";

export type { AccessConfig } from "./access";
export type { ReleaseConfig, ResourcesConfig, ServiceConfig, StrategyConfig } from "./apps";
export { gatewayOf, routersOf } from "./apps";
export { hostsPlan, hostStepsOf, inventoryOf } from "./hosts";
export { budgetOf, ephemeralOf, spreadOf } from "./maintenance";
export { renderValue } from "./primitives";
export { BUILT_IN_NAMESPACES, namespacePlan, networkPolicyPlan } from "./security";

/** The Pulumi project name: the namespace of every config key. */
const PROJECT = "bare-metal-platform";

/** A secret key's schema: its messages give the value's length at most, never the value. */
function secretString(what: string, min: number, why = "") {
    return z
        .string({ error: () => `is not a string (expected ${what}, set with --secret)` })
        .min(min, { error: (issue) => `(a secret of ${String(issue.input).length} characters) is too short (expected at least ${min} characters${why})` });
}

/** The raw shape of every config key this program reads, keyed as in `pulumi config`. */
export const configSchema = strict({
    cluster: withDefaults(clusterSchema).describe("The target cluster. Not set: the kubeconfig's current context."),
    rolloutTimeoutSeconds: rolloutTimeoutSeconds.default(ROLLOUT_TIMEOUT_SECONDS),
    releases: releasesSchema,
    metallb: withDefaults(metallbSchema).describe("MetalLB: the chart and the layer 2 address pool of the LoadBalancer Services."),
    ingressNginx: withDefaults(ingressNginxSchema).describe("ingress-nginx: the chart, its IngressClass and its LoadBalancer Service."),
    nginxGateway: withDefaults(nginxGatewaySchema).describe("NGINX Gateway Fabric, the Gateway API controller for releases with split `gateway`."),
    coredns: withDefaults(corednsSchema).describe("The cluster's CoreDNS published outside the cluster on one shared address."),
    dashboard: withDefaults(dashboardSchema).describe("The Kubernetes Dashboard behind the ingress."),
    access: withDefaults(accessSchema).describe("RBAC: ServiceAccounts with their grants, and group ClusterRoles."),
    minio: withDefaults(minioSchema).describe("MinIO: a StatefulSet with its volume, Services and credentials Secret."),
    nodeExporter: withDefaults(nodeExporterSchema).describe("node-exporter as a DaemonSet on every node."),
    security: withDefaults(securitySchema).describe("The secure defaults, and how far to relax them (docs/security.md)."),
    verify: withDefaults(verifySchema).describe("The verify step inside `pulumi up`: the platform's `helm test` (docs/operations.md, The verify step)."),
    hosts: withDefaults(hostsSchema).describe("The VMs over SSH: inventory, packages, Docker, the lab's unit, the artifact, k3s and the Kickstart (docs/hosts.md)."),
    hostsSshPrivateKey: z
        .string({ error: () => "is not a string (expected an OpenSSH private key, set with --secret)" })
        .refine((k) => /^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(k.trim()), {
            error: () => "(a secret) is not a PEM private key (expected -----BEGIN OPENSSH PRIVATE KEY-----, as ssh-keygen writes it)",
        })
        .optional()
        .describe("Secret: private key of the hosts' SSH user; required when hosts.enabled (`pulumi config set --secret hostsSshPrivateKey < ~/.ssh/id_ed25519`)."),
    kickstartPassword: secretString("a secret of at least 8 characters", 8)
        .optional()
        .describe("Secret: password of the Kickstart's user, at least 8 characters; required when hosts.kickstart.enabled (only its SHA-512-crypt hash reaches the file)."),
    minioRootUser: secretString("a user name of at least 3 characters", 3).optional().describe("Secret: MinIO's root user, at least 3 characters; required when minio.enabled."),
    minioRootPassword: secretString("a secret of at least 8 characters", 8, ", as MinIO requires")
        .optional()
        .describe("Secret: MinIO's root password, at least 8 characters; required when minio.enabled."),
});

/** Config keys that must be set with `pulumi config set --secret`. */
export const SECRET_KEYS: readonly string[] = ["minioRootUser", "minioRootPassword", "hostsSshPrivateKey", "kickstartPassword"];

/** The config keys this program reads (every other key of the project is refused). */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);

type RawConfig = z.output<typeof configSchema>;

/** The rules across keys, area by area: run only on a config whose every value is well-formed. */
function crossChecks(cfg: RawConfig, add: Report): void {
    const reported = new Set<string>();
    const first: Report = (path, message) => {
        reported.add(formatPath(path));
        add(path, message);
    };
    const plan = planOf(cfg);
    releaseChecks(cfg.releases, routersOf(cfg), first);
    networkChecks(cfg, plan, first);
    minioChecks(cfg.minio, { user: cfg.minioRootUser, password: cfg.minioRootPassword }, first);
    hostChecks(cfg, first);
    accessChecks(cfg.access, first);
    securityChecks(cfg, first);
    // The general rule last, one line per setting: a setting already refused draws no second line.
    planChecks(plan, (path, message) => reported.has(formatPath(path)) || first(path, message));
}

/** The platform's plan (plan/platform.ts) for a parsed config: every object the stack declares. */
export function planOf(cfg: PlanInput): PlatformPlan {
    return platformPlan(cfg);
}

/** Validated config; secrets are wrapped as secret Outputs and never exposed as plain strings. */
export interface PlatformConfig extends Omit<RawConfig, "minioRootUser" | "minioRootPassword" | "hostsSshPrivateKey" | "kickstartPassword"> {
    readonly minioCredentials?: { readonly user: pulumi.Output<string>; readonly password: pulumi.Output<string> };
    /** The hosts' SSH private key, when hosts are enabled. */
    readonly hostsSshPrivateKey?: pulumi.Output<string>;
    /** The Kickstart user's password, when the Kickstart is enabled. */
    readonly kickstartPassword?: pulumi.Output<string>;
}

/** The error thrown for bad config: one line per problem, each naming key, value and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  ${problems.join("\n  ")}`);
        this.name = "ConfigError";
    }
}

/** One line per problem; an unknown key gets its own line, naming its full path. */
function issueLines(issue: z.core.$ZodIssue): string[] {
    return unknownKeyLines(issue) ?? [`${formatPath(issue.path)}: ${issue.message}`];
}

/**
 * Checks raw config values (as `pulumi config` holds them, objects already parsed) and returns typed
 * config. The schema first; the rules across keys only once every value is well-formed, so a
 * malformed entry never draws follow-on lines about valid ones. Each line is reported once.
 */
export function parseConfig(raw: Record<string, unknown>, problems: readonly string[] = []): PlatformConfig {
    const result = configSchema.safeParse(raw);
    const lines = [...problems];
    if (!result.success) {
        lines.push(...result.error.issues.flatMap(issueLines));
    } else {
        crossChecks(result.data, (path, message) => lines.push(`${formatPath(path)}: ${message}`));
    }
    if (lines.length > 0 || !result.success) {
        throw new ConfigError([...new Set(lines)]);
    }
    const { minioRootUser, minioRootPassword, hostsSshPrivateKey, kickstartPassword, ...rest } = result.data;
    return {
        ...rest,
        hostsSshPrivateKey: rest.hosts.enabled && hostsSshPrivateKey !== undefined ? pulumi.secret(hostsSshPrivateKey) : undefined,
        kickstartPassword: rest.hosts.kickstart?.enabled && kickstartPassword !== undefined ? pulumi.secret(kickstartPassword) : undefined,
        minioCredentials:
            rest.minio.enabled && minioRootUser !== undefined && minioRootPassword !== undefined ? { user: pulumi.secret(minioRootUser), password: pulumi.secret(minioRootPassword) } : undefined,
    };
}

/** Keys whose values are numbers in the stack file (`pulumi config` hands them over as strings). */
const NUMBER_KEYS = new Set(["rolloutTimeoutSeconds"]);

/**
 * Reads every key of the project from the stack once (`all`: `project:key` → text, as
 * `pulumi.runtime.allConfig()` gives it); a value that is not JSON stays a string. A key of the
 * project that the program does not read is kept too, so that parseConfig refuses it by name.
 */
export function readStackConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${PROJECT}:`)) {
            continue;
        }
        const key = fullKey.slice(PROJECT.length + 1);
        raw[key] = NUMBER_KEYS.has(key) || text.startsWith("{") || text.startsWith("[") ? parseJson(text) : text;
    }
    return raw;
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * The secret keys set in plain text. The CLI cannot check them: a key declared `secret: true` in
 * Pulumi.yaml must have no default (a secret cannot have one), and then every stack must set it —
 * so they are left out of Pulumi.yaml and checked here instead. Never echoes the value.
 */
export function plaintextSecrets(raw: Record<string, unknown>, isSecret: (key: string) => boolean): string[] {
    return SECRET_KEYS.filter((k) => raw[k] !== undefined && !isSecret(`${PROJECT}:${k}`)).map(
        (k) => `${k}: is set in plain text in the stack file (expected a secret: pulumi config set --secret ${k} …; the value is not shown)`,
    );
}

/** Reads and checks the stack config: the program's single entry point to configuration. */
export function loadConfig(): PlatformConfig {
    const raw = readStackConfig();
    // isConfigSecret is how @pulumi/pulumi's own Config knows a key is secret (it is not re-exported).
    const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (k: string) => boolean };
    try {
        return parseConfig(raw, plaintextSecrets(raw, isConfigSecret));
    } catch (e) {
        // A RunError ends the program with its message alone: no stack trace, no line printed twice.
        throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    }
}
