// MetalLB, ingress-nginx, CoreDNS, Dashboard, access control, MinIO and node-exporter, on mocks.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { AccessControl } from "../components/access";
import { CoreDnsExternal, Dashboard, IngressNginx, MetalLB } from "../components/network";
import { NodeExporter } from "../components/observability";
import { MinIO } from "../components/storage";
import { isSecretValue, k8sObject, ofType, one, plainStrings, recorded, reset, securityProblems, settle } from "./harness";

beforeEach(reset);
const CHART = "kubernetes:helm.sh/v4:Chart";
const SERVICE = "kubernetes:core/v1:Service";
const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";

describe("MetalLB", () => {
    it("installs the pinned chart in layer 2 mode and declares the pool from config", async () => {
        new MetalLB("metallb", { addresses: ["172.17.255.1-172.17.255.255"] });
        await settle();
        const chart = one(CHART, "metallb-chart").inputs;
        assert.deepEqual([chart.chart, chart.version, chart.repositoryOpts.repo, chart.namespace], ["metallb", "0.15.2", "https://metallb.github.io/metallb", "metallb-system"]);
        const resources = { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } };
        assert.deepEqual(chart.values, { controller: { resources }, speaker: { frr: { enabled: false }, resources } });
        const pool = one("kubernetes:metallb.io/v1beta1:IPAddressPool", "metallb-pool").inputs;
        assert.deepEqual([pool.metadata, pool.spec], [{ name: "default", namespace: "metallb-system" }, { addresses: ["172.17.255.1-172.17.255.255"] }]);
        const l2 = one("kubernetes:metallb.io/v1beta1:L2Advertisement", "metallb-l2").inputs;
        assert.deepEqual(l2.spec, { ipAddressPools: ["default"] });
        assert.equal(ofType("kubernetes:metallb.io/v1beta1:BGPAdvertisement").length, 0);
    });

    it("install: false declares only the pool, for a MetalLB already there", async () => {
        new MetalLB("metallb", { addresses: ["10.0.0.0/28"], install: false });
        await settle();
        assert.deepEqual(recorded.map((r) => r.type).sort(), ["kubernetes:metallb.io/v1beta1:IPAddressPool", "kubernetes:metallb.io/v1beta1:L2Advertisement", "platform:network:MetalLB"]);
    });

    it("interfaces: the pool is announced only on the named NICs (the L2Advertisement's interfaces)", async () => {
        new MetalLB("metallb", { addresses: ["10.0.0.0/28"], interfaces: ["eth1", "bmp-lan0"] });
        await settle();
        assert.deepEqual(one("kubernetes:metallb.io/v1beta1:L2Advertisement", "metallb-l2").inputs.spec, { ipAddressPools: ["default"], interfaces: ["eth1", "bmp-lan0"] });
    });
});

describe("ingress-nginx", () => {
    it("installs the final chart behind a LoadBalancer with externalTrafficPolicy Local, its admission webhook on", async () => {
        const ing = new IngressNginx("ingress-nginx", { loadBalancerIP: "172.17.255.3" });
        await settle();
        const chart = one(CHART, "ingress-nginx-chart").inputs;
        assert.deepEqual([chart.chart, chart.version, chart.repositoryOpts.repo], ["ingress-nginx", "4.15.1", "https://kubernetes.github.io/ingress-nginx"]);
        const c = chart.values.controller;
        assert.deepEqual(c.service, { type: "LoadBalancer", externalTrafficPolicy: "Local", annotations: { "metallb.io/loadBalancerIPs": "172.17.255.3" } });
        assert.deepEqual(c.ingressClassResource, { name: "nginx", enabled: true, default: false });
        assert.deepEqual(c.admissionWebhooks, { enabled: true, failurePolicy: "Fail", patch: { enabled: false } });
        assert.deepEqual(c.metrics, { enabled: true }, "declares port 10254, where the probes go");
        assert.deepEqual(c.extraArgs, { "status-update-interval": "5" }, "an Ingress created after the controller gets its address within 5 s, not 60");
        assert.deepEqual(
            c.annotations,
            {
                "config.kubernetes.io/depends-on":
                    "/namespaces/ingress-nginx/ServiceAccount/ingress-nginx,rbac.authorization.k8s.io/namespaces/ingress-nginx/Role/ingress-nginx,rbac.authorization.k8s.io/namespaces/ingress-nginx/RoleBinding/ingress-nginx,rbac.authorization.k8s.io/ClusterRole/ingress-nginx,rbac.authorization.k8s.io/ClusterRoleBinding/ingress-nginx",
            },
            "the controller's Deployment created after its account and roles",
        );
        assert.equal(await new Promise((r) => ing.address.apply(r)), "172.17.255.3");
    });

    it("the webhook's certificate: the chart's hook Jobs as ordinary resources, create before the chart and patch after it", async () => {
        // dependsOn as a transformation sees it: __name is the resource's logical name, kept by the SDK on every resource.
        const dependsOn: Record<string, string[]> = {};
        const see = (args: pulumi.ResourceTransformationArgs): undefined => {
            dependsOn[`${args.type} ${args.name}`] = ([] as unknown[]).concat((args.opts.dependsOn as unknown) ?? []).map((d: any) => d.__name ?? "?");
            return undefined;
        };
        new IngressNginx("ingress-nginx", {}, { transformations: [see] });
        await settle();
        const labels = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook" };
        const job = (name: string) => {
            const spec = one("kubernetes:batch/v1:Job", name).inputs.spec.template.spec;
            return [spec.serviceAccountName, spec.automountServiceAccountToken, spec.restartPolicy, spec.containers[0].image, spec.containers[0].args];
        };
        const image = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd";
        assert.deepEqual(job("ingress-nginx-admission-create"), [
            "ingress-nginx-admission",
            true,
            "OnFailure",
            image,
            ["create", "--host=ingress-nginx-controller-admission,ingress-nginx-controller-admission.$(POD_NAMESPACE).svc", "--namespace=$(POD_NAMESPACE)", "--secret-name=ingress-nginx-admission"],
        ]);
        assert.deepEqual(job("ingress-nginx-admission-patch"), [
            "ingress-nginx-admission",
            true,
            "OnFailure",
            image,
            ["patch", "--webhook-name=ingress-nginx-admission", "--namespace=$(POD_NAMESPACE)", "--patch-mutating=false", "--secret-name=ingress-nginx-admission", "--patch-failure-policy=Fail"],
        ]);
        assert.deepEqual(one("kubernetes:rbac.authorization.k8s.io/v1:Role", "ingress-nginx-admission").inputs.rules, [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "create"] }]);
        assert.deepEqual(one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "ingress-nginx-admission").inputs, {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "ingress-nginx-admission", labels },
            rules: [{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["ingress-nginx-admission"], verbs: ["get", "update"] }],
        });
        assert.deepEqual(one("kubernetes:core/v1:ServiceAccount", "ingress-nginx-admission").inputs, {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "ingress-nginx-admission", namespace: "ingress-nginx", labels },
            automountServiceAccountToken: false,
        });
        assert.deepEqual(dependsOn[`${CHART} ingress-nginx-chart`], ["ingress-nginx-admission-create"]);
        assert.deepEqual(dependsOn["kubernetes:batch/v1:Job ingress-nginx-admission-create"], ["ingress-nginx-admission"], "the RoleBinding");
        assert.deepEqual(dependsOn["kubernetes:batch/v1:Job ingress-nginx-admission-patch"], [
            "ingress-nginx-admission",
            "ingress-nginx-admission",
            "ingress-nginx-admission-create",
            "ingress-nginx-chart",
        ]);
    });

    it("install: false declares nothing and reports the configured address", async () => {
        const ing = new IngressNginx("ingress-nginx", { install: false, loadBalancerIP: "172.17.255.3" });
        await settle();
        assert.equal(ofType(CHART).length, 0);
        assert.equal(await new Promise((r) => ing.address.apply(r)), "172.17.255.3");
    });
});

describe("CoreDNS outside the cluster and the Dashboard", () => {
    it("two LoadBalancer Services, TCP and UDP 53, sharing one address", async () => {
        new CoreDnsExternal("coredns", { address: "172.17.255.2" });
        await settle();
        const services = ofType(SERVICE).map((s) => [
            s.inputs.metadata.name,
            s.inputs.metadata.namespace,
            s.inputs.spec.ports[0].protocol,
            s.inputs.spec.ports[0].port,
            s.inputs.spec.selector["k8s-app"],
            s.inputs.metadata.annotations,
        ]);
        const annotations = { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}", "metallb.io/allow-shared-ip": "coredns", "metallb.io/loadBalancerIPs": "172.17.255.2" };
        assert.deepEqual(services, [
            ["coredns-svc-lb-tcp", "kube-system", "TCP", 53, "kube-dns", annotations],
            ["coredns-svc-lb-udp", "kube-system", "UDP", 53, "kube-dns", annotations],
        ]);
    });

    it("publishes the dashboard at /dashboard with the lab's annotations", async () => {
        new Dashboard("dashboard", {});
        await settle();
        const chart = one(CHART, "dashboard-chart").inputs;
        assert.equal(chart.version, "7.14.0");
        // The Kong proxy and its init container get requests and limits; the CSRF key is made once
        // (a dynamic resource kept in state, secret) instead of on every render by the chart.
        assert.deepEqual(chart.values.kong, { resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } } });
        const key = one("pulumi-nodejs:dynamic/platform:GeneratedKey", "dashboard-csrf-key").inputs;
        assert.equal(key.bytes, 256);
        // The key reaches the chart (mocks do not mark additionalSecretOutputs; the e2e suite sees it secret).
        assert.equal(chart.values.app.security.csrfKey, "<key of dashboard-csrf-key>");
        const ing = k8sObject("kubernetes:networking.k8s.io/v1:Ingress", "dashboard", "kubernetes-dashboard").inputs;
        assert.deepEqual(ing.metadata.annotations, {
            "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}",
            "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
            "nginx.ingress.kubernetes.io/use-regex": "true",
            "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
        });
        assert.equal(ing.spec.rules[0].http.paths[0].path, "/dashboard(/|$)(.*)");
    });
});

describe("AccessControl: the lab's accounts", () => {
    it("binds exactly bob, carol's group, jane and ken; dave gets nothing", async () => {
        new AccessControl("access", {
            accounts: [
                { name: "bob", namespace: "default", grant: { clusterRole: "admin" } },
                { name: "dave", namespace: "default" },
                { name: "carol", namespace: "prometheus" },
                { name: "jane", namespace: "dev", grant: { clusterRole: "admin", namespace: "dev" } },
                { name: "ken", namespace: "dev", grant: { clusterRole: "view", namespace: "dev" } },
            ],
            groups: [{ namespace: "prometheus", clusterRole: "prometheus", rules: [{ resources: ["pods"], verbs: ["get", "list", "watch"] }] }],
        });
        await settle();
        assert.deepEqual(
            ofType("kubernetes:core/v1:ServiceAccount").map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`),
            ["default/bob", "default/dave", "prometheus/carol", "dev/jane", "dev/ken"],
        );
        const binding = (r: any) => [r.metadata.name, r.metadata.namespace, r.roleRef.name, r.subjects.map((s: any) => `${s.kind}:${s.namespace ?? ""}:${s.name}`)];
        assert.deepEqual(
            ofType(`${RBAC}:ClusterRoleBinding`).map((r) => binding(r.inputs)),
            [
                ["bob", undefined, "admin", ["ServiceAccount:default:bob"]],
                ["prometheus", undefined, "prometheus", ["Group::system:serviceaccounts:prometheus"]],
            ],
        );
        assert.deepEqual(
            ofType(`${RBAC}:RoleBinding`).map((r) => binding(r.inputs)),
            [
                ["jane", "dev", "admin", ["ServiceAccount:dev:jane"]],
                ["ken", "dev", "view", ["ServiceAccount:dev:ken"]],
            ],
        );
        assert.deepEqual(one(`${RBAC}:ClusterRole`, "access-prometheus").inputs.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
    });
});

describe("MinIO", () => {
    const password = "s3cr3t-password";
    it("keeps the credentials in a secret Secret read through secretKeyRef", async () => {
        new MinIO("minio", { rootUser: pulumi.secret("admin"), rootPassword: pulumi.secret(password) });
        await settle();
        // Named by Pulumi, so new credentials are a new Secret and the StatefulSet rolls onto it.
        const secret = one("kubernetes:core/v1:Secret", "minio-credentials").inputs;
        assert.equal(secret.metadata.name, undefined);
        assert.ok(isSecretValue(secret.stringData.username) || isSecretValue(secret.stringData));
        assert.ok(isSecretValue(secret.stringData.password) || isSecretValue(secret.stringData));
        const c = k8sObject("kubernetes:apps/v1:StatefulSet", "minio").inputs.spec.template.spec.containers[0];
        assert.deepEqual(c.env, [
            { name: "MINIO_ROOT_USER", valueFrom: { secretKeyRef: { name: "minio-credentials-autoname", key: "username" } } },
            { name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "minio-credentials-autoname", key: "password" } } },
        ]);
        assert.deepEqual(
            recorded.filter((r) => plainStrings(r.inputs).some((s) => s.includes(password))).map((r) => r.name),
            [],
        );
    });

    it("is the lab's StatefulSet: headless Service, 10Gi claim at /data, health probes, LoadBalancer", async () => {
        new MinIO("minio", { rootUser: pulumi.secret("admin"), rootPassword: pulumi.secret(password), storageClass: "local-path" });
        await settle();
        const sts = k8sObject("kubernetes:apps/v1:StatefulSet", "minio").inputs.spec;
        const c = sts.template.spec.containers[0];
        assert.deepEqual([sts.replicas, sts.serviceName, c.image, c.args], [1, "minio", "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", ["server", "/data", "--certs-dir", "/tmp/certs"]]);
        assert.deepEqual(c.livenessProbe, { httpGet: { path: "/minio/health/live", port: 9000 }, initialDelaySeconds: 120, periodSeconds: 20 });
        assert.deepEqual(c.readinessProbe.httpGet, { path: "/minio/health/ready", port: 9000 });
        assert.deepEqual(sts.volumeClaimTemplates, [
            { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "local-path", resources: { requests: { storage: "10Gi" } } } },
        ]);
        assert.equal(k8sObject(SERVICE, "minio").inputs.spec.clusterIP, "None");
        assert.deepEqual(k8sObject(SERVICE, "minio-svc-lb").inputs.spec.ports, [{ name: "api", port: 9000, targetPort: "api" }]);
        assert.deepEqual(securityProblems(), []);
    });

    it("loadBalancer: null leaves the LoadBalancer Service out", async () => {
        new MinIO("minio", { rootUser: "a", rootPassword: "b", loadBalancer: null });
        await settle();
        assert.deepEqual(
            ofType(SERVICE).map((s) => s.inputs.metadata.name),
            ["minio"],
        );
    });
});

describe("node-exporter", () => {
    it("runs on every node, control plane included, with its account and a Service on 9100", async () => {
        new NodeExporter("node-exporter", {});
        await settle();
        const ds = k8sObject("kubernetes:apps/v1:DaemonSet", "node-exporter", "monitoring").inputs.spec.template.spec;
        assert.deepEqual(ds.tolerations, [{ operator: "Exists" }]);
        assert.equal(ds.serviceAccountName, "node-exporter");
        assert.deepEqual(k8sObject(SERVICE, "node-exporter", "monitoring").inputs.spec.ports, [{ name: "metrics", port: 9100, targetPort: "metrics" }]);
        // No `rules` at all: `[]` comes back from the API server as null and would diff on every preview.
        assert.ok(!("rules" in one(`${RBAC}:ClusterRole`, "node-exporter-role").inputs));
        assert.deepEqual(one(`${RBAC}:ClusterRoleBinding`, "node-exporter-binding").inputs.subjects, [{ kind: "ServiceAccount", name: "node-exporter", namespace: "monitoring" }]);
        assert.deepEqual(securityProblems(), []);
    });
});
