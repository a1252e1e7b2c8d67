// Where the config check is stricter than the API server on purpose: each rule, the settings it
// holds, the values it refuses and why. test/e2e/configfields.e2e.ts expects exactly these refusals
// of values the API server accepts (any other disagreement fails it), and docs/configuration.md
// lists them (test/grammar.test.ts checks that it names each one).
import { BUILT_IN_NAMESPACES } from "../components/core/constants";
import { DASHBOARD_DEFAULTS, INGRESS_NGINX_DEFAULTS, METALLB_DEFAULTS, NGINX_GATEWAY_DEFAULTS } from "../components/network";
import { NODE_EXPORTER_DEFAULTS } from "../components/observability";
import { isDns1123Label, isDns1123Subdomain, isLabelValue, parseImageReference } from "./grammar";

export interface DeliberateRule {
    /** The settings it holds, as the differential test names them. */
    readonly fields: readonly string[];
    /** The values it refuses that the API server would take. */
    readonly refuses: (value: unknown, field: string) => boolean;
    /** The rule as docs/configuration.md states it. */
    readonly rule: string;
    readonly reason: string;
}

const text = (f: (s: string) => boolean) => (v: unknown) => typeof v === "string" && f(v);
const KNOWN_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate", "approve", "sign", "attest", "use", "*"];
/** The cluster's own namespaces (all built-in ones but `default`) and the add-ons' default ones. */
const RESERVED_NAMESPACES = [
    ...BUILT_IN_NAMESPACES.filter((ns) => ns !== "default"),
    METALLB_DEFAULTS.namespace,
    INGRESS_NGINX_DEFAULTS.namespace,
    NGINX_GATEWAY_DEFAULTS.namespace,
    DASHBOARD_DEFAULTS.namespace,
    NODE_EXPORTER_DEFAULTS.namespace,
];

export const DELIBERATE_RULES: readonly DeliberateRule[] = [
    {
        fields: ["metallb.namespace", "ingressNginx.namespace", "nginxGateway.namespace", "dashboard.namespace", "nodeExporter.namespace"],
        refuses: (v, field) =>
            field === "ingressNginx.namespace"
                ? ([METALLB_DEFAULTS.namespace, NGINX_GATEWAY_DEFAULTS.namespace, DASHBOARD_DEFAULTS.namespace, NODE_EXPORTER_DEFAULTS.namespace] as readonly string[]).includes(v as string)
                : v === INGRESS_NGINX_DEFAULTS.namespace,
        rule: "an add-on this stack installs in ingress-nginx's namespace (`ingressNginx.namespace`)",
        reason: "the apps' NetworkPolicies admit every pod of ingress-nginx's namespace as the ingress controller",
    },
    {
        fields: ["*"],
        refuses: (v) => v === null,
        rule: "`null` as a setting's value",
        reason: "the API server takes null as not set; leave the key out for the default instead",
    },
    {
        fields: ["releases.<r>.namespace", "releases.<r>.stable.namespace", "minio.namespace", "access.accounts[].namespace", "access.accounts[].grant.namespace", "access.groups[].namespace"],
        refuses: (v) => typeof v === "string" && RESERVED_NAMESPACES.includes(v),
        rule: "an app namespace (releases, MinIO, accounts, group grants) that is `kube-system`, `kube-public`, `kube-node-lease` or an enabled add-on's",
        reason: "app namespaces get the apps' Pod Security level and a default-deny NetworkPolicy, which would stop the cluster's or the add-on's own pods",
    },
    {
        fields: ["releases.<r>"],
        refuses: text((s) => s.includes(".") && isDns1123Subdomain(s) && isLabelValue(s)),
        rule: "a release name with a `.` (its Deployment could take one)",
        reason: "the name is also the default name of the release's Gateway, whose data-plane Service `<name>-<class>` cannot have a `.`, and a key in `pulumi config set --path releases.<name>…`",
    },
    {
        fields: ["releases.<r>.stable.name", "metallb.poolName", "minio.name"],
        refuses: (v, field) => typeof v === "string" && v.length > ({ "releases.<r>.stable.name": 242, "metallb.poolName": 244 }[field] ?? 52),
        rule: "a name the program or a controller extends beyond its limit: a Deployment name over 242 (its ReplicaSets are `<name>-<hash>`), a pool name over 244 (`<poolName>-reserved`), a MinIO name over 52 (the StatefulSet's revision label `<name>-<hash>`)",
        reason: "the API server takes the name, but the object made from it would be refused later, by a controller",
    },
    {
        fields: ["releases.<r>.port"],
        refuses: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) < 1024,
        rule: "a container `port` below 1024",
        reason: "the nginx image runs unprivileged (restricted Pod Security, no capabilities) and cannot listen there",
    },
    {
        fields: ["releases.<r>.ingress.path"],
        refuses: text((s) => /[^A-Za-z0-9._\-/]/.test(s)),
        rule: "an Ingress path with characters other than letters, digits, `.`, `_`, `-` and `/`",
        reason: "ingress-nginx refuses them in a Prefix path (strict-validate-path-type, on by default)",
    },
    {
        fields: ["dashboard.path"],
        refuses: text((s) => !/^\/[a-z0-9-]+$/.test(s)),
        rule: "a dashboard path other than `/` and one segment of lowercase letters, digits and `-`",
        reason: "it becomes the start of the Ingress's regular-expression path, followed by a slash or the end, then anything",
    },
    {
        fields: ["releases.<r>.ingress.host", "dashboard.host"],
        refuses: (v) => v === "",
        rule: 'an empty host ("")',
        reason: "leave the key out for any host: an Ingress takes an empty host as any host, a Gateway's listener refuses it",
    },
    {
        fields: ["releases.<r>.canary.header"],
        refuses: text((s) => s.length > 0 && s.length <= 256 && /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(s) && /[^A-Za-z0-9-]/.test(s)),
        rule: "a canary header name with characters other than letters, digits and `-`",
        reason: "nginx ignores such request headers by default (ignore_invalid_headers, underscores_in_headers), so the canary would never be chosen",
    },
    {
        fields: ["access.groups[].rules[].verbs[]"],
        refuses: (v) => typeof v === "string" && !KNOWN_VERBS.includes(v),
        rule: `a verb outside ${KNOWN_VERBS.map((v) => `\`${v}\``).join(", ")}`,
        reason: "the API server stores any string, but a verb no API checks grants nothing: it is a misspelling",
    },
    {
        fields: ["access.groups[].rules[].resources[]"],
        refuses: text((s) => !/^(\*|[a-z]([-a-z0-9]*[a-z0-9])?)(\/[a-z]+)?$/.test(s)),
        rule: "a resource other than `*`, a plural name (a DNS-1035 label), `<resource>/<subresource>` or `*/<subresource>`",
        reason: "the API server stores any string, but RBAC matches only these forms: anything else grants nothing",
    },
    {
        fields: ["access.groups[].clusterRole"],
        refuses: (v) => typeof v === "string" && (["admin", "edit", "view", "cluster-admin"].includes(v) || v.startsWith("system:")),
        rule: "a group grant named `admin`, `edit`, `view`, `cluster-admin` or `system:*`",
        reason: "it would redefine a built-in ClusterRole (accounts may still bind them)",
    },
    {
        fields: ["security.extraSourceNamespaces[]"],
        refuses: text((s) => isLabelValue(s) && !isDns1123Label(s)),
        rule: "an extra source namespace that is not a namespace name (a DNS label)",
        reason: "the NetworkPolicy selects namespaces by their name label; any other value matches no namespace",
    },
    {
        fields: ["releases.<r>.gateway.className"],
        refuses: text((s) => !isDns1123Subdomain(s)),
        rule: "a Gateway's class that is not a DNS name (the Gateway API's own check takes any name up to 253)",
        reason: "GatewayClass names are DNS names: no GatewayClass could ever program that Gateway",
    },
    {
        fields: ["ingressNginx.replicas"],
        refuses: (v) => v === 0,
        rule: "`ingressNginx.replicas` 0",
        reason: "no Ingress would be served; turn ingress-nginx off with `ingressNginx.enabled: false` instead",
    },
    {
        fields: ["nodeExporter.image", "minio.image"],
        refuses: (v) => {
            if (typeof v !== "string" || v === "") return false;
            const ref = parseImageReference(v);
            return ref === undefined || (ref.tag === undefined && ref.digest === undefined) || ref.tag === "latest";
        },
        rule: "an image reference the container runtime cannot parse, or one without a tag or digest, or tagged `latest`",
        reason: "the API server does not check image references (the pull fails later), and a moving tag changes the pods without a change in the stack",
    },
    {
        fields: ["metallb.addresses[]"],
        refuses: text((s) => s.includes(":")),
        rule: "an IPv6 pool entry",
        reason: "the program's pool rules (overlaps, addresses pinned in the pool, the reserved pool) are IPv4",
    },
];
