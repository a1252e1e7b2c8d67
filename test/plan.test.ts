// The plan (plan/platform.ts): what it says the dev stack makes, object by object; that the
// program on the mocks registers exactly the plan's objects for the dev and prod stacks; that it is
// pure; and what one object carries. The generated-config property (config.property.test.ts) holds the
// same equality for every generated config.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, planOf, readStackConfig, type PlatformConfig } from "../config";
import { objectId, pulumiType } from "../plan";
import { DEV_PASSPHRASE, recorded, registeredObjects, reset, settle, stackConfig } from "./harness";

const PROD_SECRETS = { minioRootUser: "ops-admin", minioRootPassword: "prod-password-from-config" };
const stacks = {
    dev: stackConfig("dev", DEV_PASSPHRASE),
    prod: stackConfig("prod", undefined, PROD_SECRETS),
};
const parsed = (stack: keyof typeof stacks): PlatformConfig => parseConfig(readStackConfig(stacks[stack].config));

/** The plan's declared objects as registeredObjects() writes the mocks' (test/harness.ts). */
const planned = (cfg: PlatformConfig) =>
    planOf(cfg)
        .declared()
        .map((o) => `${pulumiType(o)} ${o.resource?.name} ${o.namespace ?? ""}/${o.name ?? "<named by Pulumi>"}`)
        .sort();

describe("the plan", () => {
    it("of the dev stack: every object in the cluster, each with its Pulumi resource (or who else makes it)", () => {
        const plan = planOf(parsed("dev"));
        assert.deepEqual(
            plan.all().map((o) => [objectId(o), o.by === "program" ? o.resource?.name : o.by]),
            [
                ["Namespace canary", "ns-canary"],
                ["Namespace default", "ns-default"],
                ["Namespace dev", "ns-dev"],
                ["Namespace ingress-nginx", "ns-ingress-nginx"],
                ["Namespace kubernetes-dashboard", "ns-kubernetes-dashboard"],
                ["Namespace metallb-system", "ns-metallb-system"],
                ["Namespace monitoring", "ns-monitoring"],
                ["Namespace platform-verify", "ns-platform-verify"],
                ["Namespace prometheus", "ns-prometheus"],
                ["IPAddressPool metallb-system/default", "metallb-pool"],
                ["IPAddressPool metallb-system/default-reserved", "metallb-reserved-pool"],
                ["L2Advertisement metallb-system/default", "metallb-l2"],
                ["Service kube-system/coredns-svc-lb-tcp", "coredns-tcp"],
                ["Service kube-system/coredns-svc-lb-udp", "coredns-udp"],
                ["Service ingress-nginx/ingress-nginx-controller", "chart"],
                ["ServiceAccount ingress-nginx/ingress-nginx-admission", "ingress-nginx-admission"],
                ["Role ingress-nginx/ingress-nginx-admission", "ingress-nginx-admission"],
                ["RoleBinding ingress-nginx/ingress-nginx-admission", "ingress-nginx-admission"],
                ["ClusterRole ingress-nginx-admission", "ingress-nginx-admission"],
                ["ClusterRoleBinding ingress-nginx-admission", "ingress-nginx-admission"],
                ["Job ingress-nginx/ingress-nginx-admission-create", "ingress-nginx-admission-create"],
                ["Job ingress-nginx/ingress-nginx-admission-patch", "ingress-nginx-admission-patch"],
                ["Ingress kubernetes-dashboard/dashboard", "dashboard-ingress"],
                ["ConfigMap default/<named by Pulumi>", "clock-stable-page"],
                ["Deployment default/clock-deployment", "clock-stable"],
                ["PodDisruptionBudget default/clock-deployment", "clock-stable-pdb"],
                ["Service default/my-service", "clock-my-service"],
                ["ConfigMap default/<named by Pulumi>", "nginx-stable-page"],
                ["Deployment default/nginx-deployment-stable", "nginx-stable"],
                ["PodDisruptionBudget default/nginx-deployment-stable", "nginx-stable-pdb"],
                ["ConfigMap default/<named by Pulumi>", "nginx-canary-page"],
                ["Deployment default/nginx-deployment-canary", "nginx-canary"],
                ["PodDisruptionBudget default/nginx-deployment-canary", "nginx-canary-pdb"],
                ["Service default/nginx-svc", "nginx-nginx-svc"],
                ["ConfigMap default/<named by Pulumi>", "web-stable-page"],
                ["Deployment default/web", "web-stable"],
                ["PodDisruptionBudget default/web", "web-stable-pdb"],
                ["ConfigMap canary/<named by Pulumi>", "web-canary-page"],
                ["Deployment canary/web", "web-canary"],
                ["PodDisruptionBudget canary/web", "web-canary-pdb"],
                ["Service default/web-svc", "web-web-svc"],
                ["Service default/web-svc-cip", "web-web-svc-cip"],
                ["Service default/web-svc-np", "web-web-svc-np"],
                ["Service default/web-svc-lb", "web-web-svc-lb"],
                ["Ingress default/web", "web-ingress"],
                ["Service canary/web-svc", "web-canary-web-svc"],
                ["Ingress canary/web-canary", "web-canary-ingress"],
                ["NetworkPolicy canary/default-deny", "netpol-canary-default-deny"],
                ["NetworkPolicy canary/allow-dns", "netpol-canary-allow-dns"],
                ["NetworkPolicy canary/allow-same-namespace", "netpol-canary-allow-same-namespace"],
                ["NetworkPolicy canary/allow-web", "netpol-canary-allow-web"],
                ["NetworkPolicy default/default-deny", "netpol-default-default-deny"],
                ["NetworkPolicy default/allow-dns", "netpol-default-allow-dns"],
                ["NetworkPolicy default/allow-same-namespace", "netpol-default-allow-same-namespace"],
                ["NetworkPolicy default/allow-clock", "netpol-default-allow-clock"],
                ["NetworkPolicy default/allow-nginx", "netpol-default-allow-nginx"],
                ["NetworkPolicy default/allow-web", "netpol-default-allow-web"],
                ["NetworkPolicy default/allow-minio", "netpol-default-allow-minio"],
                ["ServiceAccount default/bob", "access-default-bob"],
                ["ClusterRoleBinding bob", "access-default-bob-binding"],
                ["ServiceAccount default/dave", "access-default-dave"],
                ["ServiceAccount prometheus/carol", "access-prometheus-carol"],
                ["ServiceAccount dev/jane", "access-dev-jane"],
                ["RoleBinding dev/jane", "access-dev-jane-binding"],
                ["ServiceAccount dev/ken", "access-dev-ken"],
                ["RoleBinding dev/ken", "access-dev-ken-binding"],
                ["ClusterRole prometheus", "access-prometheus"],
                ["ClusterRoleBinding prometheus", "access-prometheus-binding"],
                ["StatefulSet default/minio", "minio"],
                ["Service default/minio", "minio-headless"],
                ["Secret default/<named by Pulumi>", "minio-credentials"],
                ["Service default/minio-svc-lb", "minio-lb"],
                ["ServiceAccount monitoring/node-exporter", "node-exporter-sa"],
                ["DaemonSet monitoring/node-exporter", "node-exporter"],
                ["Service monitoring/node-exporter", "node-exporter-svc"],
                ["ClusterRole node-exporter", "node-exporter-role"],
                ["ClusterRoleBinding node-exporter", "node-exporter-binding"],
                ["Job platform-verify/<named by Pulumi>", "verify"],
            ],
        );
        assert.deepEqual(plan.pinnedAddresses(), ["172.17.255.2", "172.17.255.3"]);
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`of the ${stack} stack is what the program registers on the mocks, object for object and component for component`, async () => {
            reset();
            pulumi.runtime.setAllConfig(stacks[stack].config, stacks[stack].secretKeys);
            delete require.cache[require.resolve("../index")];
            require("../index");
            await settle();
            const registered = registeredObjects();
            assert.ok(registered.length > 20, `${registered.length} objects registered`);
            assert.deepEqual(registered, planned(parsed(stack)));
            // The components too: index.ts names them as the plan does (COMPONENT_NAMES, the releases' and MinIO's config names).
            const components = recorded
                .filter((r) => r.type.startsWith("platform:"))
                .map((r) => `${r.type.split(":")[2]} ${r.name}`)
                .sort();
            assert.deepEqual(
                components,
                planOf(parsed(stack))
                    .components.map((c) => `${c.type} ${c.name}`)
                    .sort(),
            );
        });
    }

    it("says what each of the dev stack's components waits for, and why: its namespaces, and only the controllers a part of it needs", () => {
        const plan = planOf(parsed("dev"));
        const lb = "a LoadBalancer Service gets its address from MetalLB's pool, which MetalLB's CRDs and controller serve";
        const webhook = "ingress-nginx's admission webhook checks every Ingress of its class, so it runs before one is created";
        assert.deepEqual(plan.waits("CanaryRelease", "web"), {
            namespaces: ["default", "canary"],
            on: [
                { type: "IngressNginx", name: "ingress-nginx", part: "ingress", why: webhook },
                { type: "MetalLB", name: "metallb", part: "loadBalancer", why: lb },
            ],
        });
        assert.deepEqual(plan.waits("CanaryRelease", "clock"), { namespaces: ["default"], on: [] }, "its Services are ClusterIP and it has no Ingress: it waits for nothing but its namespace");
        assert.deepEqual(plan.waits("MetalLB", "metallb"), { namespaces: ["metallb-system"], on: [] });
        assert.deepEqual(plan.waits("IngressNginx", "ingress-nginx"), { namespaces: ["ingress-nginx"], on: [] });
        assert.deepEqual(plan.waits("Dashboard", "dashboard"), { namespaces: ["kubernetes-dashboard"], on: [{ type: "IngressNginx", name: "ingress-nginx", part: "all", why: webhook }] });
        assert.deepEqual(plan.waits("MinIO", "minio"), { namespaces: ["default"], on: [{ type: "MetalLB", name: "metallb", part: "loadBalancer", why: lb }] });
        assert.deepEqual(plan.waits("Verify", "verify"), {
            namespaces: ["platform-verify"],
            on: [{ type: "NetworkIsolation", name: "netpol", part: "all", why: "the checks' requests meet the NetworkPolicies users' requests meet, so those are in place first" }],
        });
        assert.throws(() => plan.waits("Unknown", "x"), { message: "the plan has no waits for component type Unknown" });
    });

    it("is pure: the same config gives an equal plan, and computing it registers nothing", async () => {
        reset();
        const cfg = parsed("prod");
        const [a, b] = [planOf(cfg), planOf(cfg)];
        await settle();
        assert.deepEqual(recorded, []);
        assert.deepEqual(a.all(), b.all());
        assert.deepEqual(a.resources(), b.resources());
    });

    it("gives each object its config key, labels, selector, ports, pinned address and opening", () => {
        const plan = planOf(
            parseConfig({
                minioRootUser: "admin",
                minioRootPassword: "longenough",
                minio: { enabled: false },
                releases: {
                    web: {
                        split: "ingress",
                        stable: { replicas: 1 },
                        canary: { replicas: 1 },
                        services: [{ name: "web-lb", type: "LoadBalancer", loadBalancerIP: "172.17.255.9" }],
                        ingress: { host: "app.local" },
                    },
                },
            }),
        );
        const find = (id: string) => plan.all().filter((o) => objectId(o) === id);
        const pin = { address: "172.17.255.9", source: { path: ["releases", "web", "services", 0, "loadBalancerIP"], value: "172.17.255.9" } };
        assert.deepEqual(find("Service default/web-lb-canary"), [
            {
                apiVersion: "v1",
                kind: "Service",
                namespace: "default",
                name: "web-lb-canary",
                by: "program",
                resource: { type: "CanaryRelease/Service", name: "web-canary-web-lb-canary", source: { path: ["releases", "web", "services", 0, "name"], value: "web-lb" } },
                source: { path: ["releases", "web", "services", 0, "name"], value: "web-lb" },
                derived: true,
                labels: { app: "web", track: "canary" },
                selector: { labels: { app: "web", track: "canary" }, source: { path: ["releases", "web"], value: "web" } },
                ports: [80],
                // Behind the router the canary's Service is a ClusterIP: it pins nothing (components/apps/canaryRelease.ts).
                pin: undefined,
            },
        ]);
        const opening = { name: "web", podSelector: { app: "web" }, ports: [8080], from: ["anywhere"] };
        assert.deepEqual(find("NetworkPolicy default/allow-web"), [
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                namespace: "default",
                name: "allow-web",
                by: "program",
                resource: { type: "NetworkIsolation/NetworkPolicy", name: "netpol-default-allow-web", source: { path: ["releases", "web"], value: "web" } },
                source: { path: ["releases", "web"], value: "web" },
                opening,
                ports: [8080],
                selector: { labels: { app: "web" }, source: { path: ["releases", "web"], value: "web" } },
            },
        ]);
        assert.deepEqual(plan.pins(), [pin]);
        assert.deepEqual(plan.pinnedAddresses(), ["172.17.255.9"]);
        assert.deepEqual(
            plan
                .all()
                .filter((o) => o.kind === "IPAddressPool")
                .map((o) => o.name),
            ["default", "default-reserved"],
        );
    });

    it("pins a LoadBalancer backend's address once: its canary behind the router is a ClusterIP Service", () => {
        const cfg = parseConfig({
            releases: {
                web: {
                    split: "ingress",
                    stable: { version: "1.0", replicas: 1 },
                    canary: { namespace: "canary", version: "1.1", replicas: 1, weight: 10 },
                    services: [{ name: "web-lb", type: "LoadBalancer", loadBalancerIP: "172.17.255.10" }],
                    ingress: { host: "app.local", path: "/" },
                },
            },
            minio: { enabled: false },
        });
        const plan = planOf(cfg);
        assert.deepEqual(
            plan.pins().map((p) => [p.address, p.source.path.join(".")]),
            [["172.17.255.10", "releases.web.services.0.loadBalancerIP"]],
        );
        assert.deepEqual(
            plan
                .declared()
                .filter((o) => o.kind === "Service")
                .map((o) => [objectId(o), o.pin?.address]),
            [
                ["Service default/web-lb", "172.17.255.10"],
                ["Service canary/web-lb", undefined],
            ],
        );
    });
});
