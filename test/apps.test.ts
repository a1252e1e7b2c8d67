// The clock app and its canary releases, on mocks.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { CanaryRelease, ClockApp, clockPage } from "../components/apps";
import { k8sObject, ofType, one, reset, securityProblems, settle } from "./harness";

beforeEach(reset);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

describe("ClockApp", () => {
    it("serves the page from a ConfigMap with nginx, probes on the served port and secure defaults", async () => {
        new ClockApp("clock", { app: "clock-nginx", version: "1.0", replicas: 4, deploymentName: "clock-deployment" });
        await settle();
        const cm = one("kubernetes:core/v1:ConfigMap", "clock-page").inputs;
        assert.equal(cm.metadata.name, undefined); // named by Pulumi: a new page is a new ConfigMap
        assert.match(cm.data["index.html"], /<p id="version">Version: 1\.0<\/p>/);
        assert.match(cm.data["default.conf"], /listen 8080;/);
        const d = one(DEPLOYMENT, "clock").inputs;
        assert.deepEqual([d.metadata.name, d.spec.replicas, d.spec.selector.matchLabels], ["clock-deployment", 4, { app: "clock-nginx", track: "stable" }]);
        // The stack owns the spec: `pulumi up` takes back a field changed by hand (kubectl scale) instead of failing on the conflict.
        assert.deepEqual(d.metadata.annotations, { "pulumi.com/patchForce": "true" });
        assert.deepEqual(d.spec.template.metadata.labels, { app: "clock-nginx", track: "stable", version: "1.0" });
        const c = d.spec.template.spec.containers[0];
        assert.equal(c.image, "docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine");
        assert.equal(c.command, undefined);
        assert.deepEqual([c.readinessProbe.httpGet, c.livenessProbe.tcpSocket], [{ path: "/healthz", port: 8080 }, { port: 8080 }]);
        // A terminating pod serves 5 s more, until the Service has dropped it (no failed request in a rollout).
        assert.deepEqual(c.lifecycle, { preStop: { exec: { command: ["sleep", "5"] } } });
        assert.deepEqual(c.securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
        assert.deepEqual(securityProblems(), []);
    });

    it("drainSeconds 0 stops nginx at once", async () => {
        new ClockApp("clock", { app: "clock", version: "1.0", drainSeconds: 0 });
        await settle();
        assert.equal(one(DEPLOYMENT, "clock").inputs.spec.template.spec.containers[0].lifecycle, undefined);
    });

    it("rolls the pods when the version changes: the page is a ConfigMap named by Pulumi, mounted by its name", async () => {
        new ClockApp("v10", { app: "clock", version: "1.0" });
        await settle();
        const spec = one(DEPLOYMENT, "v10").inputs.spec;
        assert.equal(one("kubernetes:core/v1:ConfigMap", "v10-page").inputs.metadata.name, undefined);
        assert.deepEqual(
            spec.template.spec.volumes.filter((v: any) => v.configMap).map((v: any) => v.configMap.name),
            ["v10-page-autoname", "v10-page-autoname"],
        );
        // The version is not in the selector, so a new version is an update, not a replacement.
        assert.deepEqual(spec.selector.matchLabels, { app: "clock", track: "stable" });
    });

    it("the broken release runs `false`, so its container never starts", async () => {
        new ClockApp("broken", { app: "clock", version: "1.2", broken: true });
        await settle();
        assert.deepEqual(one(DEPLOYMENT, "broken").inputs.spec.template.spec.containers[0].command, ["false"]);
    });

    it("the lab's web app: an init container writes the page into /app, probes on 8000", async () => {
        new ClockApp("web", { app: "web", version: "1.0", port: 8000, pageDelivery: "initContainer" });
        await settle();
        const spec = one(DEPLOYMENT, "web").inputs.spec.template.spec;
        assert.deepEqual(spec.initContainers[0].volumeMounts, [
            { name: "page", mountPath: "/config", readOnly: true },
            { name: "app", mountPath: "/app" },
        ]);
        assert.deepEqual(spec.initContainers[0].command, ["sh", "-c", "cp /config/index.html /app/index.html"]);
        const c = spec.containers[0];
        assert.deepEqual([c.ports[0].containerPort, c.readinessProbe.httpGet, c.livenessProbe.tcpSocket], [8000, { path: "/index.html", port: 8000 }, { port: 8000 }]);
        assert.deepEqual(
            spec.volumes.find((v: any) => v.name === "app"),
            { name: "app", emptyDir: {} },
        );
        assert.deepEqual(securityProblems(), []);
    });

    it("a relaxed root filesystem is writable only when asked", async () => {
        new ClockApp("rw", { app: "clock", version: "1.0", readOnlyRootFilesystem: false });
        await settle();
        assert.equal(one(DEPLOYMENT, "rw").inputs.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, false);
    });

    it("escapes the version in the page", () => {
        assert.match(clockPage("a<b", "1.0<script>"), /Version: 1\.0&lt;script&gt;/);
    });
});

describe("CanaryRelease", () => {
    it("split replicas: one Service over both tracks (the lab's 29 + 3)", async () => {
        new CanaryRelease("nginx", {
            app: "nginx",
            stable: { name: "nginx-deployment-stable", version: "1.0", replicas: 29 },
            canary: { name: "nginx-deployment-canary", version: "1.1", replicas: 3 },
            services: [{ name: "nginx-svc" }],
        });
        await settle();
        const stable = k8sObject(DEPLOYMENT, "nginx-deployment-stable").inputs;
        const canary = k8sObject(DEPLOYMENT, "nginx-deployment-canary").inputs;
        assert.deepEqual([stable.spec.replicas, canary.spec.replicas], [29, 3]);
        const svc = k8sObject(SERVICE, "nginx-svc").inputs;
        assert.deepEqual(svc.spec.selector, { app: "nginx" });
        for (const d of [stable, canary]) {
            const labels = d.spec.template.metadata.labels;
            assert.ok(
                Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v),
                "the Service selects both tracks",
            );
        }
        assert.equal(ofType(INGRESS).length, 0);
    });

    it("split ingress: disjoint selectors, a main and a canary Ingress on the same host and path", async () => {
        const release = new CanaryRelease("web", {
            app: "web",
            split: "ingress",
            port: 8000,
            stable: { version: "1.0", replicas: 3 },
            canary: { version: "1.1", replicas: 1, weight: 50, header: "canary" },
            services: [{ name: "web-svc", type: "Headless" }],
            ingress: { host: "app.local", path: "/web" },
        });
        await settle();
        const stableSvc = k8sObject(SERVICE, "web-svc").inputs.spec;
        const canarySvc = k8sObject(SERVICE, "web-svc-canary").inputs.spec;
        assert.deepEqual(
            [stableSvc.selector, canarySvc.selector],
            [
                { app: "web", track: "stable" },
                { app: "web", track: "canary" },
            ],
        );
        assert.deepEqual([stableSvc.clusterIP, canarySvc.clusterIP], ["None", "None"]);
        const stablePods = k8sObject(DEPLOYMENT, "web").inputs.spec.template.metadata.labels;
        const canaryPods = k8sObject(DEPLOYMENT, "web-canary").inputs.spec.template.metadata.labels;
        const selects = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
        assert.deepEqual(
            [selects(stableSvc.selector, stablePods), selects(stableSvc.selector, canaryPods), selects(canarySvc.selector, canaryPods), selects(canarySvc.selector, stablePods)],
            [true, false, true, false],
        );

        const main = k8sObject(INGRESS, "web").inputs;
        const canary = k8sObject(INGRESS, "web-canary").inputs;
        assert.deepEqual(main.metadata.annotations, { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}", "nginx.ingress.kubernetes.io/rewrite-target": "/" });
        assert.deepEqual(canary.metadata.annotations, {
            "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}",
            "nginx.ingress.kubernetes.io/rewrite-target": "/",
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-by-header": "canary",
            "nginx.ingress.kubernetes.io/canary-weight": "50",
        });
        assert.deepEqual([main.spec.ingressClassName, canary.spec.ingressClassName], ["nginx", "nginx"]);
        assert.deepEqual(main.spec.rules[0], { host: "app.local", http: { paths: [{ path: "/web", pathType: "Prefix", backend: { service: { name: "web-svc", port: { number: 80 } } } }] } });
        assert.deepEqual(canary.spec.rules[0], { host: "app.local", http: { paths: [{ path: "/web", pathType: "Prefix", backend: { service: { name: "web-svc-canary", port: { number: 80 } } } }] } });
        assert.equal(release.canaryCurl, 'curl -H "canary: always" http://app.local/web');
    });

    it("promoted (no canary): only the stable track, no canary Ingress", async () => {
        new CanaryRelease("web", { split: "ingress", stable: { version: "1.1", replicas: 3 }, services: [{ name: "web-svc" }], ingress: { host: "app.local", path: "/web" } });
        await settle();
        assert.deepEqual(
            ofType(DEPLOYMENT).map((d) => d.inputs.metadata.labels.version),
            ["1.1"],
        );
        assert.deepEqual(
            ofType(INGRESS).map((i) => i.inputs.metadata.name),
            ["web"],
        );
    });

    it("a LoadBalancer Service asks MetalLB for its fixed address", async () => {
        new CanaryRelease("web", { stable: { version: "1", replicas: 1 }, services: [{ name: "web-svc-lb", type: "LoadBalancer", loadBalancerIP: "172.17.255.10" }] });
        await settle();
        const svc = k8sObject(SERVICE, "web-svc-lb").inputs;
        assert.deepEqual(
            [svc.spec.type, svc.metadata.annotations],
            ["LoadBalancer", { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}", "metallb.io/loadBalancerIPs": "172.17.255.10" }],
        );
    });

    it("a canary behind the router gets a ClusterIP Service, not a second LoadBalancer pinning its backend's address", async () => {
        new CanaryRelease("web", {
            split: "ingress",
            stable: { version: "1.0", replicas: 1 },
            canary: { namespace: "canary", version: "1.1", replicas: 1, weight: 10 },
            services: [{ name: "web-svc-lb", type: "LoadBalancer", loadBalancerIP: "172.17.255.10" }],
            ingress: { host: "app.local", path: "/" },
        });
        await settle();
        const shape = (namespace: string) => {
            const svc = k8sObject(SERVICE, "web-svc-lb", namespace).inputs;
            return [svc.spec.type, svc.metadata.annotations];
        };
        assert.deepEqual(
            [shape("default"), shape("canary")],
            [
                ["LoadBalancer", { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}", "metallb.io/loadBalancerIPs": "172.17.255.10" }],
                ["ClusterIP", { "pulumi.com/skipAwait": "true" }],
            ],
        );
    });

    it("a canary behind the router keeps its backend's ClusterIP or headless type", async () => {
        new CanaryRelease("web", {
            split: "ingress",
            stable: { version: "1.0", replicas: 1 },
            canary: { version: "1.1", replicas: 1, weight: 10 },
            services: [{ name: "web-svc", type: "Headless" }],
            ingress: { host: "app.local", path: "/" },
        });
        await settle();
        const canary = k8sObject(SERVICE, "web-svc-canary").inputs;
        assert.deepEqual([canary.spec.type, canary.spec.clusterIP], ["ClusterIP", "None"]);
    });
});
