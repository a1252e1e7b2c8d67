// The one place that reads stack configuration: it reads every key once, checks it against the
// schema below and hands typed values to index.ts. Components never read config.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { rollingProblem } from "./components/apps/strategy";
import type { WorkloadOpening } from "./components/core";
import type { HostsArgs, HostSteps, Inventory } from "./components/hosts";
import { DASHBOARD_CHART_DEFAULT, INGRESS_NGINX_CHART_DEFAULT, METALLB_CHART_DEFAULT } from "./components/network";
import { parseIpv4, parseIpv4Range, poolContains } from "./components/network/ipv4";
import { NODE_EXPORTER_IMAGE_DEFAULT } from "./components/observability";
import { MINIO_IMAGE_DEFAULT } from "./components/storage";

// Pinned versions live beside the component that uses them (one line each to bump); the schema's
// defaults are those constants.
const METALLB_CHART = METALLB_CHART_DEFAULT;
const INGRESS_NGINX_CHART = INGRESS_NGINX_CHART_DEFAULT;
const DASHBOARD_CHART = DASHBOARD_CHART_DEFAULT;
const MINIO_IMAGE = MINIO_IMAGE_DEFAULT;
const NODE_EXPORTER_IMAGE = NODE_EXPORTER_IMAGE_DEFAULT;

/** The Pulumi project name: the namespace of every config key. */
const PROJECT = "bare-metal-platform";

/** Namespaces that exist in every cluster: never created, never deleted by this program. */
export const BUILT_IN_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease"];

// ---------------------------------------------------------------------------------------------
// Schema helpers. Every message names what is allowed; the key and value are added by
// formatIssue, so a bad value reads: `key: "value" is not <what is allowed>`.
// ---------------------------------------------------------------------------------------------

/** Renders a config value for an error message (JSON, shortened). */
export function renderValue(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** An error option whose message reads `"value" is not <expected>` (or `is required; …`). */
function expected(what: string) {
    return {
        error: (issue: { input?: unknown }) => (issue.input === undefined ? `is required (expected ${what})` : `${renderValue(issue.input)} is not ${what}`),
    };
}

/** A string matching `pattern`; anything else reads `"value" is not <what>`. */
function matching(pattern: RegExp, what: string) {
    return z.string(expected(what)).regex(pattern, expected(what));
}

/** An object schema whose missing value is its own defaults (every key at its default). */
function withDefaults<T extends z.ZodObject>(schema: T) {
    return schema.default(schema.parse({}) as z.core.util.NoUndefined<z.output<T>>);
}

/** A non-empty string; anything else reads `"value" is not <what>`. */
function nonEmpty(what: string) {
    return z.string(expected(what)).min(1, expected(what));
}

/** A strict object: an unknown key is an error that lists the allowed ones. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) => {
            if (issue.code === "unrecognized_keys") {
                return `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")} (allowed: ${allowed})`;
            }
            return issue.input === undefined ? `is required (expected an object with keys ${allowed})` : `${renderValue(issue.input)} is not an object (expected keys ${allowed})`;
        },
    });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const dnsLabel = z.string(expected("a DNS label (lowercase letters, digits and '-', at most 63)")).regex(DNS_LABEL, expected("a DNS label (lowercase letters, digits and '-', at most 63)"));
const dnsName = z.string(expected("a DNS name (lowercase letters, digits, '-' and '.')")).regex(DNS_SUBDOMAIN, expected("a DNS name (lowercase letters, digits, '-' and '.')"));
const bool = z.boolean(expected("true or false"));

function intIn(min: number, max: number) {
    const what = `a whole number from ${min} to ${max}`;
    return z.number(expected(what)).int(expected(what)).min(min, expected(what)).max(max, expected(what));
}

/** A chart source: repository URL and an exact version (no ranges). */
function chartSource(defaults: { repo: string; version: string }) {
    return strict({
        repo: z
            .string(expected("an http(s) chart repository URL"))
            .regex(/^(https?|oci):\/\/\S+$/, expected("an http(s) or oci:// chart repository URL"))
            .default(defaults.repo),
        version: z
            .string(expected('an exact chart version such as "1.2.3"'))
            .regex(/^\d+\.\d+\.\d+$/, expected('an exact chart version such as "1.2.3" (ranges and "latest" are not allowed)'))
            .default(defaults.version),
    }).default(defaults);
}

/** An image reference pinned by tag or digest, never `latest`. */
const pinnedImage = z
    .string(expected('an image pinned by tag, such as "repo/name:1.2.3"'))
    .regex(/^[a-z0-9][a-z0-9._\-/:]*[:@][A-Za-z0-9._\-:]+$/, expected('an image pinned by tag or digest, such as "repo/name:1.2.3"'))
    .refine((s) => !/:latest$/.test(s), expected('an image pinned by tag or digest (":latest" is not a pin)'));

const ipv4Address = z.string(expected('an IPv4 address such as "172.17.255.2"')).refine((s) => parseIpv4(s) !== undefined, expected('an IPv4 address such as "172.17.255.2"'));
const ipv4Pool = z
    .string(expected('an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)'))
    .refine((s) => parseIpv4Range(s) !== undefined, expected('an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)'));

/** maxSurge / maxUnavailable: a whole number or a percentage, as Kubernetes takes them. */
const INT_OR_PERCENT = 'a whole number or a percentage from "0%" to "100%"';
const intOrPercent = z.union([intIn(0, 1000), z.string().regex(/^(100|[1-9]?\d)%$/, expected(INT_OR_PERCENT))], expected(INT_OR_PERCENT));
const quantity = matching(/^[1-9]\d*(Ki|Mi|Gi|Ti|Pi|M|G|T)$/, 'a storage quantity such as "10Gi"');
const cpu = matching(/^(\d+m|\d+(\.\d+)?)$/, 'a CPU quantity such as "100m" or "1"');
const memory = matching(/^\d+(Ki|Mi|Gi)$/, 'a memory quantity such as "64Mi"');
const version = matching(/^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/, 'an app version such as "1.0"');

const resources = strict({
    requests: withDefaults(strict({ cpu: cpu.default("10m"), memory: memory.default("16Mi") })),
    limits: withDefaults(strict({ cpu: cpu.default("100m"), memory: memory.default("64Mi") })),
});

// ---------------------------------------------------------------------------------------------
// Key schemas
// ---------------------------------------------------------------------------------------------

const strategySchema = z.discriminatedUnion(
    "type",
    [
        strict({
            type: z.literal("rolling"),
            maxSurge: intOrPercent.default("25%"),
            maxUnavailable: intOrPercent.default("25%"),
        }),
        strict({ type: z.literal("recreate") }),
        strict({ type: z.literal("blueGreen") }),
        strict({ type: z.literal("reverse") }),
    ],
    expected('a strategy with type "rolling", "recreate", "blueGreen" or "reverse"'),
);

const trackShape = {
    /** Deployment name; defaults to the release name (stable) or `<release>-canary`. */
    name: dnsLabel.optional(),
    /** Namespace of this track; defaults to the release's namespace. */
    namespace: dnsLabel.optional(),
    version: version.default("1.0"),
    replicas: intIn(0, 1000).default(1),
    /** The lab's broken release: the container command is `false`, so it never starts. */
    broken: bool.default(false),
};

const serviceSchema = strict({
    name: dnsLabel,
    type: z.enum(["ClusterIP", "Headless", "NodePort", "LoadBalancer"], expected('one of "ClusterIP", "Headless", "NodePort", "LoadBalancer"')).default("ClusterIP"),
    port: intIn(1, 65535).default(80),
    /** LoadBalancer only: a fixed address from the MetalLB pool. */
    loadBalancerIP: ipv4Address.optional(),
});

const releaseSchema = strict({
    namespace: dnsLabel.default("default"),
    /** Value of the `app` label on every object of the release. Defaults to the release name. */
    app: dnsLabel.optional(),
    /** Port nginx listens on inside the container (unprivileged, so ≥ 1024). */
    port: intIn(1024, 65535).default(8080),
    /** How the page reaches nginx: mounted from the ConfigMap, or copied by an init container into an emptyDir. */
    pageDelivery: z.enum(["configMap", "initContainer"], expected('"configMap" or "initContainer"')).default("configMap"),
    split: z.enum(["replicas", "ingress"], expected('"replicas" (one Service over both tracks) or "ingress" (canary Ingress)')).default("replicas"),
    strategy: strategySchema.default({ type: "rolling", maxSurge: "25%", maxUnavailable: "25%" }),
    stable: strict(trackShape),
    canary: strict({
        ...trackShape,
        /** split "ingress": share of requests (0 to 100) sent to the canary. */
        weight: intIn(0, 100).default(0),
        /** split "ingress": requests with this header set to "always" reach the canary. */
        header: matching(/^[A-Za-z0-9-]{1,64}$/, "an HTTP header name").default("canary"),
    }).optional(),
    services: z.array(serviceSchema, expected("a list of services")).min(1, expected("a non-empty list of services")),
    ingress: strict({
        /** Name of the main Ingress; the canary one is `<name>-canary`. */
        name: dnsLabel.optional(),
        host: dnsName.optional(),
        path: z
            .string(expected('an absolute path such as "/web"'))
            .regex(/^\/[A-Za-z0-9._~\-/]*$/, expected('an absolute path such as "/web"'))
            .default("/"),
        /** Service (from `services`) the main Ingress routes to; defaults to the first. */
        service: dnsLabel.optional(),
        rewriteTarget: z.string().optional(),
    }).optional(),
    resources: withDefaults(resources),
});

const clusterSchema = strict({
    /** kubeconfig context to target; defaults to the kubeconfig's current context. */
    context: nonEmpty("a kubeconfig context name").optional(),
    /** Path to a kubeconfig file (or its contents); defaults to $KUBECONFIG or ~/.kube/config. */
    kubeconfig: nonEmpty("a kubeconfig path or contents").optional(),
    /** Render manifests into this folder instead of applying them. */
    renderYamlTo: nonEmpty("a folder path").optional(),
});

const metallbSchema = strict({
    enabled: bool.default(true),
    /** false: use a MetalLB that is already installed (only the pool is declared). */
    install: bool.default(true),
    namespace: dnsLabel.default("metallb-system"),
    chart: chartSource(METALLB_CHART),
    poolName: dnsLabel.default("default"),
    addresses: z.array(ipv4Pool, expected("a list of IPv4 ranges or CIDRs")).min(1, expected("a non-empty list of IPv4 ranges or CIDRs")).default(["172.17.255.1-172.17.255.255"]),
});

const ingressNginxSchema = strict({
    enabled: bool.default(true),
    install: bool.default(true),
    namespace: dnsLabel.default("ingress-nginx"),
    chart: chartSource(INGRESS_NGINX_CHART),
    className: dnsLabel.default("nginx"),
    /** A fixed address from the MetalLB pool for the controller's LoadBalancer Service. */
    loadBalancerIP: ipv4Address.optional(),
    replicas: intIn(1, 10).default(1),
});

const corednsSchema = strict({
    enabled: bool.default(false),
    /** The one address both Services share. */
    address: ipv4Address.default("172.17.255.2"),
    sharingKey: dnsLabel.default("coredns"),
});

const dashboardSchema = strict({
    enabled: bool.default(false),
    install: bool.default(true),
    namespace: dnsLabel.default("kubernetes-dashboard"),
    chart: chartSource(DASHBOARD_CHART),
    path: z
        .string()
        .regex(/^\/[a-z0-9-]+$/, expected('a path such as "/dashboard"'))
        .default("/dashboard"),
    host: dnsName.optional(),
});

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"] as const;
const ruleSchema = strict({
    apiGroups: z.array(z.string(expected('an API group ("" is the core group)')), expected("a list of API groups")).default([""]),
    resources: z.array(matching(/^(\*|[a-z]+(\/[a-z]+)?)$/, 'a resource name such as "pods"'), expected("a list of resources")).min(1, expected("a non-empty list of resources")),
    verbs: z.array(z.enum(VERBS, expected(`a verb (${VERBS.join(", ")})`)), expected("a list of verbs")).min(1, expected("a non-empty list of verbs")),
});

const accessSchema = strict({
    accounts: z
        .array(
            strict({
                name: dnsLabel,
                namespace: dnsLabel.default("default"),
                /** What the account may do; absent: nothing (the lab's dave). */
                grant: strict({
                    clusterRole: dnsName,
                    /** Absent: cluster-wide (ClusterRoleBinding); present: only in this namespace (RoleBinding). */
                    namespace: dnsLabel.optional(),
                }).optional(),
            }),
            expected("a list of accounts"),
        )
        .default([]),
    groups: z
        .array(
            strict({
                /** Every ServiceAccount of this namespace (Group system:serviceaccounts:<namespace>). */
                namespace: dnsLabel,
                /** Name of the ClusterRole (and its binding) created for the group. */
                clusterRole: dnsName,
                rules: z.array(ruleSchema, expected("a list of RBAC rules")).min(1, expected("a non-empty list of RBAC rules")),
            }),
            expected("a list of group grants"),
        )
        .default([]),
});

const MINIO_PIN = 'a MinIO image pinned by release tag, such as "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"';
const minioSchema = strict({
    enabled: bool.default(true),
    namespace: dnsLabel.default("default"),
    name: dnsLabel.default("minio"),
    image: z
        .string(expected(MINIO_PIN))
        .regex(/^[a-z0-9][a-z0-9._\-/]*:RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/, expected(MINIO_PIN))
        .default(MINIO_IMAGE),
    storage: withDefaults(strict({ size: quantity.default("10Gi"), storageClass: dnsName.optional() })),
    loadBalancer: withDefaults(strict({ enabled: bool.default(true), name: dnsLabel.default("minio-svc-lb"), loadBalancerIP: ipv4Address.optional() })),
    resources: resources.default({ requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } }),
});

const nodeExporterSchema = strict({
    enabled: bool.default(false),
    namespace: dnsLabel.default("monitoring"),
    image: pinnedImage.default(NODE_EXPORTER_IMAGE),
});

const securitySchema = strict({
    /** Pod Security Standards level for the app namespaces ("restricted" unless relaxed). */
    appNamespaceLevel: z.enum(["restricted", "baseline", "privileged"], expected('"restricted", "baseline" or "privileged"')).default("restricted"),
    /** Mount the app containers' root filesystem read-only. */
    readOnlyRootFilesystem: bool.default(true),
    /** Default-deny NetworkPolicies in the app namespaces, opened only for DNS, the ingress controller and published ports. */
    networkPolicies: bool.default(true),
    /** More namespaces whose pods may reach the apps and MinIO (e.g. a monitoring namespace). */
    extraSourceNamespaces: z.array(dnsLabel, expected("a list of namespace names")).default([]),
});

const HOST_ADDRESS = 'an IPv4 address or a DNS name such as "10.0.0.2"';
const hostAddress = z.string(expected(HOST_ADDRESS)).refine((a) => parseIpv4(a) !== undefined || (DNS_SUBDOMAIN.test(a) && !/^[\d.]+$/.test(a)), expected(HOST_ADDRESS));
const LINUX_USER = "a Linux user name (lowercase letters, digits, '_' and '-')";
const linuxUser = matching(/^[a-z_][a-z0-9_-]{0,31}$/, LINUX_USER);
const HOST_KEY = 'an SSH public host key such as "ssh-ed25519 AAAA…"';
const PACKAGE = 'a package name such as "docker"';
const packageName = matching(/^@?\^?[A-Za-z0-9][A-Za-z0-9+._-]*$/, PACKAGE);
const URL_WHAT = "an http(s) URL";
const httpUrl = matching(/^https?:\/\/\S+$/, URL_WHAT);
const ABS_PATH = 'an absolute path such as "/tmp/artifact.tar.gz"';
const absPath = matching(/^\/[^\0]*$/, ABS_PATH);
const PORT_MAP = 'a port mapping "host:container" such as "80:80"';

const hostSchema = strict({
    name: dnsLabel,
    address: hostAddress,
    /** Defaults to hosts.port. */
    port: intIn(1, 65535).optional(),
    /** Defaults to hosts.user. */
    user: linuxUser.optional(),
    /** Pinned host key; absent: not checked. */
    hostKey: z
        .string(expected(HOST_KEY))
        .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$/, expected(HOST_KEY))
        .optional(),
});

const FEDORA_41 = "http://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64";
const FEDORA_41_UPDATES = "http://mirrors.fedoraproject.org/mirrorlist?repo=updates-released-f41&arch=x86_64";
const LAB_UNIT = { enabled: true, name: "nginx-container", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] };

const hostsSchema = strict({
    enabled: bool.default(false),
    /** SSH user of every host unless a host says otherwise (the lab's `ansible`). */
    user: linuxUser.default("ansible"),
    port: intIn(1, 65535).default(22),
    /** Group → hosts, as the lab's inventory.ini (Orchestrators, Endpoints). */
    groups: z
        .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/), z.array(hostSchema, expected("a list of hosts")).min(1, expected("a non-empty list of hosts")), {
            error: (issue) =>
                issue.code === "invalid_key"
                    ? `${renderValue(issue.input)} is not a group name (expected letters, digits and '_', such as "Endpoints")`
                    : expected("a map of group name to hosts").error(issue),
        })
        .default({}),
    reach: withDefaults(
        strict({
            attempts: intIn(1, 20).default(3),
            perDialTimeoutSeconds: intIn(1, 300).default(10),
            commandTimeoutSeconds: intIn(10, 7200).default(1200),
        }),
    ),
    /** Where the inventory copy goes, relative to the user's home. */
    inventoryPath: nonEmpty("a file path").default("inventory.ini"),
    packages: withDefaults(
        strict({
            enabled: bool.default(true),
            update: bool.default(true),
            install: z.array(packageName, expected("a list of package names")).default([]),
            restart: z.array(dnsName, expected("a list of service names")).default(["sshd", "rngd"]),
            /** A local mirror: an apt sources line and/or a dnf baseurl (for hosts without the internet). */
            mirror: strict({
                apt: matching(/^deb (\[[^\]]*\] )?\S+ \S+/, 'an apt sources line such as "deb http://mirror/debian bookworm main"').optional(),
                dnf: httpUrl.optional(),
            }).optional(),
        }),
    ),
    docker: withDefaults(strict({ enabled: bool.default(true) })),
    /** The lab's container as a systemd unit (image, ports, restart always). */
    service: strict({
        enabled: bool.default(true),
        name: dnsLabel.default(LAB_UNIT.name),
        image: pinnedImage.default(LAB_UNIT.image),
        ports: z.array(matching(/^\d{1,5}:\d{1,5}$/, PORT_MAP), expected(`a list of port mappings`)).default(LAB_UNIT.ports),
    }).default(LAB_UNIT),
    /** The artifact flow: copy a tarball, run a command in a container with it mounted, keep its output. */
    artifact: strict({
        source: nonEmpty("a local file path"),
        remotePath: absPath.default("/tmp/artifact.tar.gz"),
        image: pinnedImage,
        mountPath: absPath.default("/artifact.tar.gz"),
        command: nonEmpty("a shell command"),
        containerName: dnsLabel.default("artifact"),
    }).optional(),
    k3s: withDefaults(
        strict({
            enabled: bool.default(false),
            version: matching(/^v\d+\.\d+\.\d+\+k3s\d+$/, 'a k3s release such as "v1.34.1+k3s1"').default("v1.34.1+k3s1"),
            /** The install script (a local copy for hosts without the internet). */
            installScriptUrl: httpUrl.default("https://get.k3s.io"),
            serverGroup: z.string().default("Orchestrators"),
            agentGroup: z.string().default("Endpoints"),
        }),
    ),
    kickstart: strict({
        enabled: bool.default(false),
        /** Where the file is written (point inst.ks= at a URL serving it). */
        path: nonEmpty("a file path").default("rendered/kickstart/ks.cfg"),
        hostname: dnsLabel,
        timezone: matching(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'a timezone such as "Europe/Warsaw"').default("Europe/Warsaw"),
        lang: matching(/^[a-z]{2,3}_[A-Z]{2}(\.UTF-8)?$/, 'a locale such as "pl_PL.UTF-8"').default("pl_PL.UTF-8"),
        keyboard: matching(/^[a-z]{2}(-[a-z0-9]+)?$/, 'a keymap such as "us"').default("us"),
        mirrorlist: httpUrl.default(FEDORA_41),
        repos: z.array(strict({ name: dnsLabel, mirrorlist: httpUrl }), expected("a list of repositories")).default([{ name: "update", mirrorlist: FEDORA_41_UPDATES }]),
        user: linuxUser.default("ansible"),
        disk: matching(/^[a-z]+[0-9a-z]*$/, 'a disk name such as "sda"').default("sda"),
        packages: z.array(packageName, expected("a list of package names")).default(["@^custom-environment", "docker", "git", "tar", "wget"]),
    }).optional(),
});

const rolloutTimeoutSeconds = intIn(10, 3600);

/** The raw shape of every config key this program reads, keyed as in `pulumi config`. */
export const configSchema = strict({
    cluster: withDefaults(clusterSchema),
    rolloutTimeoutSeconds: rolloutTimeoutSeconds.default(600),
    releases: z
        .record(dnsLabel, releaseSchema, {
            error: (issue) =>
                issue.code === "invalid_key"
                    ? `${renderValue(issue.input)} is not a release name (expected a DNS label: lowercase letters, digits and '-', at most 63)`
                    : expected("a map of release name to release").error(issue),
        })
        .default({}),
    metallb: withDefaults(metallbSchema),
    ingressNginx: withDefaults(ingressNginxSchema),
    coredns: withDefaults(corednsSchema),
    dashboard: withDefaults(dashboardSchema),
    access: withDefaults(accessSchema),
    minio: withDefaults(minioSchema),
    nodeExporter: withDefaults(nodeExporterSchema),
    security: withDefaults(securitySchema),
    hosts: withDefaults(hostsSchema),
    /** Private key of the hosts' SSH user (secret). */
    hostsSshPrivateKey: z
        .string({ error: () => "is not a string (expected an OpenSSH private key, set with --secret)" })
        .refine((k) => /^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(k.trim()), {
            error: () => "(a secret) is not a PEM private key (expected -----BEGIN OPENSSH PRIVATE KEY-----, as ssh-keygen writes it)",
        })
        .optional(),
    /** Password of the Kickstart's user (secret; only its SHA-512-crypt hash reaches the file). */
    kickstartPassword: z
        .string({ error: () => "is not a string (expected a secret of at least 8 characters)" })
        .min(8, { error: (issue) => `(a secret of ${String(issue.input).length} characters) is too short (expected at least 8 characters)` })
        .optional(),
    minioRootUser: z.string(expected("a user name of at least 3 characters")).min(3, expected("a user name of at least 3 characters")).optional(),
    // The password is never echoed: its message only gives its length.
    minioRootPassword: z
        .string({ error: () => "is not a string (expected a secret of at least 8 characters)" })
        .min(8, { error: (issue) => `(a secret of ${String(issue.input).length} characters) is too short (expected at least 8 characters, as MinIO requires)` })
        .optional(),
});

/** Config keys that must be set with `pulumi config set --secret`. */
export const SECRET_KEYS: readonly string[] = ["minioRootUser", "minioRootPassword", "hostsSshPrivateKey", "kickstartPassword"];

// ---------------------------------------------------------------------------------------------
// Rules across keys: the lab's mistakes that the API server or the controllers only reveal later.
// ---------------------------------------------------------------------------------------------

type RawConfig = z.output<typeof configSchema>;

function crossChecks(cfg: RawConfig, ctx: z.RefinementCtx): void {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const pool = cfg.metallb.addresses;
    const inPool = (path: (string | number)[], ip: string | undefined) => {
        // A malformed address has its own message already.
        if (ip !== undefined && parseIpv4(ip) !== undefined && !poolContains(pool, ip)) {
            add(path, `${renderValue(ip)} is outside the MetalLB pool (expected an address in ${pool.join(", ")})`);
        }
    };
    for (const [name, r] of Object.entries(cfg.releases)) {
        const at = ["releases", name];
        const rolling = r.strategy.type === "rolling" ? rollingProblem(r.strategy.maxSurge, r.strategy.maxUnavailable) : undefined;
        if (rolling !== undefined) {
            add([...at, "strategy"], rolling);
        }
        const names = new Set<string>();
        r.services.forEach((s, i) => {
            if (names.has(s.name)) {
                add([...at, "services", i, "name"], `${renderValue(s.name)} is used twice (expected unique service names)`);
            }
            names.add(s.name);
            if (s.loadBalancerIP !== undefined && s.type !== "LoadBalancer") {
                add([...at, "services", i, "loadBalancerIP"], `${renderValue(s.loadBalancerIP)} is set on a ${s.type} service (expected only on type "LoadBalancer")`);
            }
            inPool([...at, "services", i, "loadBalancerIP"], s.loadBalancerIP);
        });
        if (r.ingress?.service !== undefined && !names.has(r.ingress.service)) {
            add([...at, "ingress", "service"], `${renderValue(r.ingress.service)} is not one of this release's services (expected one of ${[...names].join(", ")})`);
        }
        if (r.split === "ingress") {
            if (r.ingress === undefined) {
                add([...at, "ingress"], `is required when split is "ingress" (the canary is routed by a canary Ingress)`);
            } else if (r.ingress.host === undefined) {
                add([...at, "ingress", "host"], `is required when split is "ingress" (ingress-nginx merges a canary Ingress only into a main Ingress of the same host)`);
            }
            if (!cfg.ingressNginx.enabled) {
                add([...at, "split"], `"ingress" needs ingressNginx.enabled true (expected "replicas", or enable ingress-nginx)`);
            }
        }
        if (r.canary !== undefined) {
            const stableName = r.stable.name ?? name;
            const canaryName = r.canary.name ?? `${name}-canary`;
            const stableNs = r.stable.namespace ?? r.namespace;
            const canaryNs = r.canary.namespace ?? r.namespace;
            if (stableName === canaryName && stableNs === canaryNs) {
                add([...at, "canary", "name"], `${renderValue(canaryName)} is the stable track's Deployment name in namespace "${stableNs}" (expected a different name or namespace)`);
            }
            if (r.split === "replicas" && canaryNs !== stableNs) {
                add(
                    [...at, "canary", "namespace"],
                    `${renderValue(canaryNs)} differs from the stable track's "${stableNs}" (split "replicas" puts both tracks behind one Service, so expected the same namespace)`,
                );
            }
        }
    }
    inPool(["ingressNginx", "loadBalancerIP"], cfg.ingressNginx.loadBalancerIP);
    if (cfg.coredns.enabled) {
        inPool(["coredns", "address"], cfg.coredns.address);
    }
    if (cfg.minio.enabled) {
        inPool(["minio", "loadBalancer", "loadBalancerIP"], cfg.minio.loadBalancer.loadBalancerIP);
        if (cfg.minioRootUser === undefined) {
            add(["minioRootUser"], "is required when minio.enabled is true (set it with: pulumi config set --secret minioRootUser <name>)");
        }
        if (cfg.minioRootPassword === undefined) {
            add(["minioRootPassword"], "is required when minio.enabled is true (set it with: pulumi config set --secret minioRootPassword <password>)");
        }
    }
    if (cfg.dashboard.enabled && !cfg.ingressNginx.enabled) {
        add(["dashboard", "enabled"], "true needs ingressNginx.enabled true (the dashboard is published through the ingress)");
    }
    hostChecks(cfg, add);
    const accounts = new Set<string>();
    cfg.access.accounts.forEach((a, i) => {
        const key = `${a.namespace}/${a.name}`;
        if (accounts.has(key)) {
            add(["access", "accounts", i, "name"], `${renderValue(a.name)} is declared twice in namespace "${a.namespace}" (expected unique accounts)`);
        }
        accounts.add(key);
    });
    const roles = new Set<string>();
    cfg.access.groups.forEach((g, i) => {
        if (roles.has(g.clusterRole)) {
            add(["access", "groups", i, "clusterRole"], `${renderValue(g.clusterRole)} is declared twice (expected unique ClusterRole names)`);
        }
        roles.add(g.clusterRole);
    });
}

/** Rules across the hosts keys. */
function hostChecks(cfg: RawConfig, add: (path: (string | number)[], message: string) => void): void {
    const h = cfg.hosts;
    if (h.kickstart?.enabled && cfg.kickstartPassword === undefined) {
        add(["kickstartPassword"], "is required when hosts.kickstart.enabled is true (set it with: pulumi config set --secret kickstartPassword <password>)");
    }
    if (!h.enabled) {
        return;
    }
    const groups = Object.keys(h.groups);
    if (groups.length === 0) {
        add(["hosts", "groups"], "is empty while hosts.enabled is true (expected at least one group of hosts, such as Endpoints)");
    }
    const seen = new Map<string, string>();
    for (const [group, hosts] of Object.entries(h.groups)) {
        hosts.forEach((host, i) => {
            const where = `${host.address}:${host.port ?? h.port}`;
            const before = seen.get(host.name);
            if (before !== undefined && before !== where) {
                add(["hosts", "groups", group, i, "name"], `${renderValue(host.name)} is declared twice with different addresses (${before}, ${where}) (expected one address per host name)`);
            }
            seen.set(host.name, where);
        });
    }
    if (cfg.hostsSshPrivateKey === undefined) {
        add(["hostsSshPrivateKey"], "is required when hosts.enabled is true (set it with: pulumi config set --secret hostsSshPrivateKey < ~/.ssh/id_ed25519)");
    }
    if ((h.service.enabled || h.artifact !== undefined) && !h.docker.enabled) {
        add(["hosts", "docker", "enabled"], `false, but ${h.service.enabled ? "hosts.service" : "hosts.artifact"} runs a container (expected true, or turn those off)`);
    }
    if (h.k3s.enabled) {
        if (h.groups[h.k3s.serverGroup] === undefined) {
            add(["hosts", "k3s", "serverGroup"], `${renderValue(h.k3s.serverGroup)} is not a group of hosts.groups (expected one of ${groups.join(", ")})`);
        }
        if (h.groups[h.k3s.agentGroup] === undefined) {
            add(["hosts", "k3s", "agentGroup"], `${renderValue(h.k3s.agentGroup)} is not a group of hosts.groups (expected one of ${groups.join(", ")})`);
        }
        if (cfg.cluster.kubeconfig !== undefined || cfg.cluster.context !== undefined) {
            add(["hosts", "k3s", "enabled"], "true, and cluster.kubeconfig or cluster.context is set too (expected one: the k3s cluster's kubeconfig feeds the provider)");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Typed result
// ---------------------------------------------------------------------------------------------

export type ReleaseConfig = RawConfig["releases"][string];
export type StrategyConfig = ReleaseConfig["strategy"];
export type ServiceConfig = ReleaseConfig["services"][number];
export type AccessConfig = RawConfig["access"];
export type ResourcesConfig = ReleaseConfig["resources"];

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

function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), "");
}

/** Checks raw config values (as `pulumi config` holds them, objects already parsed) and returns typed config. */
export function parseConfig(raw: Record<string, unknown>, problems: readonly string[] = []): PlatformConfig {
    const result = configSchema.superRefine(crossChecks).safeParse(raw);
    if (!result.success || problems.length > 0) {
        throw new ConfigError([...problems, ...(result.success ? [] : result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`))]);
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

/** Reads every key of the schema from the stack once; a value that is not JSON stays a string. */
export function readStackConfig(config: pulumi.Config = new pulumi.Config()): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(configSchema.shape)) {
        const text = config.get(key);
        if (text === undefined) {
            continue;
        }
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

// ---------------------------------------------------------------------------------------------
// Derived plans
// ---------------------------------------------------------------------------------------------

type Level = "restricted" | "baseline" | "privileged";
const PERMISSIVENESS: Record<Level, number> = { restricted: 0, baseline: 1, privileged: 2 };

/**
 * Every namespace the config uses, with the Pod Security Standards level it enforces. A namespace used
 * by two parts gets the more permissive of their levels. kube-system is never labelled.
 * - MetalLB's speaker (host network, NET_RAW) and node-exporter (host network, PID, paths): privileged;
 * - ingress-nginx and the dashboard (charts we do not control): baseline;
 * - everything else: `security.appNamespaceLevel` (restricted unless relaxed).
 */
export function namespacePlan(cfg: PlatformConfig): Record<string, Level> {
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
    return plan;
}

/**
 * The NetworkPolicy openings of every app namespace (empty when `security.networkPolicies` is false):
 * each release's pods on its port, from the ingress controller and its own namespace, and from
 * anywhere when a NodePort or LoadBalancer Service publishes it; MinIO's API from its namespace, and
 * from anywhere when its LoadBalancer is on.
 */
export function networkPolicyPlan(cfg: PlatformConfig): Record<string, WorkloadOpening[]> {
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
        const opening = { name, podSelector: { app: r.app ?? name }, ports: [r.port], from };
        open(r.stable.namespace ?? r.namespace, opening);
        if (r.canary !== undefined) open(r.canary.namespace ?? r.namespace, opening);
    }
    if (cfg.minio.enabled) {
        open(cfg.minio.namespace, { name: cfg.minio.name, podSelector: { app: cfg.minio.name }, ports: [9000], from: cfg.minio.loadBalancer.enabled ? ["anywhere"] : ["sameNamespace"] });
    }
    return plan;
}

/**
 * The pool addresses that Services pin by config (CoreDNS, the ingress controller, releases'
 * LoadBalancer Services, MinIO's): MetalLB keeps them out of automatic assignment.
 */
export function pinnedAddresses(cfg: PlatformConfig): string[] {
    const pinned = [
        cfg.coredns.enabled ? cfg.coredns.address : undefined,
        cfg.ingressNginx.enabled ? cfg.ingressNginx.loadBalancerIP : undefined,
        cfg.minio.enabled && cfg.minio.loadBalancer.enabled ? cfg.minio.loadBalancer.loadBalancerIP : undefined,
        ...Object.values(cfg.releases).flatMap((r) => r.services.map((s) => s.loadBalancerIP)),
    ];
    return [...new Set(pinned.filter((a): a is string => a !== undefined))].sort();
}

/** The host inventory with every host's port and user filled in from the hosts defaults. */
export function inventoryOf(cfg: PlatformConfig): Inventory {
    const h = cfg.hosts;
    return Object.fromEntries(
        Object.entries(h.groups).map(([group, hosts]) => [group, hosts.map((x) => ({ name: x.name, address: x.address, port: x.port ?? h.port, user: x.user ?? h.user, hostKey: x.hostKey }))]),
    );
}

/** The per-host steps the config turns on. */
export function hostStepsOf(cfg: PlatformConfig): HostSteps {
    const h = cfg.hosts;
    return {
        inventoryPath: h.inventoryPath,
        packages: h.packages.enabled ? { update: h.packages.update, install: h.packages.install, restart: h.packages.restart, mirror: h.packages.mirror } : undefined,
        docker: h.docker.enabled,
        service: h.service.enabled ? { name: h.service.name, image: h.service.image, ports: h.service.ports } : undefined,
        artifact: h.artifact,
    };
}

/**
 * The Hosts component's arguments: the provisioned inventory when hosts are on, the Kickstart when it
 * is on; undefined when neither is. (parseConfig sets the key and the password only when their part is on.)
 */
export function hostsPlan(cfg: PlatformConfig): HostsArgs | undefined {
    const key = cfg.hostsSshPrivateKey;
    const password = cfg.kickstartPassword;
    const kickstart = cfg.hosts.kickstart;
    if (key === undefined && password === undefined) {
        return undefined;
    }
    return {
        inventory: key !== undefined ? inventoryOf(cfg) : {},
        sshPrivateKey: key,
        steps: hostStepsOf(cfg),
        reach: cfg.hosts.reach,
        k3s: key !== undefined && cfg.hosts.k3s.enabled ? cfg.hosts.k3s : undefined,
        kickstart: kickstart !== undefined && password !== undefined ? { settings: kickstart, password, path: kickstart.path } : undefined,
    };
}
