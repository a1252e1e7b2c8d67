// The Gateway API path, on mocks: a release with split "gateway" — the Gateway, the one
// HTTPRoute that splits by header and weight with the lab's rewrite, the ReferenceGrant for a canary
// in another namespace — and NGINX Gateway Fabric with its certificate Job as an ordinary resource.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { CanaryRelease } from "../components/apps";
import { NginxGatewayFabric } from "../components/network";
import { parseConfig, networkPolicyPlan } from "../config";
import { k8sObject, ofType, one, recorded, reset, settle } from "./harness";

beforeEach(reset);
const CR = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

/** The lab's web release (reports 002/004) on the Gateway API. */
const web = (canary: object | undefined = { version: "1.1", replicas: 3, weight: 50, header: "canary" }) =>
    new CanaryRelease("web", {
        split: "gateway",
        port: 8000,
        stable: { version: "1.0", replicas: 3 },
        canary: canary as never,
        services: [{ name: "web-svc", type: "Headless" }],
        ingress: { host: "app.local", path: "/web" },
        gateway: { className: "nginx", loadBalancerIP: "172.17.255.4" },
    });

const REWRITE = [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }];

describe("split gateway", () => {
    it("a Gateway on the release's host, port 80, pinned to its MetalLB address, awaited until it has one", async () => {
        web();
        await settle();
        const gw = one(CR, "web-gateway").inputs;
        assert.deepEqual(gw.metadata, { name: "web", namespace: "default", labels: { app: "web" }, annotations: { "pulumi.com/waitFor": "jsonpath={.status.addresses[0].value}" } });
        assert.deepEqual(gw.spec, {
            gatewayClassName: "nginx",
            listeners: [{ name: "http", protocol: "HTTP", port: 80, hostname: "app.local", allowedRoutes: { namespaces: { from: "Same" } } }],
            infrastructure: { annotations: { "metallb.io/loadBalancerIPs": "172.17.255.4" } },
        });
        assert.deepEqual(ofType(INGRESS), [], "no Ingress on the Gateway path");
    });

    it("one HTTPRoute: canary: always → canary; /web → stable 50 and canary 50; /web rewritten to /", async () => {
        const release = web();
        await settle();
        const route = one(ROUTE, "web-route").inputs;
        assert.deepEqual(route.metadata, {
            name: "web",
            namespace: "default",
            labels: { app: "web" },
            annotations: {
                "pulumi.com/waitFor":
                    '["jsonpath={.status.parents[0].conditions[?(@.type==\\"Accepted\\")].status}=True","jsonpath={.status.parents[0].conditions[?(@.type==\\"ResolvedRefs\\")].status}=True"]',
            },
        });
        assert.deepEqual(route.spec, {
            parentRefs: [{ name: "web" }],
            hostnames: ["app.local"],
            rules: [
                {
                    matches: [{ path: { type: "PathPrefix", value: "/web" }, headers: [{ type: "Exact", name: "canary", value: "always" }] }],
                    filters: REWRITE,
                    backendRefs: [{ name: "web-svc-canary", port: 80 }],
                },
                {
                    matches: [{ path: { type: "PathPrefix", value: "/web" } }],
                    filters: REWRITE,
                    backendRefs: [
                        { name: "web-svc", port: 80, weight: 50 },
                        { name: "web-svc-canary", port: 80, weight: 50 },
                    ],
                },
            ],
        });
        // The same disjoint Services as the ingress split: switching touches only the router.
        assert.deepEqual(
            [k8sObject(SERVICE, "web-svc").inputs.spec.selector, k8sObject(SERVICE, "web-svc-canary").inputs.spec.selector],
            [
                { app: "web", track: "stable" },
                { app: "web", track: "canary" },
            ],
        );
        assert.equal(release.canaryCurl, 'curl -H "canary: always" http://app.local/web');
        assert.equal(release.url, "http://app.local/web");
    });

    it("promoted (no canary): one rule to the stable Service, no weights", async () => {
        web(null as never);
        await settle();
        assert.deepEqual(one(ROUTE, "web-route").inputs.spec.rules, [{ matches: [{ path: { type: "PathPrefix", value: "/web" } }], filters: REWRITE, backendRefs: [{ name: "web-svc", port: 80 }] }]);
    });

    it("a canary in its own namespace: the route names its namespace, and a ReferenceGrant there lets the route in", async () => {
        new CanaryRelease("web", {
            split: "gateway",
            stable: { version: "1.0", replicas: 1 },
            canary: { namespace: "canary", version: "1.1", replicas: 1, weight: 10 },
            services: [{ name: "web-svc" }],
            ingress: { host: "app.local", path: "/" },
            gateway: { className: "nginx" },
        });
        await settle();
        const rules = one(ROUTE, "web-route").inputs.spec.rules;
        assert.deepEqual(rules[1].backendRefs, [
            { name: "web-svc", port: 80, weight: 90 },
            { name: "web-svc", namespace: "canary", port: 80, weight: 10 },
        ]);
        assert.equal(rules[0].filters, undefined, "path / is not rewritten");
        assert.deepEqual(one(GRANT, "web-canary-grant").inputs, {
            apiVersion: "gateway.networking.k8s.io/v1beta1",
            kind: "ReferenceGrant",
            metadata: { name: "web-from-default", namespace: "canary", labels: { app: "web" } },
            spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "default" }], to: [{ group: "", kind: "Service" }] },
        });
        assert.equal(one(CR, "web-gateway").inputs.spec.infrastructure, undefined, "no pinned address: the pool's choice");
    });
});

describe("split gateway in config", () => {
    const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
    const release = { split: "gateway", stable: {}, canary: { weight: 20 }, services: [{ name: "web-svc" }], ingress: { host: "app.local", path: "/web" } };
    const problems = (raw: Record<string, unknown>) => {
        try {
            parseConfig({ ...SECRETS, ...raw });
            return [];
        } catch (e) {
            return (e as { problems: string[] }).problems;
        }
    };

    it("needs NGINX Gateway Fabric or a GatewayClass named by the release", () => {
        assert.deepEqual(problems({ releases: { web: release } }), ['releases.web.split: "gateway" needs nginxGateway.enabled true or releases.web.gateway.className naming an existing GatewayClass']);
        assert.deepEqual(problems({ releases: { web: release }, nginxGateway: { enabled: true } }), []);
        assert.deepEqual(problems({ releases: { web: { ...release, gateway: { className: "envoy" } } } }), []);
    });

    it("refuses a rewrite with capture groups, a Gateway address outside the pool, a gateway block on another split", () => {
        assert.deepEqual(problems({ nginxGateway: { enabled: true }, releases: { web: { ...release, ingress: { host: "app.local", path: "/web", rewriteTarget: "/$2" } } } }), [
            'releases.web.ingress.rewriteTarget: "/$2" has no Gateway API equivalent (expected a plain path, which replaces the matched prefix, or split "ingress")',
        ]);
        assert.deepEqual(problems({ nginxGateway: { enabled: true }, releases: { web: { ...release, gateway: { loadBalancerIP: "10.0.0.9" } } } }), [
            'releases.web.gateway.loadBalancerIP: "10.0.0.9" is outside the MetalLB pool (expected an address in 172.17.255.1-172.17.255.255)',
        ]);
        assert.deepEqual(problems({ releases: { web: { ...release, split: "replicas", gateway: { className: "nginx" } } } }), [
            'releases.web.gateway: is set while split is "replicas" (expected only with split "gateway")',
        ]);
    });

    it("refuses a release Service named like the Gateway's data-plane Service (<gateway>-<class>)", () => {
        assert.deepEqual(problems({ nginxGateway: { enabled: true }, releases: { web: { ...release, services: [{ name: "web-svc" }, { name: "web-nginx" }] } } }), [
            'releases.web: "web" makes Service default/web-nginx, as releases.web.services[1].name does (expected each Kubernetes object declared once: rename one of them)',
        ]);
    });

    it("opens the data plane: clients in on 80, out to the release's pods and the controller", () => {
        const cfg = parseConfig({ ...SECRETS, minio: { enabled: false }, nginxGateway: { enabled: true }, releases: { web: { ...release, port: 8000 } } });
        assert.deepEqual(networkPolicyPlan(cfg).default, [
            { name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["platform-verify"] },
            {
                name: "web-gateway",
                podSelector: { "gateway.networking.k8s.io/gateway-name": "web" },
                ports: [80],
                from: ["anywhere"],
                egress: [
                    { namespace: "default", podSelector: { app: "web" }, ports: [8000] },
                    { namespace: "nginx-gateway", ports: [8443] },
                ],
            },
        ]);
    });

    it("opens the data plane on the listener's port, gateway.port, not 80", () => {
        const cfg = parseConfig({ ...SECRETS, minio: { enabled: false }, nginxGateway: { enabled: true }, releases: { web: { ...release, port: 8000, gateway: { port: 8081 } } } });
        assert.deepEqual(
            networkPolicyPlan(cfg).default.find((o) => o.name === "web-gateway"),
            {
                name: "web-gateway",
                podSelector: { "gateway.networking.k8s.io/gateway-name": "web" },
                ports: [8081],
                from: ["anywhere"],
                egress: [
                    { namespace: "default", podSelector: { app: "web" }, ports: [8000] },
                    { namespace: "nginx-gateway", ports: [8443] },
                ],
            },
        );
    });

    it("a data plane in another namespace (k3s's Traefik in kube-system) is let in to every track, and no data plane is opened in the release's", () => {
        const cfg = parseConfig({
            ...SECRETS,
            minio: { enabled: false },
            releases: {
                web: {
                    ...release,
                    port: 8000,
                    gateway: { className: "traefik", port: 8000, dataPlaneNamespace: "kube-system" },
                    canary: { name: "web", namespace: "canary", version: "1.1", replicas: 1, weight: 10 },
                },
            },
        });
        const opening = { name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["kube-system", "platform-verify"] };
        assert.deepEqual(networkPolicyPlan(cfg), { default: [opening], canary: [opening] });
    });

    it("NGINX Gateway Fabric's data plane in the release's namespace is let in to a track in another one", () => {
        const cfg = parseConfig({
            ...SECRETS,
            minio: { enabled: false },
            nginxGateway: { enabled: true },
            releases: { web: { ...release, port: 8000, canary: { name: "web", namespace: "canary", version: "1.1", replicas: 1 } } },
        });
        const plan = networkPolicyPlan(cfg);
        assert.deepEqual(plan.canary, [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["default", "platform-verify"] }]);
        assert.deepEqual(
            plan.default.map((o) => [o.name, o.fromNamespaces]),
            [
                ["web", ["platform-verify"]],
                ["web-gateway", undefined],
            ],
        );
    });
});

describe("NGINX Gateway Fabric", () => {
    it("the chart from its OCI registry, its TLS Secrets made by an ordinary Job the chart waits for", async () => {
        new NginxGatewayFabric("nginx-gateway", {});
        await settle();
        const chart = one("kubernetes:helm.sh/v4:Chart", "nginx-gateway-chart").inputs;
        assert.deepEqual([chart.chart, chart.version, chart.namespace, chart.repositoryOpts], ["oci://ghcr.io/nginx/charts/nginx-gateway-fabric", "2.6.7", "nginx-gateway", undefined]);
        assert.deepEqual(chart.values.certGenerator, { enable: false });
        assert.deepEqual(chart.values.nginxGateway.gatewayClassName, "nginx");
        assert.deepEqual(chart.values.nginxGateway.productTelemetry, { enable: false });
        assert.deepEqual(chart.values.nginx.service, { type: "LoadBalancer", externalTrafficPolicy: "Local" });
        const job = one("kubernetes:batch/v1:Job", "nginx-gateway-cert-generator").inputs;
        assert.deepEqual(job.spec.template.spec.containers[0].args, [
            "generate-certs",
            "--service=ngf-nginx-gateway-fabric",
            "--cluster-domain=cluster.local",
            "--server-tls-secret=server-tls",
            "--agent-tls-secret=agent-tls",
        ]);
        assert.equal(job.spec.template.spec.containers[0].image, "ghcr.io/nginx/nginx-gateway-fabric:2.6.7");
        assert.equal(job.spec.ttlSecondsAfterFinished, undefined, "kept: a Job the TTL controller deleted would be drift");
        assert.deepEqual(one("kubernetes:rbac.authorization.k8s.io/v1:Role", "nginx-gateway-cert-generator").inputs.rules, [
            { apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "get"] },
        ]);
    });

    it("install false declares nothing", async () => {
        new NginxGatewayFabric("nginx-gateway", { install: false });
        await settle();
        assert.deepEqual(
            recorded.map((r) => r.type),
            ["platform:network:NginxGatewayFabric"],
        );
    });
});
