// The components' own plans: planMetalLB, planCoreDnsExternal, planIngressNginx,
// planNginxGatewayFabric, planDashboard and planNodeExporter give exact names, labels and ports with the
// stated defaults; each component registers exactly the resources its plan names (on the mocks); openingSources states who
// may reach a NetworkPolicy opening, once.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { openingAdmits, openingSources, planNetworkIsolation, type WorkloadOpening } from "../components/core";
import {
    CoreDnsExternal,
    Dashboard,
    IngressNginx,
    MetalLB,
    NginxGatewayFabric,
    planCoreDnsExternal,
    planDashboard,
    planIngressNginx,
    planMetalLB,
    planNginxGatewayFabric,
} from "../components/network";
import { NodeExporter, planNodeExporter } from "../components/observability";
import { planMinIO } from "../components/storage";
import type { PlannedObject } from "../components/core/planned";
import { configSchema } from "../config";
import { recorded, reset, settle } from "./harness";

beforeEach(reset);

/** The Kubernetes objects registered (type, resource name, namespace/name), the components and the charts' inner resources aside. */
const registered = () =>
    recorded
        .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v4:Chart")
        .map((r) => `${r.type.split(":").pop()} ${r.name} ${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name}`)
        .sort();

/** A planned object the program declares as `resourceName` under component `owner`, made by the object's own setting. */
const program = (owner: string, resourceName: string, o: Omit<PlannedObject, "by" | "resource">): PlannedObject => ({
    ...o,
    by: "program",
    resource: { type: `${owner}/${o.kind}`, name: resourceName, source: o.source },
});

/** A plan's objects as registered() writes the registered ones: what the component renders is its plan's list. */
const listed = (objects: readonly PlannedObject[]) =>
    objects
        .filter((o) => o.by === "program")
        .map((o) => `${o.kind} ${o.resource?.name} ${o.namespace ?? ""}/${o.name}`)
        .sort();

/** The schema's defaults of one area, as parseConfig fills them in. */
const schemaDefaults = (key: "metallb" | "coredns" | "ingressNginx" | "nginxGateway" | "dashboard" | "nodeExporter" | "minio") => configSchema.shape[key].parse(undefined) as Record<string, unknown>;

describe("planMetalLB", () => {
    it("defaults: metallb-system, the chart and its speaker, pool and advertisement `default`; no reserved pool without a pin in the pool", () => {
        assert.deepEqual(planMetalLB("metallb", { addresses: ["10.0.0.0/28"], reserved: ["10.0.1.1"] }), {
            namespace: "metallb-system",
            chart: { resourceName: "metallb-chart", release: "metallb", speaker: "metallb-speaker" },
            pool: { resourceName: "metallb-pool", name: "default" },
            reserved: [],
            reservedPool: undefined,
            advertisement: { resourceName: "metallb-l2", name: "default", interfaces: undefined },
            objects: [
                program("MetalLB", "metallb-pool", {
                    apiVersion: "metallb.io/v1beta1",
                    kind: "IPAddressPool",
                    namespace: "metallb-system",
                    name: "default",
                    source: { path: ["poolName"], value: "default" },
                }),
                program("MetalLB", "metallb-l2", {
                    apiVersion: "metallb.io/v1beta1",
                    kind: "L2Advertisement",
                    namespace: "metallb-system",
                    name: "default",
                    source: { path: ["poolName"], value: "default" },
                }),
            ],
        });
    });

    it("the pinned addresses of the pool, once each and sorted, in `<poolName>-reserved`; install false: no chart", () => {
        assert.deepEqual(planMetalLB("lb", { namespace: "lb-system", install: false, poolName: "lab", addresses: ["10.0.0.0/28"], reserved: ["10.0.0.9", "10.0.0.2", "10.0.0.9", "10.0.1.1"] }), {
            namespace: "lb-system",
            chart: undefined,
            pool: { resourceName: "lb-pool", name: "lab" },
            reserved: ["10.0.0.2", "10.0.0.9"],
            reservedPool: { resourceName: "lb-reserved-pool", name: "lab-reserved" },
            advertisement: { resourceName: "lb-l2", name: "lab", interfaces: undefined },
            objects: [
                program("MetalLB", "lb-pool", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", namespace: "lb-system", name: "lab", source: { path: ["poolName"], value: "lab" } }),
                program("MetalLB", "lb-reserved-pool", {
                    apiVersion: "metallb.io/v1beta1",
                    kind: "IPAddressPool",
                    namespace: "lb-system",
                    name: "lab-reserved",
                    source: { path: ["poolName"], value: "lab" },
                    derived: true,
                }),
                program("MetalLB", "lb-l2", { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", namespace: "lb-system", name: "lab", source: { path: ["poolName"], value: "lab" } }),
            ],
        });
    });

    it("the advertisement is on the named interfaces, on every one when none is named", () => {
        assert.deepEqual(planMetalLB("lb", { addresses: ["10.0.0.0/28"], interfaces: ["eth1", "bmp-lan0"] }).advertisement, {
            resourceName: "lb-l2",
            name: "default",
            interfaces: ["eth1", "bmp-lan0"],
        });
        assert.deepEqual(planMetalLB("lb", { addresses: ["10.0.0.0/28"], interfaces: [] }).advertisement, { resourceName: "lb-l2", name: "default", interfaces: undefined });
    });

    it("is what the component registers", async () => {
        new MetalLB("lb", { namespace: "lb-system", poolName: "lab", addresses: ["10.0.0.0/28"], reserved: ["10.0.0.2"], install: false });
        await settle();
        assert.deepEqual(registered(), ["IPAddressPool lb-pool lb-system/lab", "IPAddressPool lb-reserved-pool lb-system/lab-reserved", "L2Advertisement lb-l2 lb-system/lab"]);
        assert.deepEqual(registered(), listed(planMetalLB("lb", { namespace: "lb-system", poolName: "lab", addresses: ["10.0.0.0/28"], reserved: ["10.0.0.2"], install: false }).objects));
    });
});

describe("planCoreDnsExternal", () => {
    it("defaults: kube-system, sharing key coredns, a TCP and a UDP Service on 53 selecting the cluster's DNS pods", () => {
        assert.deepEqual(planCoreDnsExternal("coredns", {}), {
            namespace: "kube-system",
            sharingKey: "coredns",
            selector: { "k8s-app": "kube-dns" },
            port: 53,
            services: [
                { protocol: "TCP", resourceName: "coredns-tcp", name: "coredns-svc-lb-tcp", portName: "dns-tcp" },
                { protocol: "UDP", resourceName: "coredns-udp", name: "coredns-svc-lb-udp", portName: "dns-udp" },
            ],
            objects: ["tcp", "udp"].map((p) =>
                program("CoreDnsExternal", `coredns-${p}`, {
                    apiVersion: "v1",
                    kind: "Service",
                    namespace: "kube-system",
                    name: `coredns-svc-lb-${p}`,
                    source: { path: ["address"], value: undefined },
                    selector: { labels: { "k8s-app": "kube-dns" }, source: { path: ["address"], value: undefined } },
                    ports: [53],
                    pin: undefined,
                }),
            ),
        });
        const address = { path: ["address"], value: "172.17.255.2" };
        assert.deepEqual(
            planCoreDnsExternal("dns", { address: "172.17.255.2", sharingKey: "k" }).objects.map((o) => [o.source, o.pin]),
            [
                [address, { address: "172.17.255.2", sharingKey: "k", source: address }],
                [address, { address: "172.17.255.2", sharingKey: "k", source: address }],
            ],
        );
        assert.deepEqual([planCoreDnsExternal("dns", { namespace: "dns", sharingKey: "k" }).namespace, planCoreDnsExternal("dns", { sharingKey: "k" }).sharingKey], ["dns", "k"]);
    });

    it("is what the component registers", async () => {
        new CoreDnsExternal("dns", { address: "172.17.255.2", namespace: "dns" });
        await settle();
        assert.deepEqual(registered(), ["Service dns-tcp dns/coredns-svc-lb-tcp", "Service dns-udp dns/coredns-svc-lb-udp"]);
        assert.deepEqual(registered(), listed(planCoreDnsExternal("dns", { address: "172.17.255.2", namespace: "dns" }).objects));
    });
});

describe("planIngressNginx", () => {
    it("defaults: ingress-nginx, class nginx, the chart; the controller's Service ingress-nginx-controller, installed or not", () => {
        assert.deepEqual(planIngressNginx("ingress-nginx", {}), {
            namespace: "ingress-nginx",
            className: "nginx",
            chart: { resourceName: "ingress-nginx-chart", release: "ingress-nginx" },
            controllerService: "ingress-nginx-controller",
            admission: {
                resourceName: "ingress-nginx-admission",
                name: "ingress-nginx-admission",
                secret: "ingress-nginx-admission",
                webhook: "ingress-nginx-admission",
                service: "ingress-nginx-controller-admission",
                createJob: { resourceName: "ingress-nginx-admission-create", name: "ingress-nginx-admission-create" },
                patchJob: { resourceName: "ingress-nginx-admission-patch", name: "ingress-nginx-admission-patch" },
                labels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook" },
            },
            objects: [
                { apiVersion: "v1", kind: "Service", namespace: "ingress-nginx", name: "ingress-nginx-controller", by: "chart", source: { path: ["enabled"], value: true }, pin: undefined },
                ...(
                    [
                        ["v1", "ServiceAccount", "ingress-nginx", "ingress-nginx-admission", "ingress-nginx-admission"],
                        ["rbac.authorization.k8s.io/v1", "Role", "ingress-nginx", "ingress-nginx-admission", "ingress-nginx-admission"],
                        ["rbac.authorization.k8s.io/v1", "RoleBinding", "ingress-nginx", "ingress-nginx-admission", "ingress-nginx-admission"],
                        ["rbac.authorization.k8s.io/v1", "ClusterRole", undefined, "ingress-nginx-admission", "ingress-nginx-admission"],
                        ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding", undefined, "ingress-nginx-admission", "ingress-nginx-admission"],
                        ["batch/v1", "Job", "ingress-nginx", "ingress-nginx-admission-create", "ingress-nginx-admission-create"],
                        ["batch/v1", "Job", "ingress-nginx", "ingress-nginx-admission-patch", "ingress-nginx-admission-patch"],
                    ] as const
                ).map(([apiVersion, kind, namespace, resourceName, name]) =>
                    program("IngressNginx", resourceName, {
                        apiVersion,
                        kind,
                        namespace,
                        name,
                        source: { path: ["install"], value: true },
                        labels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook" },
                    }),
                ),
            ],
        });
        assert.deepEqual(planIngressNginx("in", { namespace: "edge", className: "lab", install: false }), {
            namespace: "edge",
            className: "lab",
            chart: undefined,
            controllerService: "ingress-nginx-controller",
            admission: undefined,
            objects: [{ apiVersion: "v1", kind: "Service", namespace: "edge", name: "ingress-nginx-controller", by: "chart", source: { path: ["enabled"], value: true }, pin: undefined }],
        });
        const pinned = { path: ["loadBalancerIP"], value: "172.17.255.3" };
        assert.deepEqual(planIngressNginx("in", { loadBalancerIP: "172.17.255.3" }).objects[0].pin, { address: "172.17.255.3", source: pinned });
    });

    it("is what the component registers", async () => {
        new IngressNginx("in", { namespace: "edge" });
        await settle();
        const chart = recorded.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => [r.name, r.inputs.name, r.inputs.namespace]);
        assert.deepEqual(chart, [["in-chart", "ingress-nginx", "edge"]]);
        const { admission } = planIngressNginx("in", { namespace: "edge" });
        assert.deepEqual(
            recorded
                .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v4:Chart")
                .map((r) => [r.type.split(":").pop(), r.name, r.inputs.metadata.namespace, r.inputs.metadata.name])
                .sort(),
            [
                ["ClusterRole", admission!.resourceName, undefined, admission!.name],
                ["ClusterRoleBinding", admission!.resourceName, undefined, admission!.name],
                ["Job", admission!.createJob.resourceName, "edge", admission!.createJob.name],
                ["Job", admission!.patchJob.resourceName, "edge", admission!.patchJob.name],
                ["Role", admission!.resourceName, "edge", admission!.name],
                ["RoleBinding", admission!.resourceName, "edge", admission!.name],
                ["ServiceAccount", admission!.resourceName, "edge", admission!.name],
            ],
        );
        assert.deepEqual(registered(), listed(planIngressNginx("in", { namespace: "edge" }).objects));
    });
});

describe("planNginxGatewayFabric", () => {
    it("defaults: nginx-gateway, class nginx, the chart `ngf` and its certificate generator", () => {
        assert.deepEqual(planNginxGatewayFabric("nginx-gateway", {}), {
            namespace: "nginx-gateway",
            className: "nginx",
            install: {
                chart: { resourceName: "nginx-gateway-chart", release: "ngf" },
                certGenerator: {
                    resourceName: "nginx-gateway-cert-generator",
                    name: "ngf-nginx-gateway-fabric-cert-generator",
                    labels: { "app.kubernetes.io/name": "nginx-gateway-fabric", "app.kubernetes.io/instance": "ngf" },
                },
                service: "ngf-nginx-gateway-fabric",
            },
            objects: (
                [
                    ["v1", "ServiceAccount"],
                    ["rbac.authorization.k8s.io/v1", "Role"],
                    ["rbac.authorization.k8s.io/v1", "RoleBinding"],
                    ["batch/v1", "Job"],
                ] as const
            ).map(([apiVersion, kind]) =>
                program("NginxGatewayFabric", "nginx-gateway-cert-generator", {
                    apiVersion,
                    kind,
                    namespace: "nginx-gateway",
                    name: "ngf-nginx-gateway-fabric-cert-generator",
                    source: { path: ["install"], value: true },
                    labels: { "app.kubernetes.io/name": "nginx-gateway-fabric", "app.kubernetes.io/instance": "ngf" },
                }),
            ),
        });
        assert.deepEqual(planNginxGatewayFabric("gw", { namespace: "gw", className: "lab", install: false }), { namespace: "gw", className: "lab", install: undefined, objects: [] });
    });

    it("is what the component registers", async () => {
        new NginxGatewayFabric("gw", { namespace: "gw" });
        await settle();
        const name = "gw/ngf-nginx-gateway-fabric-cert-generator";
        assert.deepEqual(registered(), [`Job gw-cert-generator ${name}`, `Role gw-cert-generator ${name}`, `RoleBinding gw-cert-generator ${name}`, `ServiceAccount gw-cert-generator ${name}`]);
        assert.deepEqual(registered(), listed(planNginxGatewayFabric("gw", { namespace: "gw" }).objects));
        assert.equal(recorded.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.name, "gw-chart");
    });
});

describe("planDashboard", () => {
    it("defaults: kubernetes-dashboard, the chart and its CSRF key, the Ingress `dashboard` at /dashboard of class nginx to the Kong proxy on 443", () => {
        assert.deepEqual(planDashboard("dashboard", {}), {
            namespace: "kubernetes-dashboard",
            chart: { resourceName: "dashboard-chart", release: "kubernetes-dashboard", csrfKey: "dashboard-csrf-key" },
            ingress: {
                resourceName: "dashboard-ingress",
                name: "dashboard",
                className: "nginx",
                path: "/dashboard",
                backend: { service: "kubernetes-dashboard-kong-proxy", port: 443 },
            },
            objects: [
                program("Dashboard", "dashboard-ingress", {
                    apiVersion: "networking.k8s.io/v1",
                    kind: "Ingress",
                    namespace: "kubernetes-dashboard",
                    name: "dashboard",
                    source: { path: ["enabled"], value: true },
                }),
            ],
        });
        const p = planDashboard("d", { namespace: "ui", install: false, path: "/ui", ingressClassName: "lab" });
        assert.deepEqual([p.namespace, p.chart, p.ingress.resourceName, p.ingress.path, p.ingress.className], ["ui", undefined, "d-ingress", "/ui", "lab"]);
    });

    it("is what the component registers", async () => {
        new Dashboard("d", { namespace: "ui", install: false });
        await settle();
        assert.deepEqual(registered(), ["Ingress d-ingress ui/dashboard"]);
        assert.deepEqual(registered(), listed(planDashboard("d", { namespace: "ui", install: false }).objects));
    });
});

describe("planNodeExporter", () => {
    it("defaults: monitoring, every object `node-exporter`, app label node-exporter, port 9100", () => {
        const on = { path: ["enabled"], value: true };
        const labels = { app: "node-exporter" };
        assert.deepEqual(planNodeExporter("node-exporter", {}), {
            namespace: "monitoring",
            labels: { app: "node-exporter" },
            port: 9100,
            serviceAccount: { resourceName: "node-exporter-sa", name: "node-exporter" },
            daemonSet: { resourceName: "node-exporter", name: "node-exporter" },
            service: { resourceName: "node-exporter-svc", name: "node-exporter" },
            clusterRole: { resourceName: "node-exporter-role", name: "node-exporter" },
            binding: { resourceName: "node-exporter-binding", name: "node-exporter" },
            objects: [
                program("NodeExporter", "node-exporter-sa", { apiVersion: "v1", kind: "ServiceAccount", namespace: "monitoring", name: "node-exporter", source: on, labels }),
                program("NodeExporter", "node-exporter", {
                    apiVersion: "apps/v1",
                    kind: "DaemonSet",
                    namespace: "monitoring",
                    name: "node-exporter",
                    source: on,
                    labels,
                    selector: { labels, source: on },
                }),
                program("NodeExporter", "node-exporter-svc", {
                    apiVersion: "v1",
                    kind: "Service",
                    namespace: "monitoring",
                    name: "node-exporter",
                    source: on,
                    labels,
                    selector: { labels, source: on },
                    ports: [9100],
                }),
                program("NodeExporter", "node-exporter-role", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "node-exporter", source: on, labels }),
                program("NodeExporter", "node-exporter-binding", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", name: "node-exporter", source: on, labels }),
            ],
        });
    });

    it("is what the component registers", async () => {
        new NodeExporter("ne", { namespace: "metrics" });
        await settle();
        assert.deepEqual(registered(), [
            "ClusterRole ne-role /node-exporter",
            "ClusterRoleBinding ne-binding /node-exporter",
            "DaemonSet ne metrics/node-exporter",
            "Service ne-svc metrics/node-exporter",
            "ServiceAccount ne-sa metrics/node-exporter",
        ]);
        assert.deepEqual(registered(), listed(planNodeExporter("ne", { namespace: "metrics" }).objects));
    });
});

describe("the defaults, stated once", () => {
    it("the config schema's defaults are the components' own (a standalone user gets the same)", () => {
        const metallb = schemaDefaults("metallb");
        assert.deepEqual(planMetalLB("m", { namespace: metallb.namespace as string, poolName: metallb.poolName as string }), planMetalLB("m", {}));
        const coredns = schemaDefaults("coredns");
        assert.deepEqual(planCoreDnsExternal("c", { sharingKey: coredns.sharingKey as string }), planCoreDnsExternal("c", {}));
        const ingress = schemaDefaults("ingressNginx");
        assert.deepEqual(planIngressNginx("i", { namespace: ingress.namespace as string, className: ingress.className as string, install: ingress.install as boolean }), planIngressNginx("i", {}));
        const gateway = schemaDefaults("nginxGateway");
        assert.deepEqual(
            planNginxGatewayFabric("g", { namespace: gateway.namespace as string, className: gateway.className as string, install: gateway.install as boolean }),
            planNginxGatewayFabric("g", {}),
        );
        const dashboard = schemaDefaults("dashboard");
        assert.deepEqual(planDashboard("d", { namespace: dashboard.namespace as string, path: dashboard.path as string, install: dashboard.install as boolean }), planDashboard("d", {}));
        assert.deepEqual(planNodeExporter("n", { namespace: schemaDefaults("nodeExporter").namespace as string }), planNodeExporter("n", {}));
        const minio = schemaDefaults("minio") as { namespace: string; loadBalancer: { name: string } };
        assert.deepEqual(planMinIO("m", { namespace: minio.namespace, loadBalancer: { name: minio.loadBalancer.name } }), planMinIO("m", {}));
    });
});

describe("openingSources: who may reach an opening", () => {
    const web: WorkloadOpening = { name: "web", podSelector: { app: "web" }, ports: [8080], from: ["ingressController", "sameNamespace"], fromNamespaces: ["kube-system"] };
    const args = { ingressControllerNamespace: "ingress", extraSourceNamespaces: ["monitoring"] };

    it("in the peers' order: the ingress controller's namespace, the opening's own, its fromNamespaces, the extra ones; anywhere when published", () => {
        assert.deepEqual(openingSources(web, args), [{ namespace: "ingress" }, "sameNamespace", { namespace: "kube-system" }, { namespace: "monitoring" }]);
        assert.deepEqual(openingSources({ ...web, fromNamespaces: undefined }, {}), [{ namespace: "ingress-nginx" }, "sameNamespace"]);
        assert.equal(openingSources({ ...web, from: ["anywhere"] }, args), "anywhere");
        assert.deepEqual(openingSources({ ...web, from: [], fromNamespaces: undefined }, {}), []);
    });

    it("admits exactly those sources; planNetworkIsolation opens nothing for none", () => {
        assert.deepEqual(
            ["apps", "ingress", "kube-system", "monitoring", "other"].map((source) => openingAdmits(web, "apps", source, args)),
            [true, true, true, true, false],
        );
        assert.equal(openingAdmits({ ...web, from: ["anywhere"] }, "apps", "other", args), true);
        const none = { ...web, from: [], fromNamespaces: undefined };
        assert.deepEqual(
            planNetworkIsolation("netpol", { namespaces: { apps: [none] } }).map((p) => p.name),
            ["default-deny", "allow-dns", "allow-same-namespace"],
        );
        assert.deepEqual(
            planNetworkIsolation("netpol", { namespaces: { apps: [none] }, extraSourceNamespaces: ["monitoring"] }).map((p) => p.name),
            ["default-deny", "allow-dns", "allow-same-namespace", "allow-web"],
        );
    });
});
