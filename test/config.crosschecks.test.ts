// The config mistakes that involve two settings, or that only the API server, the engine or a
// controller would catch later: each refused before any resource is registered, with one
// exact line naming the key, the value and what is allowed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../config";

const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
const release = (extra: object = {}) => ({ stable: {}, services: [{ name: "web" }], ...extra });
const rules = [{ resources: ["pods"], verbs: ["get"] }];
const NAMESPACE_RULE = `(expected an app namespace: app namespaces get Pod Security level "restricted" and a default-deny NetworkPolicy)`;
const VERIFIER = `(expected a namespace of the verify Job's own, such as "platform-verify": the apps' NetworkPolicies admit every pod of verify.namespace as the verifier)`;
const INGRESS_CONTROLLER = "(expected a namespace of its own: the apps' NetworkPolicies admit every pod of ingressNginx.namespace as the ingress controller)";
const ONCE = "(expected each Kubernetes object declared once: rename one of them)";
const URN = "(expected unique resource names, which the engine requires: rename one of them)";

/** The problems parseConfig reports for a raw config (MinIO's secrets added). */
function problemsOf(raw: Record<string, unknown>): readonly string[] {
    try {
        parseConfig({ ...SECRETS, ...raw });
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return e.problems;
    }
    assert.fail("expected the config to be refused");
}

const cases: Record<string, [string, Record<string, unknown>, string[]][]> = {
    "the same object declared twice": [
        [
            "two releases with one Service name",
            { releases: { a: release(), b: release() } },
            [`releases.b.services[0].name: "web" makes Service default/web, as releases.a.services[0].name does ${ONCE}`],
        ],
        [
            "two releases with one Ingress name",
            { releases: { a: release({ services: [{ name: "a-svc" }], ingress: { name: "web" } }), b: release({ services: [{ name: "b-svc" }], ingress: { name: "web" } }) } },
            [`releases.b.ingress.name: "web" makes Ingress default/web, as releases.a.ingress.name does ${ONCE}`],
        ],
        [
            "a track named after another release",
            { releases: { a: release({ stable: { name: "web" }, services: [{ name: "a-svc" }] }), web: release({ services: [{ name: "web-svc" }] }) } },
            [`releases.web: "web" makes Deployment default/web, as releases.a.stable.name does ${ONCE}`],
        ],
        [
            "two cluster-wide grants for one account name",
            {
                access: {
                    accounts: [
                        { name: "bob", grant: { clusterRole: "admin" } },
                        { name: "bob", namespace: "dev", grant: { clusterRole: "view" } },
                    ],
                },
            },
            [`access.accounts[1].name: "bob" makes ClusterRoleBinding bob, as access.accounts[0].name does ${ONCE}`],
        ],
        [
            "a group grant named like node-exporter's ClusterRole",
            { nodeExporter: { enabled: true }, access: { groups: [{ namespace: "prometheus", clusterRole: "node-exporter", rules }] } },
            [`nodeExporter.enabled: true makes ClusterRole node-exporter, as access.groups[0].clusterRole does ${ONCE}`],
        ],
        ["MinIO's two Services with one name", { minio: { loadBalancer: { name: "minio" } } }, [`minio.loadBalancer.name: "minio" makes Service default/minio, as minio.name does ${ONCE}`]],
        [
            "a release named dns (its NetworkPolicy allow-dns)",
            { releases: { dns: release() } },
            [`releases.dns: "dns" makes NetworkPolicy default/allow-dns, as security.networkPolicies does ${ONCE}`],
        ],
    ],
    "duplicate Pulumi resource names": [
        [
            "a release name against another release's Service",
            { releases: { a: release({ services: [{ name: "b-web" }] }), "a-b": release({ services: [{ name: "web" }] }) } },
            [`releases.a-b.services[0].name: "web" makes the Pulumi resource CanaryRelease/Service "a-b-web", as releases.a.services[0].name does ${URN}`],
        ],
        [
            "accounts that flatten to one name",
            {
                access: {
                    accounts: [
                        { name: "c", namespace: "a-b" },
                        { name: "b-c", namespace: "a" },
                    ],
                },
            },
            [`access.accounts[1].name: "b-c" makes the Pulumi resource AccessControl/ServiceAccount "access-a-b-c", as access.accounts[0].name does ${URN}`],
        ],
    ],
    "silent wrong behaviour": [
        [
            "two releases with one app label",
            { releases: { a: release({ app: "shared", services: [{ name: "a-svc" }] }), b: release({ app: "shared", services: [{ name: "b-svc" }] }) } },
            [
                `releases.b.app: "shared" is the app label of releases.a.app too in namespace "default" (expected one app label per workload: their Services and Deployments would select each other's pods)`,
            ],
        ],
        [
            "a release named like MinIO in its namespace",
            { releases: { minio: release() } },
            [`minio.name: "minio" is the app label of releases.minio too in namespace "default" (expected one app label per workload: their Services and Deployments would select each other's pods)`],
        ],
        [
            "a group grant that redefines admin",
            { access: { groups: [{ namespace: "prometheus", clusterRole: "admin", rules }] } },
            [
                `access.groups[0].clusterRole: "admin" is a built-in ClusterRole (expected a new name: a group grant creates its own ClusterRole, and must not redefine admin, edit, view, cluster-admin or system:*)`,
            ],
        ],
        [
            "an Ingress in another namespace than its Service",
            { releases: { web: release({ stable: { namespace: "other" }, ingress: { host: "app.local" } }) } },
            [
                `releases.web.stable.namespace: "other" differs from the release's namespace "default", where its Ingress is (expected the same namespace: an Ingress routes only to Services of its own namespace)`,
            ],
        ],
    ],
    "dangerous targets": [
        ["a release in kube-system", { releases: { web: release({ namespace: "kube-system" }) } }, [`releases.web.namespace: "kube-system" is the cluster's own namespace ${NAMESPACE_RULE}`]],
        ["MinIO in MetalLB's namespace", { minio: { namespace: "metallb-system" } }, [`minio.namespace: "metallb-system" is MetalLB's (metallb.namespace) namespace ${NAMESPACE_RULE}`]],
        [
            "an account in ingress-nginx's namespace",
            { access: { accounts: [{ name: "ops", namespace: "ingress-nginx" }] } },
            [`access.accounts[0].namespace: "ingress-nginx" is ingress-nginx's (ingressNginx.namespace) namespace ${NAMESPACE_RULE}`],
        ],
    ],
    "namespaces whose every pod the apps admit": [
        [
            "the verify step in kube-system",
            { verify: { namespace: "kube-system" } },
            [`verify.namespace: "kube-system" is the cluster's own namespace, where CoreDNS (and its published Services) and, on k3s, the Gateway's data plane run ${VERIFIER}`],
        ],
        ["the verify step in kube-public", { verify: { namespace: "kube-public" } }, [`verify.namespace: "kube-public" is the cluster's own namespace ${VERIFIER}`]],
        [
            "the verify step in default, where MinIO is too: one line, on verify.namespace",
            { verify: { namespace: "default" } },
            [`verify.namespace: "default" is the namespace of every pod created without one ${VERIFIER}`],
        ],
        ["the verify step in MetalLB's namespace", { verify: { namespace: "metallb-system" } }, [`verify.namespace: "metallb-system" is MetalLB's (metallb.namespace) namespace ${VERIFIER}`]],
        [
            "the verify step in ingress-nginx's namespace",
            { verify: { namespace: "ingress-nginx" } },
            [`verify.namespace: "ingress-nginx" is ingress-nginx's (ingressNginx.namespace) namespace ${VERIFIER}`],
        ],
        [
            "the verify step in NGINX Gateway Fabric's namespace",
            { nginxGateway: { enabled: true }, verify: { namespace: "nginx-gateway" } },
            [`verify.namespace: "nginx-gateway" is NGINX Gateway Fabric's (nginxGateway.namespace) namespace ${VERIFIER}`],
        ],
        [
            "the verify step in node-exporter's namespace",
            { nodeExporter: { enabled: true }, verify: { namespace: "monitoring" } },
            [`verify.namespace: "monitoring" is node-exporter's (nodeExporter.namespace) namespace ${VERIFIER}`],
        ],
        [
            "the verify step in a Gateway data plane's namespace",
            {
                nginxGateway: { enabled: true },
                releases: { web: release({ split: "gateway", ingress: {}, gateway: { dataPlaneNamespace: "traefik" } }) },
                verify: { namespace: "traefik" },
            },
            [`verify.namespace: "traefik" is the Gateway data plane's namespace (releases.web.gateway.dataPlaneNamespace) ${VERIFIER}`],
        ],
        [
            "the dashboard installed in ingress-nginx's namespace",
            { dashboard: { enabled: true, namespace: "ingress-nginx" } },
            [`dashboard.namespace: "ingress-nginx" is ingress-nginx's (ingressNginx.namespace) namespace ${INGRESS_CONTROLLER}`],
        ],
        [
            "node-exporter in ingress-nginx's namespace",
            { nodeExporter: { enabled: true, namespace: "ingress-nginx" } },
            [`nodeExporter.namespace: "ingress-nginx" is ingress-nginx's (ingressNginx.namespace) namespace ${INGRESS_CONTROLLER}`],
        ],
        [
            "MetalLB installed into an existing ingress controller's kube-system",
            { ingressNginx: { install: false, namespace: "kube-system" }, metallb: { namespace: "kube-system" } },
            [`metallb.namespace: "kube-system" is ingress-nginx's (ingressNginx.namespace) namespace ${INGRESS_CONTROLLER}`],
        ],
    ],
    "MetalLB's rules": [
        [
            "overlapping pool entries",
            { metallb: { addresses: ["172.17.255.0/24", "172.17.255.100-172.17.255.110"] } },
            [`metallb.addresses[1]: "172.17.255.100-172.17.255.110" overlaps "172.17.255.0/24" (expected pool entries that do not overlap, as MetalLB requires)`],
        ],
        [
            "one address pinned by two Services",
            { ingressNginx: { loadBalancerIP: "172.17.255.3" }, minio: { loadBalancer: { loadBalancerIP: "172.17.255.3" } } },
            [
                `minio.loadBalancer.loadBalancerIP: "172.17.255.3" is already pinned by ingressNginx.loadBalancerIP (expected one address per LoadBalancer Service, unless both share it with one sharing key)`,
            ],
        ],
        [
            "CoreDNS's shared address pinned by the ingress controller too",
            { coredns: { enabled: true, address: "172.17.255.3" }, ingressNginx: { loadBalancerIP: "172.17.255.3" } },
            [`ingressNginx.loadBalancerIP: "172.17.255.3" is already pinned by coredns.address (expected one address per LoadBalancer Service, unless both share it with one sharing key)`],
        ],
    ],
    "what the API server rejects": [
        [
            "a CPU request above its limit",
            { releases: { web: release({ resources: { requests: { cpu: "200m" }, limits: { cpu: "100m" } } }) } },
            [`releases.web.resources.requests.cpu: "200m" is above limits.cpu "100m" (expected a request at most its limit)`],
        ],
        [
            "a memory request above its limit",
            { minio: { resources: { requests: { cpu: "100m", memory: "2Gi" }, limits: { cpu: "1", memory: "1Gi" } } } },
            [`minio.resources.requests.memory: "2Gi" is above limits.memory "1Gi" (expected a request at most its limit)`],
        ],
        [
            "an Ingress path with /../",
            { releases: { web: release({ ingress: { path: "/web/../admin" } }) } },
            [`releases.web.ingress.path: "/web/../admin" is not an absolute path such as "/web" (letters, digits and ._-/, as ingress-nginx takes a Prefix path; no "//", "/./" or "/../")`],
        ],
        [
            "an Ingress host in capitals",
            { releases: { web: release({ ingress: { host: "App.Local" } }) } },
            ['releases.web.ingress.host: "App.Local" is not a host name such as "app.local" or "*.app.local" (a DNS name, not an IP address)'],
        ],
        [
            "an Ingress host that is an IP address",
            { releases: { web: release({ ingress: { host: "10.0.0.1" } }) } },
            ['releases.web.ingress.host: "10.0.0.1" is not a host name such as "app.local" or "*.app.local" (a DNS name, not an IP address)'],
        ],
        [
            "a Service name starting with a digit",
            { releases: { web: release({ services: [{ name: "1web" }] }) } },
            [`releases.web.services[0].name: "1web" is not a Service name (a DNS-1035 label: a lowercase letter first, then letters, digits and '-', at most 63)`],
        ],
        [
            "a canary Ingress name over 253 characters",
            { releases: { web: release({ split: "ingress", canary: {}, ingress: { name: `${"a".repeat(62)}.`.repeat(4).slice(0, 250), host: "app.local" } }) } },
            [
                `releases.web.ingress.name: "${`${"a".repeat(62)}.`.repeat(4).slice(0, 56)}… makes the Ingress name "${`${"a".repeat(62)}.`.repeat(4).slice(0, 56)}…, 257 characters (expected at most 253: shorten it)`,
            ],
        ],
        [
            "a Gateway whose data-plane Service name is not a Service name",
            { nginxGateway: { enabled: true, className: "gw.example" }, releases: { web: release({ split: "gateway", ingress: { host: "app.local" } }) } },
            [`releases.web: "web" makes the Service name "web-gw.example", not a Service name (expected a DNS-1035 label: a lowercase letter first, then letters, digits and '-')`],
        ],
        [
            "a canary Service name over 63 characters",
            { releases: { web: release({ split: "ingress", canary: {}, services: [{ name: "s".repeat(60) }], ingress: { host: "app.local" } }) } },
            [`releases.web.services[0].name: "${"s".repeat(56)}… makes the Service name "${"s".repeat(56)}…, 67 characters (expected at most 63: shorten it)`],
        ],
        [
            "a StatefulSet name its controller cannot label",
            { minio: { name: "m".repeat(53) } },
            [`minio.name: "${"m".repeat(53)}" is 53 characters (expected at most 52: the StatefulSet's revision label adds 11 to a 63-character limit)`],
        ],
        [
            "a rewrite target that is not a path",
            { releases: { web: release({ ingress: { path: "/web", rewriteTarget: "web" } }) } },
            [`releases.web.ingress.rewriteTarget: "web" is not a rewrite target such as "/" or "/$2" (an absolute path; letters, digits, ._~-/ and $1…$9)`],
        ],
    ],
    "unknown keys": [
        [
            "a misspelt top-level key",
            { metalb: { addresses: [] } },
            [
                `metalb: unknown key (did you mean "metallb"? allowed: cluster, rolloutTimeoutSeconds, releases, metallb, ingressNginx, nginxGateway, coredns, dashboard, access, minio, nodeExporter, security, verify, hosts, hostsSshPrivateKey, kickstartPassword, minioRootUser, minioRootPassword)`,
            ],
        ],
        [
            "a key with no near match",
            { releases: { web: release({ replicaz: 3, colour: "red" }) } },
            [
                `releases.web.replicaz: unknown key (allowed: namespace, app, port, pageDelivery, split, strategy, stable, canary, services, ingress, gateway, resources, disruptionBudget, topologySpread, ephemeralStorage)`,
                `releases.web.colour: unknown key (allowed: namespace, app, port, pageDelivery, split, strategy, stable, canary, services, ingress, gateway, resources, disruptionBudget, topologySpread, ephemeralStorage)`,
            ],
        ],
    ],
    messages: [
        ["a short secret user name, never echoed", { minioRootUser: "ab" }, ["minioRootUser: (a secret of 2 characters) is too short (expected at least 3 characters)"]],
        ["a secret of the wrong type, never echoed", { minioRootUser: 12 }, ["minioRootUser: is not a string (expected a user name of at least 3 characters, set with --secret)"]],
        [
            "a malformed pool draws no line about a valid address",
            { metallb: { addresses: ["not-a-range"] }, ingressNginx: { loadBalancerIP: "10.0.0.1" } },
            ['metallb.addresses[0]: "not-a-range" is not an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)'],
        ],
        [
            "a canary named like its stable track, said once",
            { releases: { web: release({ stable: { name: "web" }, canary: { name: "web" } }) } },
            [`releases.web.canary.name: "web" is the stable track's Deployment name in namespace "default" (expected a different name or namespace)`],
        ],
    ],
};

for (const [group, list] of Object.entries(cases)) {
    describe(`config across objects: ${group}`, () => {
        for (const [title, raw, expected] of list) {
            it(title, () => assert.deepEqual(problemsOf(raw), expected));
        }
    });
}

describe("config across objects: what stays allowed", () => {
    it("one app label in two namespaces, CoreDNS's two Services on one shared address, adjacent pool entries", () => {
        assert.doesNotThrow(() =>
            parseConfig({
                ...SECRETS,
                metallb: { addresses: ["172.17.255.0/25", "172.17.255.128-172.17.255.255"] },
                coredns: { enabled: true, address: "172.17.255.2" },
                releases: { a: release({ app: "shared" }), b: release({ app: "shared", namespace: "other" }) },
            }),
        );
    });

    it("namespaces the apps admit, where only their part runs: the verify step's own, k3s's Traefik in kube-system, a dashboard already installed beside an existing controller", () => {
        assert.doesNotThrow(() =>
            parseConfig({
                ...SECRETS,
                verify: { namespace: "checks" },
                ingressNginx: { enabled: false },
                nginxGateway: { enabled: false },
                releases: { web: release({ split: "gateway", ingress: {}, gateway: { className: "traefik", port: 8000, dataPlaneNamespace: "kube-system" } }) },
            }),
        );
        assert.doesNotThrow(() => parseConfig({ ...SECRETS, ingressNginx: { install: false, namespace: "kube-system" }, dashboard: { enabled: true, install: false, namespace: "kube-system" } }));
        assert.doesNotThrow(() => parseConfig({ ...SECRETS, verify: { enabled: false, namespace: "kube-system" } }));
    });
});
