// The config schema: defaults, the stack files, and one exact message per bad value.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { ConfigError, configSchema, namespacePlan, parseConfig, plaintextSecrets, readStackConfig, SECRET_KEYS } from "../config";
import { DEV_PASSPHRASE, stackConfig } from "./harness";

const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
const webRelease = {
    split: "ingress",
    stable: { version: "1.0", replicas: 1 },
    canary: { version: "1.1", replicas: 1 },
    services: [{ name: "web-svc" }],
    ingress: { host: "app.local", path: "/web" },
};

/** The exact message parseConfig throws for a raw config (secrets added unless given). */
const HOST_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n";

function messageFor(raw: Record<string, unknown>): string {
    try {
        parseConfig({ ...SECRETS, ...raw });
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return e.message;
    }
    assert.fail("expected the config to be refused");
}

/** Raw config from a stack file: JSON strings parsed back into objects, `project:` prefix dropped. */
function rawFromStack(stack: string, passphrase?: string, secrets?: Record<string, string>): Record<string, unknown> {
    const { config } = stackConfig(stack, passphrase, secrets);
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^bare-metal-platform:/, ""), k.endsWith("rolloutTimeoutSeconds") ? Number(v) : /^[[{]/.test(v) ? JSON.parse(v) : v]));
}

describe("config: bad values are refused with one message naming key, value and what is allowed", () => {
    const cases: [string, Record<string, unknown>, string][] = [
        [
            "pool not an IPv4 range",
            { metallb: { addresses: ["172.17.255.300-172.17.255.301"] } },
            'metallb.addresses[0]: "172.17.255.300-172.17.255.301" is not an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)',
        ],
        [
            "pool range reversed",
            { metallb: { addresses: ["172.17.255.9-172.17.255.1"] } },
            'metallb.addresses[0]: "172.17.255.9-172.17.255.1" is not an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)',
        ],
        ["pool CIDR prefix too long", { metallb: { addresses: ["10.0.0.0/33"] } }, 'metallb.addresses[0]: "10.0.0.0/33" is not an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)'],
        ["pool empty", { metallb: { addresses: [] } }, "metallb.addresses: [] is not a non-empty list of IPv4 ranges or CIDRs"],
        [
            "interface name too long",
            { metallb: { interfaces: ["enp0s31f6-vlan100"] } },
            'metallb.interfaces[0]: "enp0s31f6-vlan100" is not a network interface name such as "eth1" (1 to 15 bytes, no "/", ":" or whitespace)',
        ],
        [
            "interface name with a slash",
            { metallb: { interfaces: ["eth0/1"] } },
            'metallb.interfaces[0]: "eth0/1" is not a network interface name such as "eth1" (1 to 15 bytes, no "/", ":" or whitespace)',
        ],
        [
            "misspelt key",
            { metallb: { adresses: ["10.0.0.0/24"] } },
            'invalid configuration: metallb.adresses: unknown key (did you mean "addresses"? allowed: enabled, install, namespace, chart, poolName, addresses, interfaces)',
        ],
        ["chart version range", { metallb: { chart: { version: "^0.15" } } }, 'metallb.chart.version: "^0.15" is not an exact chart version such as "1.2.3" (ranges and "latest" are not allowed)'],
        ["rollout timeout not a number", { rolloutTimeoutSeconds: "abc" }, 'rolloutTimeoutSeconds: "abc" is not a whole number from 10 to 3600'],
        ["rollout timeout too short", { rolloutTimeoutSeconds: 5 }, "rolloutTimeoutSeconds: 5 is not a whole number from 10 to 3600"],
        [
            "replicas a word",
            { releases: { clock: { stable: { replicas: "four" }, services: [{ name: "svc" }] } } },
            'releases.clock.stable.replicas: "four" is not a whole number from 0 to 2147483647',
        ],
        ["replicas negative", { releases: { clock: { stable: { replicas: -1 }, services: [{ name: "svc" }] } } }, "releases.clock.stable.replicas: -1 is not a whole number from 0 to 2147483647"],
        [
            "surge and unavailable both zero",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }], strategy: { type: "rolling", maxSurge: 0, maxUnavailable: "0%" } } } },
            'releases.clock.strategy: maxSurge 0 and maxUnavailable "0%" are both zero (the API server rejects this: expected at least one above zero)',
        ],
        [
            "unknown strategy",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }], strategy: { type: "fast" } } } },
            'releases.clock.strategy.type: {"type":"fast"} is not a strategy with type "rolling", "recreate", "blueGreen" or "reverse"',
        ],
        [
            "unavailable over 100% (surge may exceed it)",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }], strategy: { type: "rolling", maxSurge: "150%", maxUnavailable: "150%" } } } },
            'releases.clock.strategy: maxUnavailable "150%" is above 100% (the API server rejects this: expected at most "100%"; maxSurge may exceed it)',
        ],
        [
            "surge not a percentage",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }], strategy: { type: "rolling", maxSurge: "1.5%" } } } },
            'releases.clock.strategy.maxSurge: "1.5%" is not a whole number from 0 or a percentage such as "25%"',
        ],
        ["port privileged", { releases: { clock: { port: 80, stable: {}, services: [{ name: "svc" }] } } }, "releases.clock.port: 80 is not a whole number from 1024 to 65535"],
        [
            "release name not a DNS label",
            { releases: { Clock_App: { stable: {}, services: [{ name: "svc" }] } } },
            `releases.Clock_App: "Clock_App" is not a release name (expected a DNS label: lowercase letters, digits and '-', at most 63)`,
        ],
        ["no services", { releases: { clock: { stable: {}, services: [] } } }, "releases.clock.services: [] is not a non-empty list of services"],
        [
            "unknown service type",
            { releases: { clock: { stable: {}, services: [{ name: "svc", type: "External" }] } } },
            'releases.clock.services[0].type: "External" is not one of "ClusterIP", "Headless", "NodePort", "LoadBalancer"',
        ],
        [
            "canary weight over 100",
            { releases: { web: { ...webRelease, canary: { version: "1.1", replicas: 1, weight: 150 } } } },
            "releases.web.canary.weight: 150 is not a whole number from 0 to 100",
        ],
        [
            "canary split without host",
            { releases: { web: { ...webRelease, ingress: { path: "/web" } } } },
            'releases.web.ingress.host: is required when split is "ingress" (ingress-nginx merges a canary Ingress only into a main Ingress of the same host)',
        ],
        [
            "canary split without ingress-nginx",
            { ingressNginx: { enabled: false }, releases: { web: webRelease } },
            'releases.web.split: "ingress" needs ingressNginx.enabled true (expected "replicas", or enable ingress-nginx)',
        ],
        [
            "canary in another namespace with replica split",
            { releases: { nginx: { stable: {}, canary: { namespace: "canary" }, services: [{ name: "svc" }] } } },
            'releases.nginx.canary.namespace: "canary" differs from the stable track\'s "default" (split "replicas" puts both tracks behind one Service, so expected the same namespace)',
        ],
        [
            "canary Deployment name clash",
            { releases: { nginx: { stable: { name: "web" }, canary: { name: "web" }, services: [{ name: "svc" }] } } },
            'releases.nginx.canary.name: "web" is the stable track\'s Deployment name in namespace "default" (expected a different name or namespace)',
        ],
        [
            "ingress service unknown",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }], ingress: { service: "other" } } } },
            'releases.clock.ingress.service: "other" is not one of this release\'s services (expected one of svc)',
        ],
        [
            "two releases' Ingresses on one host and path",
            { releases: { web: webRelease, web2: { ...webRelease, namespace: "other", stable: { name: "web2" }, canary: undefined } } },
            'releases.web2.ingress.path: "/web" on host "app.local" is already release web\'s (expected each host and path in one release: ingress-nginx refuses a second Ingress for them)',
        ],
        [
            "duplicate service names",
            { releases: { clock: { stable: {}, services: [{ name: "svc" }, { name: "svc" }] } } },
            'releases.clock.services[1].name: "svc" is used twice (expected unique service names)',
        ],
        [
            "loadBalancerIP on a ClusterIP service",
            { releases: { clock: { stable: {}, services: [{ name: "svc", loadBalancerIP: "172.17.255.9" }] } } },
            'releases.clock.services[0].loadBalancerIP: "172.17.255.9" is set on a ClusterIP service (expected only on type "LoadBalancer")',
        ],
        [
            "ingress address outside the pool",
            { ingressNginx: { loadBalancerIP: "10.0.0.1" } },
            'ingressNginx.loadBalancerIP: "10.0.0.1" is outside the MetalLB pool (expected an address in 172.17.255.1-172.17.255.255)',
        ],
        ["ingress address not an address", { ingressNginx: { loadBalancerIP: "172.17.255" } }, 'ingressNginx.loadBalancerIP: "172.17.255" is not an IPv4 address such as "172.17.255.2"'],
        [
            "coredns address outside the pool",
            { coredns: { enabled: true, address: "192.168.1.53" } },
            'coredns.address: "192.168.1.53" is outside the MetalLB pool (expected an address in 172.17.255.1-172.17.255.255)',
        ],
        ["minio image latest", { minio: { image: "quay.io/minio/minio:latest" } }, 'minio.image: "quay.io/minio/minio:latest" is not an image pinned by tag or digest (":latest" is not a pin)'],
        [
            "minio size not a quantity",
            { minio: { storage: { size: "ten gigs" } } },
            'minio.storage.size: "ten gigs" is not a storage quantity such as "10Gi" or "1.5Gi" (a decimal number with an optional suffix m, k, M, G, T, P, E, Ki … Ei or exponent; above 0)',
        ],
        [
            "minio password too short (value not shown)",
            { minioRootPassword: "short" },
            "minioRootPassword: (a secret of 5 characters) is too short (expected at least 8 characters, as MinIO requires)",
        ],
        [
            "minio password missing",
            { minioRootPassword: undefined },
            "minioRootPassword: is required when minio.enabled is true (set it with: pulumi config set --secret minioRootPassword <password>)",
        ],
        [
            "RBAC verb unknown",
            { access: { groups: [{ namespace: "prometheus", clusterRole: "prometheus", rules: [{ resources: ["pods"], verbs: ["read"] }] }] } },
            'access.groups[0].rules[0].verbs[0]: "read" is not a verb (get, list, watch, create, update, patch, delete, deletecollection, bind, escalate, impersonate, approve, sign, attest, use, *)',
        ],
        ["RBAC account twice", { access: { accounts: [{ name: "bob" }, { name: "bob" }] } }, 'access.accounts[1].name: "bob" is declared twice in namespace "default" (expected unique accounts)'],
        ["security level unknown", { security: { appNamespaceLevel: "strict" } }, 'security.appNamespaceLevel: "strict" is not "restricted", "baseline" or "privileged"'],
        ["network policies not a boolean", { security: { networkPolicies: "off" } }, 'security.networkPolicies: "off" is not true or false'],
        [
            "extra source namespace not a DNS label",
            { security: { extraSourceNamespaces: ["Monitoring"] } },
            `security.extraSourceNamespaces[0]: "Monitoring" is not a DNS label (lowercase letters, digits and '-', at most 63)`,
        ],
        [
            "dashboard without ingress",
            { dashboard: { enabled: true }, ingressNginx: { enabled: false } },
            "dashboard.enabled: true needs ingressNginx.enabled true (the dashboard is published through the ingress)",
        ],
        [
            "node-exporter image unpinned",
            { nodeExporter: { image: "quay.io/prometheus/node-exporter" } },
            'nodeExporter.image: "quay.io/prometheus/node-exporter" is not an image pinned by tag or digest, such as "repo/name:1.2.3" (without a tag or digest the runtime pulls "latest")',
        ],
        [
            "host address not an address",
            { hosts: { groups: { Endpoints: [{ name: "vm1", address: "10.0.0.300" }] } } },
            'hosts.groups.Endpoints[0].address: "10.0.0.300" is not an IPv4 address or a DNS name such as "10.0.0.2"',
        ],
        [
            "host group badly named",
            { hosts: { groups: { "end points": [{ name: "vm1", address: "10.0.0.2" }] } } },
            `hosts.groups.end points: "end points" is not a group name (expected letters, digits and '_', such as "Endpoints")`,
        ],
        [
            "host key malformed",
            { hosts: { groups: { Endpoints: [{ name: "vm1", address: "10.0.0.2", hostKey: "AAAA" }] } } },
            'hosts.groups.Endpoints[0].hostKey: "AAAA" is not an SSH public host key such as "ssh-ed25519 AAAA…"',
        ],
        ["reach attempts zero", { hosts: { reach: { attempts: 0 } } }, "hosts.reach.attempts: 0 is not a whole number from 1 to 20"],
        ["k3s version not a release", { hosts: { k3s: { version: "latest" } } }, 'hosts.k3s.version: "latest" is not a k3s release such as "v1.34.1+k3s1"'],
        ["service port mapping", { hosts: { service: { ports: ["80"] } } }, 'hosts.service.ports[0]: "80" is not a port mapping "host:container" such as "80:80"'],
        ["unit image latest", { hosts: { service: { image: "nginx:latest" } } }, 'hosts.service.image: "nginx:latest" is not an image pinned by tag or digest (":latest" is not a pin)'],
        [
            "hosts on without groups",
            { hosts: { enabled: true }, hostsSshPrivateKey: HOST_KEY },
            "hosts.groups: is empty while hosts.enabled is true (expected at least one group of hosts, such as Endpoints)",
        ],
        [
            "hosts on without a key",
            { hosts: { enabled: true, groups: { Endpoints: [{ name: "vm1", address: "10.0.0.2" }] } } },
            "hostsSshPrivateKey: is required when hosts.enabled is true (set it with: pulumi config set --secret hostsSshPrivateKey < ~/.ssh/id_ed25519)",
        ],
        [
            "ssh key not a private key",
            { hostsSshPrivateKey: "ssh-ed25519 AAAA" },
            "hostsSshPrivateKey: (a secret) is not a PEM private key (expected -----BEGIN OPENSSH PRIVATE KEY-----, as ssh-keygen writes it)",
        ],
        [
            "same host name, two addresses",
            { hosts: { enabled: true, groups: { Orchestrators: [{ name: "vm1", address: "10.0.0.2" }], Endpoints: [{ name: "vm1", address: "10.0.0.3" }] } }, hostsSshPrivateKey: HOST_KEY },
            'hosts.groups.Endpoints[0].name: "vm1" is declared twice with different addresses (10.0.0.2:22, 10.0.0.3:22) (expected one address per host name)',
        ],
        [
            "k3s server group missing",
            { hosts: { enabled: true, groups: { Endpoints: [{ name: "vm1", address: "10.0.0.2" }] }, k3s: { enabled: true } }, hostsSshPrivateKey: HOST_KEY },
            'hosts.k3s.serverGroup: "Orchestrators" is not a group of hosts.groups (expected one of Endpoints)',
        ],
        [
            "k3s on the hosts and a kubeconfig and a context of another cluster",
            {
                cluster: { kubeconfig: "~/.kube/config", context: "prod" },
                hosts: { enabled: true, groups: { Orchestrators: [{ name: "vm1", address: "10.0.0.2" }] }, k3s: { enabled: true, agentGroup: "Orchestrators" } },
                hostsSshPrivateKey: HOST_KEY,
            },
            'hosts.k3s.enabled: true, and cluster.kubeconfig and cluster.context "prod" are set too (expected one: the provider takes the kubeconfig k3s writes; remove them from the stack with pulumi config rm --path cluster.kubeconfig and pulumi config rm --path cluster.context)',
        ],
        [
            "container unit without docker",
            { hosts: { enabled: true, groups: { Endpoints: [{ name: "vm1", address: "10.0.0.2" }] }, docker: { enabled: false } }, hostsSshPrivateKey: HOST_KEY },
            "hosts.docker.enabled: false, but hosts.service runs a container (expected true, or turn those off)",
        ],
        [
            "kickstart without a password",
            { hosts: { kickstart: { enabled: true, hostname: "vm1" } } },
            "kickstartPassword: is required when hosts.kickstart.enabled is true (set it with: pulumi config set --secret kickstartPassword <password>)",
        ],
    ];
    for (const [title, raw, expected] of cases) {
        it(title, () => {
            const message = messageFor(raw);
            assert.equal(message, expected.startsWith("invalid configuration") ? expected : `invalid configuration: ${expected}`);
        });
    }

    it("never echoes a secret value", () => {
        assert.doesNotMatch(messageFor({ minioRootPassword: "hunter2" }), /hunter2/);
    });

    it("lists every problem, one per line, when several values are bad", () => {
        assert.equal(
            messageFor({ rolloutTimeoutSeconds: 1, coredns: { enabled: "yes" } }),
            'invalid configuration:\n  rolloutTimeoutSeconds: 1 is not a whole number from 10 to 3600\n  coredns.enabled: "yes" is not true or false',
        );
    });
});

describe("config: defaults", () => {
    it("fills the lab's defaults when a key is absent", () => {
        const cfg = parseConfig(SECRETS);
        assert.deepEqual(cfg.metallb, {
            enabled: true,
            install: true,
            namespace: "metallb-system",
            chart: { repo: "https://metallb.github.io/metallb", version: "0.15.2" },
            poolName: "default",
            addresses: ["172.17.255.1-172.17.255.255"],
        });
        assert.deepEqual(cfg.ingressNginx.chart, { repo: "https://kubernetes.github.io/ingress-nginx", version: "4.15.1" });
        assert.equal(cfg.rolloutTimeoutSeconds, 600);
        assert.equal(cfg.minio.image, "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z");
        assert.deepEqual(cfg.security, { appNamespaceLevel: "restricted", readOnlyRootFilesystem: true, networkPolicies: true, extraSourceNamespaces: [] });
        assert.deepEqual({ coredns: cfg.coredns.enabled, dashboard: cfg.dashboard.enabled, nodeExporter: cfg.nodeExporter.enabled }, { coredns: false, dashboard: false, nodeExporter: false });
    });

    it("fills a release's defaults: rolling 25%/25%, port 8080, one stable replica", () => {
        const cfg = parseConfig({ ...SECRETS, releases: { clock: { stable: {}, services: [{ name: "svc" }] } } });
        const r = cfg.releases.clock;
        assert.deepEqual(
            [r.strategy, r.port, r.stable, r.split, r.services],
            [{ type: "rolling", maxSurge: "25%", maxUnavailable: "25%" }, 8080, { version: "1.0", replicas: 1, broken: false }, "replicas", [{ name: "svc", type: "ClusterIP", port: 80 }]],
        );
    });

    it("needs no MinIO credentials when MinIO is off", () => {
        assert.equal(parseConfig({ minio: { enabled: false } }).minioCredentials, undefined);
    });
});

describe("config: the stack files", () => {
    it("accepts pinned addresses outside metallb.addresses when MetalLB is off (another load balancer's pool)", () => {
        const cfg = parseConfig({ ...SECRETS, metallb: { enabled: false }, ingressNginx: { loadBalancerIP: "10.0.0.1" }, coredns: { enabled: true, address: "192.168.1.53" } });
        assert.deepEqual([cfg.ingressNginx.loadBalancerIP, cfg.coredns.address], ["10.0.0.1", "192.168.1.53"]);
    });

    it("dev parses, validates and reproduces the lab's numbers", () => {
        const cfg = parseConfig(rawFromStack("dev", DEV_PASSPHRASE));
        assert.equal(cfg.rolloutTimeoutSeconds, 60);
        assert.deepEqual(cfg.metallb.addresses, ["172.17.255.1-172.17.255.255"]);
        assert.deepEqual([cfg.releases.nginx.stable.replicas, cfg.releases.nginx.canary?.replicas], [29, 3]);
        assert.deepEqual(
            cfg.access.accounts.map((a) => `${a.namespace}/${a.name}`),
            ["default/bob", "default/dave", "prometheus/carol", "dev/jane", "dev/ken"],
        );
        assert.ok(cfg.minioCredentials);
    });

    it("dev keeps its secrets encrypted (no plaintext in the file)", () => {
        const text = fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8");
        const { config } = stackConfig("dev", DEV_PASSPHRASE);
        assert.doesNotMatch(text, new RegExp(config["bare-metal-platform:minioRootPassword"]));
        assert.match(text, /minioRootPassword:\n\s+secure: v1:/);
    });

    it("prod parses and validates once its secrets are set", () => {
        const cfg = parseConfig(rawFromStack("prod", undefined, SECRETS));
        assert.equal(cfg.releases.web.split, "gateway");
        assert.equal(cfg.minio.storage.size, "100Gi");
        assert.deepEqual(cfg.metallb.addresses, ["192.168.56.200-192.168.56.250"]);
        assert.ok(cfg.releases.web.stable.replicas > 3);
    });

    it("prod on bare VMs (docs/hosts.md): refused while it keeps cluster.context, saying how to remove it; accepted once it is removed", () => {
        const prod = rawFromStack("prod", undefined, SECRETS);
        const hosts = {
            enabled: true,
            groups: { Orchestrators: [{ name: "fedora", address: "192.168.56.10" }], Endpoints: [{ name: "ansible-target-1", address: "192.168.56.11" }] },
            k3s: { enabled: true },
        };
        assert.throws(
            () => parseConfig({ ...prod, hosts, hostsSshPrivateKey: HOST_KEY }),
            (e: Error) =>
                e.message ===
                'invalid configuration: hosts.k3s.enabled: true, and cluster.context "prod" is set too (expected one: the provider takes the kubeconfig k3s writes; remove it from the stack with pulumi config rm --path cluster.context)',
        );
        const cfg = parseConfig({ ...prod, cluster: {}, hosts, hostsSshPrivateKey: HOST_KEY });
        assert.deepEqual(cfg.cluster, {});
        assert.equal(cfg.hosts.k3s.enabled, true);
    });

    it("prod without its secrets says how to set them", () => {
        assert.throws(() => parseConfig(rawFromStack("prod")), /minioRootUser: is required when minio.enabled is true \(set it with: pulumi config set --secret minioRootUser <name>\)/);
    });
});

describe("config: Pulumi.yaml and the config reference stay in step with the schema", () => {
    const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
    const keys = Object.keys(configSchema.shape);

    it("Pulumi.yaml declares exactly the schema's keys but the secrets, which it names in a comment", () => {
        // A secret key cannot have a default in Pulumi.yaml, and one without a default is required
        // by every stack: the program checks the secrets itself (plaintextSecrets).
        assert.deepEqual(Object.keys(project.config).sort(), keys.filter((k) => !SECRET_KEYS.includes(k)).sort());
        const text = fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8");
        for (const k of SECRET_KEYS) assert.match(text, new RegExp(`^#   ${k} `, "m"), k);
        for (const k of Object.keys(project.config)) assert.ok(project.config[k].description, `${k} has a description`);
    });

    it("a secret set in plain text is refused by name, its value never shown", () => {
        const raw = { minioRootUser: "admin", minioRootPassword: "plain-password-1" };
        const problems = plaintextSecrets(raw, (k) => k === "bare-metal-platform:minioRootUser");
        assert.deepEqual(problems, ["minioRootPassword: is set in plain text in the stack file (expected a secret: pulumi config set --secret minioRootPassword …; the value is not shown)"]);
        assert.throws(
            () => parseConfig(raw, problems),
            (e: Error) => e.message === `invalid configuration: ${problems[0]}` && !e.message.includes("plain-password-1"),
        );
    });

    it("every key has a default in Pulumi.yaml (the CLI refuses stacks without one), and that default changes nothing", () => {
        const base = { minio: { enabled: false } };
        const defaults = parseConfig(base) as unknown as Record<string, unknown>;
        for (const [k, decl] of Object.entries<any>(project.config)) {
            assert.ok("default" in decl, `${k} has a default`);
            // As the CLI hands it over: the declared default, objects as JSON text.
            const text = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
            const raw = readStackConfig({ [`bare-metal-platform:${k}`]: text, "other-project:ignored": "{}" });
            const parsed = parseConfig({ ...raw, minio: { ...base.minio, ...(raw.minio as object | undefined) } }) as unknown as Record<string, unknown>;
            assert.deepEqual(parsed[k], defaults[k], k);
        }
    });

    it("the config reference (docs/configuration.md, generated: test/docs.test.ts) has a section for every key", () => {
        const reference = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration.md"), "utf8");
        for (const k of keys) assert.match(reference, new RegExp(`^### ${k}$`, "m"), `docs/configuration.md documents ${k}`);
    });
});

describe("config: namespaces", () => {
    it("gives each namespace the most permissive level any part needs, and never labels kube-system", () => {
        const cfg = parseConfig({
            ...SECRETS,
            minio: { namespace: "storage" },
            dashboard: { enabled: true, namespace: "edge" },
            nodeExporter: { enabled: true, namespace: "edge" },
            coredns: { enabled: true },
        });
        assert.deepEqual(namespacePlan(cfg), { "metallb-system": "privileged", "ingress-nginx": "baseline", edge: "privileged", storage: "restricted", "platform-verify": "restricted" });
    });
});
