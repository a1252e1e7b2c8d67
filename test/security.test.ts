// Network isolation: the NetworkIsolation component's exact objects, the plan config derives for it,
// and the off-switch.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { NetworkIsolation } from "../components/core";
import { networkPolicyPlan, parseConfig } from "../config";
import { k8sObject, ofType, reset, settle } from "./harness";

beforeEach(reset);
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

const web = { services: [{ name: "web-svc" }], ingress: { host: "app.local", path: "/web" } };

describe("NetworkIsolation", () => {
    it("denies by default, lets DNS out and opens each workload to the sources it names", async () => {
        const isolation = new NetworkIsolation("netpol", {
            namespaces: {
                default: [
                    { name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"] },
                    { name: "minio", podSelector: { app: "minio" }, ports: [9000], from: ["anywhere"] },
                ],
            },
            extraSourceNamespaces: ["monitoring"],
        });
        await settle();
        assert.deepEqual(isolation.policyNames, { default: ["default-deny", "allow-dns", "allow-same-namespace", "allow-web", "allow-minio"] });
        assert.deepEqual(k8sObject(NETPOL, "default-deny", "default").inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(k8sObject(NETPOL, "allow-dns", "default").inputs.spec, {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
        assert.deepEqual(k8sObject(NETPOL, "allow-same-namespace", "default").inputs.spec, { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] });
        assert.deepEqual(k8sObject(NETPOL, "allow-web", "default").inputs.spec, {
            podSelector: { matchLabels: { app: "web" } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
                        { podSelector: {} },
                        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
                    ],
                    ports: [{ protocol: "TCP", port: 8000 }],
                },
            ],
        });
        assert.deepEqual(k8sObject(NETPOL, "allow-minio", "default").inputs.spec, {
            podSelector: { matchLabels: { app: "minio" } },
            policyTypes: ["Ingress"],
            ingress: [{ ports: [{ protocol: "TCP", port: 9000 }] }],
        });
    });

    it("opens nothing when a workload has no source (an empty `from` would mean every source)", async () => {
        new NetworkIsolation("netpol", { namespaces: { apps: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: [] }] } });
        await settle();
        assert.deepEqual(
            ofType(NETPOL)
                .map((r) => r.inputs.metadata.name)
                .sort(),
            ["allow-dns", "allow-same-namespace", "default-deny"],
        );
    });
});

describe("network policy plan", () => {
    it("opens each release's port: published ones to anywhere, the rest to the ingress controller and their namespace", () => {
        const cfg = parseConfig({
            releases: {
                web: { ...web, port: 8000, split: "ingress", stable: {}, canary: { namespace: "canary", weight: 50 } },
                clock: { app: "clock-nginx", stable: {}, services: [{ name: "clock-lb", type: "LoadBalancer" }] },
            },
            minio: { enabled: false },
        });
        assert.deepEqual(networkPolicyPlan(cfg), {
            // The verify Job's namespace is let in where a release is not published.
            default: [
                { name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["platform-verify"] },
                { name: "clock", podSelector: { app: "clock-nginx" }, ports: [8080], from: ["anywhere"] },
            ],
            canary: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["platform-verify"] }],
        });
    });

    it("opens a canary's own namespace only as far as its ClusterIP twin needs, though the stable track is published", () => {
        const cfg = parseConfig({
            releases: {
                web: {
                    ...web,
                    port: 8000,
                    split: "ingress",
                    stable: {},
                    canary: { namespace: "canary", weight: 50 },
                    services: [{ name: "web-svc" }, { name: "web-lb", type: "LoadBalancer" }, { name: "web-np", type: "NodePort" }],
                },
            },
            minio: { enabled: false },
        });
        assert.deepEqual(networkPolicyPlan(cfg), {
            default: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["anywhere"] }],
            canary: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["platform-verify"] }],
        });
        // The canary beside the stable track shares its namespace's opening: published, to anywhere.
        const beside = parseConfig({
            releases: { web: { ...web, port: 8000, split: "ingress", stable: {}, canary: { weight: 50 }, services: [{ name: "web-svc" }, { name: "web-lb", type: "LoadBalancer" }] } },
            minio: { enabled: false },
        });
        assert.deepEqual(networkPolicyPlan(beside), { default: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["anywhere"] }] });
    });

    it("lets the verify namespace in only while the verify step is on", () => {
        const releases = { web: { ...web, port: 8000, split: "ingress", stable: {} } };
        assert.deepEqual(networkPolicyPlan(parseConfig({ releases, minio: { enabled: false }, verify: { namespace: "checks" } })), {
            default: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"], fromNamespaces: ["checks"] }],
        });
        assert.deepEqual(networkPolicyPlan(parseConfig({ releases, minio: { enabled: false }, verify: { enabled: false } })), {
            default: [{ name: "web", podSelector: { app: "web" }, ports: [8000], from: ["ingressController", "sameNamespace"] }],
        });
    });

    it("opens MinIO to its namespace, or to anywhere with its LoadBalancer", () => {
        const secrets = { minioRootUser: "admin", minioRootPassword: "password1" };
        assert.deepEqual(networkPolicyPlan(parseConfig({ ...secrets, minio: { namespace: "storage", loadBalancer: { enabled: false } } })), {
            storage: [{ name: "minio", podSelector: { app: "minio" }, ports: [9000], from: ["sameNamespace"] }],
        });
        assert.deepEqual(networkPolicyPlan(parseConfig({ ...secrets })), { default: [{ name: "minio", podSelector: { app: "minio" }, ports: [9000], from: ["anywhere"] }] });
    });

    it("is empty with security.networkPolicies false (the off-switch)", () => {
        const cfg = parseConfig({ releases: { web: { ...web, stable: {} } }, minio: { enabled: false }, security: { networkPolicies: false } });
        assert.deepEqual(networkPolicyPlan(cfg), {});
    });
});
