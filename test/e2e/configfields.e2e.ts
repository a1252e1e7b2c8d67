// The config check against the real API server, field by field: for every setting that
// ends up in a Kubernetes object, seeded edge values (valid and invalid by Kubernetes' grammar) are
// judged twice — by the program's config check (parseConfig on a base config with the value at that
// setting) and by the API server, as that field of the object(s) the value becomes, in one
// `kubectl apply --dry-run=server --validate=strict` per setting. The verdicts must agree, except
// where config/deliberate.ts states the program's stricter rule. Pool entries are also judged by
// MetalLB's own grammar (its CRD stores any string; its controller parses them).
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseConfig, readStackConfig } from "../../config";
import { DELIBERATE_RULES } from "../../config/deliberate";
import { stackText } from "../configs";
import { ensureGatewayApiCrds, ROOT, run, timing } from "./lib";

const SEED = 20261201;

/** mulberry32: a small seeded generator, so that every run tries the same values. */
function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rnd = random(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
const randomString = (alphabet: string, min: number, max: number) => Array.from({ length: min + Math.floor(rnd() * (max - min + 1)) }, () => pick([...alphabet])).join("");
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

// --- edge values ----------------------------------------------------------------------------------

const label63 = "a".repeat(63);
const subdomain253 = [label63, label63, label63, "a".repeat(61)].join(".");
/** Names: DNS labels and subdomains at and over their limits, uppercase, edges, IPs, unicode, non-strings. */
const NAMES: unknown[] = [
    ...[
        "a",
        "web",
        "a-b",
        "a--b",
        "0",
        "1a",
        "a1",
        "a.b",
        "a.b.c",
        "xn--bcher-kva",
        "a..b",
        "a.-b",
        "-a",
        "a-",
        ".a",
        "a.",
        "A",
        "Web",
        "a_b",
        "a b",
        " a",
        "a ",
        "",
        "é",
        "über",
        "a/b",
        "a%b",
        ".",
        "..",
        "*",
        "*.a.b",
        "a:b",
    ],
    ...[
        "1.2.3.4",
        "010.0.0.1",
        "256.1.1.1",
        "system:x",
        label63,
        `${"a".repeat(62)}-`,
        "a".repeat(64),
        `b${"a".repeat(51)}`,
        `b${"a".repeat(52)}`,
        subdomain253,
        `${subdomain253}a`,
        `${"a".repeat(240)}.b`,
        "a".repeat(243),
    ],
    ...["1a-b.c", "a.b-c.d"],
    5,
    ...times(8, () => randomString("abcz09-.", 1, 10)),
    ...times(4, () => randomString("aZ9-._*:é", 1, 8)),
];
const NAMESPACES: unknown[] = [...NAMES.filter((v) => typeof v !== "string" || v.length <= 70), "default", "kube-system", "kube-public", "metallb-system", "ingress-nginx"];
const LABEL_VALUES: unknown[] = [...NAMES, "App", "a_b", "a.b", "v1.0", "1.0-rc.1", "1.0-", "_a", "A.B_c-D", `${"a".repeat(62)}.`];
const INTS: unknown[] = [0, 1, 80, 1023, 1024, 8080, 65535, 65536, -1, 1.5, "80", 1000, 1001, 2147483647, 2147483648, ...times(4, () => Math.floor(rnd() * 70000))];
const PERCENTS: unknown[] = [
    0,
    1,
    25,
    100,
    101,
    1000,
    2147483647,
    2147483648,
    -1,
    1.5,
    "0",
    "25",
    ...["0%", "00%", "000%", "1%", "25%", "100%", "0100%", "101%", "150%", "1000%", "99999999999999999999%", "-1%", "1.5%", "%", " 25%", "25% ", "25 %", "25%%", "%25", "", "x%"],
];
const SUFFIXES = ["", "n", "u", "m", "k", "K", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "E3", "e-3", "e+3", "E-1", "mi", "KiB", "Mb", "e", "i"];
/** Quantities: decimals and exponents with every suffix, signs, spaces, numbers and junk. */
const QUANTITIES: unknown[] = [
    ...["0", "1", "100m", "1.5", "1.5Gi", ".5", ".5Gi", "1.", "5.G", "+1", "-1", "-0", "0.0001", "0.1n", "1e-12", "2e9", "1e18", "9223372036854775807", "9223372036854775808", "1e1000", "1E"],
    ...[" 1Gi", "1Gi ", "\t2", "1 Gi", "1gi", "", "abc", "0x10", "1.5.5", "1e3e", "-", "+", ".", "-.5Ki", "１Gi", "1_000"],
    ...[1, 0.5, 1000, -1, 0],
    ...times(20, () => `${pick(["", "-", "+"])}${randomString("0123456789", 0, 4)}${pick(["", ".", `.${randomString("0123456789", 1, 3)}`])}${pick(SUFFIXES)}`),
];
const VERBS: unknown[] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
    "impersonate",
    "bind",
    "escalate",
    "approve",
    "sign",
    "attest",
    "use",
    "proxy",
    "GET",
    "Get",
    "gte",
    "read",
    "",
    "list ",
    "é",
    5,
];
const RESOURCES: unknown[] = ["pods", "pods/log", "*", "*/scale", "deployments/scale", "foo-bars", "v1things", "Pods", "pods/*", "", "pods/", "/pods", "a b", "pods.apps", "café", "-pods", "pods-", 5];
const POOLS: unknown[] = [
    ...["172.17.255.0/24", "172.17.255.1-172.17.255.9", "172.17.255.1 - 172.17.255.9", "172.17.255.5-172.17.255.5", "172.17.255.9-172.17.255.1", "10.0.0.1/24", "10.0.0.0/024", "10.0.0.0/08"],
    ...["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "010.0.0.0/24", "10.0.0.256/24", "10.0.0.1", "fd00::/120", "fd00::1-fd00::9", " 10.0.0.0/24", "10.0.0.0/24 ", "", "a-b", "10.0.0.1-"],
    ...["-10.0.0.1", "10.0.0.0/24-10.0.0.9", "10.0.0.1-10.0.0.2-10.0.0.3", "1.2.3.4/0", "0.0.0.0/0", "10.0.0.1-10.0.0.2/32", "10.0.0.1-010.0.0.2", 5],
];
const HEADERS: unknown[] = ["canary", "X-Canary", "x_canary", "X.Canary", "x~c", "a!b", "a b", "", "é", "a".repeat(64), "a".repeat(65), "a".repeat(256), "a".repeat(257), "a:b", "a/b", "1", "-", 5];
const HOSTS: unknown[] = [...NAMES, "app.local", "*.app.local", "*.local", "a.*.local", "app.local.", "10.0.0.1", "0.0.0.0"];
const PATHS: unknown[] = [
    "/",
    "/web",
    "/web/",
    "/a b",
    "/a~b",
    "/a_b",
    "/a.b",
    "/é",
    "//",
    "/a//b",
    "/./",
    "/a/./b",
    "/a/../b",
    "/a/..",
    "/a/.",
    "/a%2fb",
    "/a%20b",
    "web",
    "",
    "/a?b",
    "/a#b",
    "/a*",
    "/.well-known",
    "/..a",
    "/A",
    "/dashboard",
    "/Dash",
    "/a-b",
    5,
];
const HEX = "0123456789abcdef".repeat(4);
const IMAGES: unknown[] = [
    ...[
        "busybox:1",
        "quay.io/prometheus/node-exporter:v1.9.1",
        "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
        "reg:5000/a/b:1",
        `a@sha256:${HEX}`,
        `a:1@sha256:${HEX}`,
        "UPPER.io/a:1",
        "Busybox:1",
        "busybox",
    ],
    ...["busybox:latest", "a:", "a b:1", " a:1", "a:1 ", "", `a@sha256:${HEX.slice(0, 10)}`, "a:-1", "a___b:1", `a:${"t".repeat(129)}`, "é:1", "a/B:1", "localhost/a:1", "a//b:1", 5],
];

// --- what each value becomes ----------------------------------------------------------------------

type Obj = Record<string, any>;
const NS = "default";
const container = (over: Obj = {}) => ({ name: "c", image: "busybox:1", ...over });
const podTemplate = (labels: Obj, over: Obj = {}) => ({ metadata: { labels }, spec: { containers: [container(over)] } });
const deployment = (name: unknown, labels: Obj = { app: "x" }, spec: Obj = {}, over: Obj = {}) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: podTemplate(labels, over), ...spec },
});
const service = (name: unknown, spec: Obj = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NS },
    spec: { selector: { app: "x" }, ports: [{ name: "http", port: 80, targetPort: "http" }], ...spec },
});
const namespace = (name: unknown) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const ingress = (name: unknown, rule: Obj = {}, pathItem: Obj = {}, className: unknown = "nginx") => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: NS },
    spec: { ingressClassName: className, rules: [{ ...rule, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } }, ...pathItem }] } }] },
});
const networkPolicy = (name: unknown, podLabels: Obj, from: Obj[] = []) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: NS },
    spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [{ ...(from.length ? { from } : {}), ports: [{ protocol: "TCP", port: 8080 }] }] },
});
const statefulSet = (name: unknown, labels: Obj, claim: Obj = {}, over: Obj = {}) => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: NS, labels },
    spec: {
        replicas: 1,
        serviceName: name,
        selector: { matchLabels: labels },
        template: podTemplate(labels, over),
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } }, ...claim } }],
    },
});
const claim = (name: string, spec: Obj) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: NS }, spec: { accessModes: ["ReadWriteOnce"], ...spec } });
const clusterRole = (name: unknown, rule: Obj = {}) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"], ...rule }],
});
const clusterRoleBinding = (name: unknown, role: unknown, subject: Obj = { kind: "ServiceAccount", name: "bob", namespace: NS }) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [subject],
});
/** The HTTPRoute of a release with split "gateway" and a canary (components/apps/canaryRelease.ts). */
const route = (name: string, header: unknown, weight: unknown) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: NS },
    spec: {
        parentRefs: [{ name: "web" }],
        hostnames: ["app.local"],
        rules: [
            { matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: header, value: "always" }] }], backendRefs: [{ name: "web-canary", port: 80 }] },
            {
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                backendRefs: [
                    { name: "web", port: 80, weight: typeof weight === "number" ? 100 - weight : weight },
                    { name: "web-canary", port: 80, weight },
                ],
            },
        ],
    },
});

// --- the program's side: a base config, the value set at one setting ------------------------------

const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
const release = (over: Obj = {}) => ({ namespace: "apps", stable: {}, services: [{ name: "web-svc" }], ingress: { host: "app.local", path: "/web" }, ...over });
/** A config the program accepts: one release, MinIO, an account and a group grant, in app namespaces of their own. */
const BASE = {
    ...SECRETS,
    releases: { web: release() },
    minio: { namespace: "storage" },
    access: {
        accounts: [{ name: "bob", namespace: "apps", grant: { clusterRole: "view" } }],
        groups: [{ namespace: "apps", clusterRole: "reader", rules: [{ resources: ["pods"], verbs: ["get"] }] }],
    },
};

/** A deep copy of `doc` with `value` at `at` (objects made on the way). */
function setAt(doc: Obj, at: (string | number)[], value: unknown): Obj {
    const copy = structuredClone(doc);
    let node: any = copy;
    for (const [i, part] of at.slice(0, -1).entries()) node = node[part] ??= typeof at[i + 1] === "number" ? [] : {};
    node[at[at.length - 1]] = value;
    return copy;
}

interface Field {
    /** The setting, as config/deliberate.ts names it. */
    readonly field: string;
    readonly values: readonly unknown[];
    /** The raw config with `value` at this setting. */
    readonly config: (value: unknown) => Obj;
    /** The objects the value becomes; `id` makes names unique where the value is not the name. */
    readonly objects: (value: unknown, id: string) => Obj[];
    /** A judge besides the API server (MetalLB's grammar): why it refuses, or undefined. */
    readonly also?: (value: unknown) => string | undefined;
}

const at =
    (p: (string | number)[], base: Obj = BASE) =>
    (v: unknown) =>
        setAt(base, p, v);
const withRelease = (over: Obj) => ({ ...BASE, releases: { web: release(over) } });
const app = (v: unknown) => ({ app: v, track: "stable" });

const FIELDS: Field[] = [
    {
        field: "releases.<r>",
        values: NAMES.filter((v) => typeof v === "string"),
        config: (v) => ({ ...BASE, releases: { [v as string]: release() } }),
        // Its Deployment, page ConfigMap (named by Pulumi), Ingress, `app` label and NetworkPolicy.
        objects: (v) => [
            deployment(v, app(v)),
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${v}-stable-page-1a2b3c4d`, namespace: NS } },
            ingress(v, { host: "app.local" }, { path: "/web" }),
            networkPolicy(`allow-${v}`, { app: v }),
        ],
    },
    { field: "releases.<r>.namespace", values: NAMESPACES, config: at(["releases", "web", "namespace"]), objects: (v) => [namespace(v)] },
    { field: "releases.<r>.stable.namespace", values: NAMESPACES, config: at(["releases", "web", "stable", "namespace"], withRelease({ ingress: undefined })), objects: (v) => [namespace(v)] },
    { field: "releases.<r>.app", values: [...LABEL_VALUES, null], config: at(["releases", "web", "app"]), objects: (v, id) => [deployment(id, app(v)), networkPolicy(id, { app: v })] },
    { field: "releases.<r>.stable.name", values: NAMES, config: at(["releases", "web", "stable", "name"]), objects: (v) => [deployment(v)] },
    { field: "releases.<r>.stable.version", values: LABEL_VALUES, config: at(["releases", "web", "stable", "version"]), objects: (v, id) => [deployment(id, { app: "x", version: v })] },
    { field: "releases.<r>.stable.replicas", values: [...INTS, null, true], config: at(["releases", "web", "stable", "replicas"]), objects: (v, id) => [deployment(id, undefined, { replicas: v })] },
    {
        field: "releases.<r>.port",
        values: INTS,
        config: at(["releases", "web", "port"]),
        objects: (v, id) => [
            deployment(
                id,
                undefined,
                {},
                { ports: [{ name: "http", containerPort: v, protocol: "TCP" }], readinessProbe: { httpGet: { path: "/healthz", port: v } }, livenessProbe: { tcpSocket: { port: v } } },
            ),
            { ...networkPolicy(id, { app: "x" }), spec: { podSelector: { matchLabels: { app: "x" } }, ingress: [{ ports: [{ protocol: "TCP", port: v }] }] } },
        ],
    },
    { field: "releases.<r>.services[].name", values: NAMES, config: at(["releases", "web", "services", 0, "name"], withRelease({ ingress: undefined })), objects: (v) => [service(v)] },
    {
        field: "releases.<r>.services[].port",
        values: INTS,
        config: at(["releases", "web", "services", 0, "port"]),
        objects: (v, id) => [service(id, { ports: [{ name: "http", port: v, targetPort: "http" }] }), ingress(id, {}, { backend: { service: { name: "web", port: { number: v } } } })],
    },
    ...(
        [
            ["maxSurge", "maxUnavailable", "25%"],
            ["maxUnavailable", "maxSurge", "25%"],
            ["maxSurge", "maxUnavailable", 0],
        ] as const
    ).map(([key, other, otherValue]): Field => ({
        field: `releases.<r>.strategy.${key} (${other} ${JSON.stringify(otherValue)})`,
        values: PERCENTS,
        config: (v) => setAt(BASE, ["releases", "web", "strategy"], { type: "rolling", [key]: v, [other]: otherValue }),
        objects: (v, id) => [deployment(id, undefined, { strategy: { type: "RollingUpdate", rollingUpdate: { [key]: v, [other]: otherValue } } })],
    })),
    { field: "releases.<r>.ingress.name", values: NAMES, config: at(["releases", "web", "ingress", "name"]), objects: (v) => [ingress(v)] },
    { field: "releases.<r>.ingress.host", values: [...HOSTS, null], config: at(["releases", "web", "ingress", "host"]), objects: (v, id) => [ingress(id, { host: v })] },
    { field: "releases.<r>.ingress.path", values: PATHS, config: at(["releases", "web", "ingress", "path"]), objects: (v, id) => [ingress(id, {}, { path: v })] },
    ...(["header", "weight"] as const).map((key): Field => ({
        field: `releases.<r>.canary.${key}`,
        values: key === "header" ? HEADERS : INTS,
        config: at(["releases", "web", "canary", key], { ...BASE, nginxGateway: { enabled: true }, releases: { web: release({ split: "gateway", canary: {}, ingress: { host: "app.local" } }) } }),
        objects: (v, id) => [key === "header" ? route(id, v, 10) : route(id, "canary", v)],
    })),
    {
        field: "releases.<r>.gateway.className",
        values: NAMES,
        config: at(["releases", "web", "gateway", "className"], withRelease({ split: "gateway", ingress: { host: "app.local" } })),
        // The Gateway, and the data-plane Service the program expects its controller to name `<gateway>-<class>`.
        objects: (v, id) => [
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: { name: id, namespace: NS },
                spec: { gatewayClassName: v, listeners: [{ name: "http", protocol: "HTTP", port: 80, hostname: "app.local" }] },
            },
            service(typeof v === "string" ? `web-${v}` : v),
        ],
    },
    ...(
        [
            ["requests", "cpu", { limits: { cpu: "64", memory: "1Ei" } }],
            ["requests", "memory", { limits: { cpu: "64", memory: "1Ei" } }],
            ["limits", "cpu", { requests: { cpu: "0", memory: "0" } }],
            ["limits", "memory", { requests: { cpu: "0", memory: "0" } }],
            ["requests", "cpu", { limits: { cpu: "100m", memory: "64Mi" } }],
        ] as const
    ).map(([side, kind, other], i): Field => {
        const values = i === 4 ? ["0.1", "100m", "101m", "1e-1", "0.1001", "100000u", "100000001n", "99999999n", ".1", "1e-1m"] : QUANTITIES;
        const resources = (v: unknown) => ({
            requests: { cpu: "0", memory: "0" },
            limits: { cpu: "64", memory: "1Ei" },
            ...other,
            [side]: { ...{ cpu: "0", memory: "0" }, ...(other as Obj)[side], [kind]: v },
        });
        return {
            field: `releases.<r>.resources.${side}.${kind}${i === 4 ? " (limit 100m)" : ""}`,
            values,
            config: (v) => setAt(BASE, ["releases", "web", "resources"], resources(v)),
            objects: (v, id) => [deployment(id, undefined, {}, { resources: resources(v) })],
        };
    }),
    {
        field: "minio.storage.size",
        values: QUANTITIES,
        config: at(["minio", "storage", "size"]),
        // The StatefulSet's claim template and the claim its controller makes from it.
        objects: (v, id) => [statefulSet(id, { app: "x" }, { resources: { requests: { storage: v } } }), claim(`data-${id}-0`, { resources: { requests: { storage: v } } })],
    },
    {
        field: "minio.storage.storageClass",
        values: [...NAMES, null],
        config: at(["minio", "storage", "storageClass"]),
        objects: (v, id) => [statefulSet(id, { app: "x" }, { storageClassName: v }), claim(`data-${id}-0`, { storageClassName: v, resources: { requests: { storage: "1Gi" } } })],
    },
    {
        field: "minio.name",
        values: NAMES,
        config: at(["minio", "name"]),
        objects: (v) => [statefulSet(v, { app: v }), service(v, { clusterIP: "None", selector: { app: v } }), networkPolicy(`allow-${v}`, { app: v })],
    },
    { field: "minio.loadBalancer.name", values: NAMES, config: at(["minio", "loadBalancer", "name"]), objects: (v) => [service(v, { type: "LoadBalancer" })] },
    { field: "minio.image", values: IMAGES, config: at(["minio", "image"]), objects: (v, id) => [statefulSet(id, { app: "x" }, {}, { image: v })] },
    {
        field: "nodeExporter.image",
        values: IMAGES,
        config: (v) => setAt(BASE, ["nodeExporter"], { enabled: true, image: v }),
        objects: (v, id) => [
            { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: id, namespace: NS }, spec: { selector: { matchLabels: { app: "x" } }, template: podTemplate({ app: "x" }, { image: v }) } },
        ],
    },
    { field: "minio.namespace", values: NAMESPACES, config: at(["minio", "namespace"]), objects: (v) => [namespace(v)] },
    { field: "metallb.namespace", values: NAMESPACES, config: at(["metallb", "namespace"]), objects: (v) => [namespace(v)] },
    {
        field: "metallb.addresses[]",
        values: POOLS,
        config: at(["metallb", "addresses", 0]),
        objects: (v, id) => [{ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: id, namespace: NS }, spec: { addresses: [v] } }],
        also: metallbRefuses,
    },
    {
        field: "metallb.poolName",
        values: NAMES,
        config: at(["metallb", "poolName"]),
        objects: (v) => [
            { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: v, namespace: NS }, spec: { addresses: ["172.17.255.0/24"] } },
            { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: v, namespace: NS }, spec: { ipAddressPools: [v] } },
        ],
    },
    {
        field: "ingressNginx.className",
        values: NAMES,
        config: at(["ingressNginx", "className"]),
        objects: (v, id) => [{ apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: v }, spec: { controller: "k8s.io/ingress-nginx" } }, ingress(id, {}, {}, v)],
    },
    { field: "ingressNginx.namespace", values: NAMESPACES, config: at(["ingressNginx", "namespace"]), objects: (v) => [namespace(v)] },
    { field: "ingressNginx.replicas", values: INTS, config: at(["ingressNginx", "replicas"]), objects: (v, id) => [deployment(id, undefined, { replicas: v })] },
    {
        field: "access.accounts[].name",
        values: NAMES,
        config: at(["access", "accounts", 0, "name"]),
        objects: (v) => [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: v, namespace: NS } }, clusterRoleBinding(v, "view", { kind: "ServiceAccount", name: v, namespace: NS })],
    },
    { field: "access.accounts[].namespace", values: NAMESPACES, config: at(["access", "accounts", 0, "namespace"]), objects: (v) => [namespace(v)] },
    { field: "access.accounts[].grant.namespace", values: NAMESPACES, config: at(["access", "accounts", 0, "grant", "namespace"]), objects: (v) => [namespace(v)] },
    { field: "access.accounts[].grant.clusterRole", values: NAMES, config: at(["access", "accounts", 0, "grant", "clusterRole"]), objects: (v, id) => [clusterRoleBinding(id, v)] },
    { field: "access.groups[].namespace", values: NAMESPACES, config: at(["access", "groups", 0, "namespace"]), objects: (v) => [namespace(v)] },
    {
        field: "access.groups[].clusterRole",
        values: [...NAMES, "admin", "view", "system:auth-delegator", "My Role"],
        config: at(["access", "groups", 0, "clusterRole"]),
        objects: (v) => [clusterRole(v), clusterRoleBinding(v, v)],
    },
    { field: "access.groups[].rules[].verbs[]", values: VERBS, config: at(["access", "groups", 0, "rules", 0, "verbs", 0]), objects: (v, id) => [clusterRole(id, { verbs: [v] })] },
    { field: "access.groups[].rules[].resources[]", values: RESOURCES, config: at(["access", "groups", 0, "rules", 0, "resources", 0]), objects: (v, id) => [clusterRole(id, { resources: [v] })] },
    {
        field: "security.extraSourceNamespaces[]",
        values: LABEL_VALUES,
        config: at(["security", "extraSourceNamespaces", 0]),
        objects: (v, id) => [networkPolicy(id, { app: "x" }, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": v } } }])],
    },
    {
        field: "dashboard.path",
        values: PATHS,
        config: (v) => setAt(BASE, ["dashboard"], { enabled: true, path: v }),
        objects: (v, id) => [ingress(id, {}, { path: typeof v === "string" ? `${v}(/|$)(.*)` : v, pathType: "ImplementationSpecific" })],
    },
    { field: "dashboard.host", values: HOSTS, config: (v) => setAt(BASE, ["dashboard"], { enabled: true, host: v }), objects: (v, id) => [ingress(id, { host: v })] },
];

// --- MetalLB's grammar for pool entries (go.universe.tf/metallb internal/config ParseCIDR) --------

/** Go's net.ParseIP: dotted IPv4 without leading zeros, or IPv6 (no zone). */
function goParseIp(s: string): number[] | undefined {
    if (/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(s)) {
        const parts = s.split(".").map(Number);
        return parts.every((p) => p <= 255) ? [...Array(10).fill(0), 255, 255, ...parts] : undefined;
    }
    if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
    const halves = s.split("::");
    if (halves.length > 2) return undefined;
    const groups = (h: string) => (h === "" ? [] : h.split(":"));
    const words = (list: string[]): number[] | undefined => {
        const out: number[] = [];
        for (const [i, g] of list.entries()) {
            if (i === list.length - 1 && g.includes(".")) {
                const v4 = goParseIp(g);
                if (v4 === undefined || v4.length !== 16) return undefined;
                out.push((v4[12] << 8) | v4[13], (v4[14] << 8) | v4[15]);
            } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
            else return undefined;
        }
        return out;
    };
    const head = words(groups(halves[0]));
    const tail = halves.length === 2 ? words(groups(halves[1])) : [];
    if (head === undefined || tail === undefined) return undefined;
    const fill = 8 - head.length - tail.length;
    if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return undefined;
    return [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...tail].flatMap((w) => [w >> 8, w & 255]);
}

function metallbRefuses(value: unknown): string | undefined {
    if (typeof value !== "string") return "not a string";
    if (!value.includes("-")) {
        // net.ParseCIDR: an address, "/", a decimal prefix length (leading zeros allowed) within the family's bits.
        const [address, bits, ...more] = value.split("/");
        const ip = goParseIp(address);
        const v4 = ip !== undefined && !address.includes(":");
        if (ip === undefined || bits === undefined || more.length > 0 || !/^\d+$/.test(bits) || Number(bits) > (v4 ? 32 : 128)) return "invalid CIDR";
        return undefined;
    }
    const dash = value.indexOf("-");
    const [start, end] = [value.slice(0, dash), value.slice(dash + 1)].map((s) => goParseIp(s.trim()));
    if (start === undefined || end === undefined) return "invalid IP range";
    for (let i = 0; i < 16; i++) if (start[i] !== end[i]) return start[i] > end[i] ? "start IP is after the end IP" : undefined;
    return undefined;
}

// --- the two judges ---------------------------------------------------------------------------------

interface Verdict {
    readonly accepted: boolean;
    readonly why: string;
}

function programVerdict(doc: Obj): Verdict {
    try {
        parseConfig(readStackConfig(stackText(doc)));
        return { accepted: true, why: "accepted" };
    } catch (e) {
        return { accepted: false, why: (e as Error).message.replace(/^invalid configuration:\s*/, "").replace(/\n\s*/g, "; ") };
    }
}

/** The object's identity as kubectl prints it: `kind/name`. */
const identity = (o: Obj) => `${String(o.kind).toLowerCase()}/${String(o.metadata?.name)}`;

/** kubectl apply --dry-run=server of `objects` as one List: the identities it accepted and its error lines. */
async function dryRun(objects: Obj[]): Promise<{ accepted: Set<string>; errors: string[] }> {
    const r = await run("kubectl", ["apply", "--dry-run=server", "--validate=strict", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }), timeoutMs: 120_000 });
    const accepted = new Set<string>();
    for (const line of r.stdout.split("\n")) {
        const m = /^([^/]+)\/(.*) (created|configured|unchanged) \(server dry run\)$/.exec(line);
        if (m) accepted.add(`${m[1].split(".")[0]}/${m[2]}`);
    }
    return { accepted, errors: r.stderr.split("\n").filter((l) => l.trim() !== "") };
}

/**
 * Per value, whether the API server accepted every one of its objects, and why not. One request for
 * all the values of a setting; kubectl refuses a whole List on its own for some values (null in a
 * label, a string for an integer), so those are sent alone, and so is every value of a batch that
 * kubectl refused whole.
 */
async function apiVerdicts(all: { value: unknown; objects: Obj[] }[], numeric: boolean): Promise<Verdict[]> {
    // Objects already judged for another setting (a Namespace named by the value…) are not sent again.
    const keys = all.map((i) => JSON.stringify(i.objects));
    const known = keys.map((k) => judged.get(k));
    const items = all.filter((_, i) => known[i] === undefined);
    const settle = new Map<string, (v: Verdict) => void>();
    for (const i of items) judged.set(JSON.stringify(i.objects), new Promise((resolve) => settle.set(JSON.stringify(i.objects), resolve)));
    const mine = await newVerdicts(items, numeric);
    items.forEach((i, n) => settle.get(JSON.stringify(i.objects))!(mine[n]));
    return Promise.all(keys.map((k) => judged.get(k)!));
}
const judged = new Map<string, Promise<Verdict>>();

async function newVerdicts(items: { value: unknown; objects: Obj[] }[], numeric: boolean): Promise<Verdict[]> {
    if (items.length === 0) return [];
    const ids = items.flatMap((i) => i.objects).map(identity);
    assert.equal(new Set(ids).size, ids.length, `the batch names each object once: ${ids.filter((x, i) => ids.indexOf(x) !== i).join(", ")}`);
    const verdict = (objects: Obj[], result: { accepted: Set<string>; errors: string[] }, errors: string[] = result.errors): Verdict => {
        const refused = objects.filter((o) => !result.accepted.has(identity(o)));
        return refused.length === 0 ? { accepted: true, why: "accepted" } : { accepted: false, why: errors.join("; ") || "refused" };
    };
    // kubectl checks JSON types itself: a string in an integer field fails the whole List.
    const alone = (v: unknown) => v === null || typeof v === "boolean" || typeof v === "object" || (numeric && typeof v === "string");
    const verdicts: (Verdict | undefined)[] = items.map(() => undefined);
    const together = items.flatMap((item, i) => (alone(item.value) ? [] : [i]));
    const batch = await dryRun(together.flatMap((i) => items[i].objects));
    const all = together.flatMap((i) => items[i].objects);
    const failed = all.filter((o) => !batch.accepted.has(identity(o)));
    if (batch.accepted.size > 0 || failed.length === 0) {
        // kubectl reports the refusals in the order of the objects, one line each: their reasons when the counts agree.
        const reason = (o: Obj) => (batch.errors.length === failed.length ? batch.errors[failed.indexOf(o)] : `${identity(o)} refused`);
        for (const i of together) verdicts[i] = verdict(items[i].objects, batch, items[i].objects.filter((o) => failed.includes(o)).map(reason));
    }
    const rest = verdicts.flatMap((v, i) => (v === undefined ? [i] : []));
    for (let k = 0; k < rest.length; k += 8) {
        await Promise.all(rest.slice(k, k + 8).map(async (i) => (verdicts[i] = verdict(items[i].objects, await dryRun(items[i].objects)))));
    }
    return verdicts as Verdict[];
}

/** The documented rule that covers a refusal of a value the API server takes, if any. */
function ruleFor(field: string, value: unknown) {
    const name = field.replace(/ \(.*\)$/, "");
    return DELIBERATE_RULES.find((r) => (r.fields.includes(name) || r.fields.includes("*")) && r.refuses(value, name));
}

const short = (s: string, n = 110) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function ensureMetallbCrds(): Promise<void> {
    if ((await run("kubectl", ["get", "crd", "ipaddresspools.metallb.io"])).code === 0) return;
    const r = await run("kubectl", ["apply", "-f", path.join(ROOT, "test", "e2e", "fixtures", "metallb-crds.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    await run("kubectl", ["wait", "--for=condition=Established", "crd/ipaddresspools.metallb.io", "crd/l2advertisements.metallb.io", "--timeout=30s"]);
}

describe(`the config check agrees with the API server, field by field (seed ${SEED})`, () => {
    it("every setting that ends up in an object: each value judged both ways, disagreements only where a documented rule says so", async () => {
        const t0 = Date.now();
        await ensureMetallbCrds();
        await ensureGatewayApiCrds();
        const undocumented: string[] = [];
        const used = new Set<string>();
        const tables: string[] = [];
        let tried = 0;
        // Settings are judged a few at a time: one kubectl apply of all their values' objects each.
        const results = new Array<string[]>(FIELDS.length);
        let next = 0;
        const worker = async () => {
            while (next < FIELDS.length) {
                const index = next++;
                const f = FIELDS[index];
                const values = [...new Map(f.values.map((v) => [JSON.stringify(v), v])).values()];
                const items = values.map((v, i) => ({ value: v, objects: f.objects(v, `f${index}-v${i}`) }));
                const api = await apiVerdicts(items, values.filter((v) => typeof v === "number").length > values.length / 2);
                const lines: string[] = [];
                let agreed = 0;
                values.forEach((v, i) => {
                    const program = programVerdict(f.config(v));
                    const other = f.also?.(v);
                    const judge = other !== undefined && api[i].accepted ? { accepted: false, why: `MetalLB: ${other}` } : api[i];
                    if (program.accepted === judge.accepted) {
                        agreed++;
                        return;
                    }
                    const rule = !program.accepted ? ruleFor(f.field, v) : undefined;
                    if (rule !== undefined) used.add(rule.rule);
                    const line = `  ${rule ? "documented" : "UNDOCUMENTED"}: ${JSON.stringify(v)} — program: ${short(program.why)} | API server: ${short(judge.why)}`;
                    lines.push(line);
                    if (!rule) undocumented.push(`${f.field}: ${line.trim()}`);
                });
                tried += values.length;
                results[index] = [`# ${f.field}: ${values.length} tried, ${agreed} agreed, ${values.length - agreed} disagreed`, ...lines];
            }
        };
        await Promise.all(Array.from({ length: 6 }, worker));
        tables.push(...results.flat());
        console.log(tables.join("\n"));
        console.log(`# ${FIELDS.length} settings, ${tried} values; documented rules used: ${used.size} of ${DELIBERATE_RULES.length}`);
        for (const r of DELIBERATE_RULES.filter((r) => !used.has(r.rule))) console.log(`# rule not exercised by a disagreement: ${r.rule}`);
        timing("config check against the API server, field by field", Date.now() - t0);
        assert.deepEqual(undocumented, []);
    });
});
