// Node maintenance on mocks: each track's PodDisruptionBudget and its maxUnavailable, the
// spread across nodes, ephemeral-storage on every container, and the config that tunes or turns each
// off, with its exact messages.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { CanaryRelease, ClockApp, drainBudget } from "../components/apps";
import { NodeExporter } from "../components/observability";
import { MinIO } from "../components/storage";
import { budgetOf, ConfigError, ephemeralOf, parseConfig, spreadOf } from "../config";
import { containers, k8sObject, ofType, reset, settle } from "./harness";

beforeEach(reset);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** The spread the program sets by default: soft, across nodes, one revision at a time, tainted nodes left out. */
const SOFT_BY_NODE = (matchLabels: Record<string, string>) => ({
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels },
    matchLabelKeys: ["pod-template-hash"],
    nodeTaintsPolicy: "Honor",
});

describe("ClockApp: budget, spread and ephemeral storage", () => {
    it("four replicas: a budget named as the Deployment (maxUnavailable 1, as 25% of 4), soft spread, ephemeral-storage on each container", async () => {
        new ClockApp("clock", { app: "clock-nginx", version: "1.0", replicas: 4, deploymentName: "clock-deployment" });
        await settle();
        assert.deepEqual(k8sObject(PDB, "clock-deployment", "default").inputs, {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: "clock-deployment", namespace: "default", labels: { app: "clock-nginx", track: "stable" } },
            spec: { maxUnavailable: 1, selector: { matchLabels: { app: "clock-nginx", track: "stable" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        });
        const spec = k8sObject(DEPLOYMENT, "clock-deployment").inputs.spec.template.spec;
        assert.deepEqual(spec.topologySpreadConstraints, [SOFT_BY_NODE({ app: "clock-nginx", track: "stable" })]);
        assert.deepEqual(spec.containers[0].resources, {
            requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "32Mi" },
            limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "128Mi" },
        });
    });

    it("one replica: no budget (it could only block a drain), the same spread (scaling never changes the template)", async () => {
        new ClockApp("one", { app: "one", version: "1.0", replicas: 1 });
        new ClockApp("none", { app: "none", version: "1.0", replicas: 0 });
        await settle();
        assert.deepEqual(ofType(PDB), []);
        assert.deepEqual(k8sObject(DEPLOYMENT, "one").inputs.spec.template.spec.topologySpreadConstraints, [SOFT_BY_NODE({ app: "one", track: "stable" })]);
    });

    it("tuned: maxUnavailable as given, strict spread with maxSkew 2 and zones; or each turned off", async () => {
        new ClockApp("tuned", {
            app: "tuned",
            version: "1.0",
            replicas: 6,
            disruptionBudget: { maxUnavailable: "50%" },
            topologySpread: { whenUnsatisfiable: "DoNotSchedule", maxSkew: 2, zone: true },
            ephemeralStorage: { request: "1Gi", limit: "2Gi" },
            pageDelivery: "initContainer",
        });
        new ClockApp("off", { app: "off", version: "1.0", replicas: 6, disruptionBudget: null, topologySpread: null, ephemeralStorage: null });
        await settle();
        assert.deepEqual(k8sObject(PDB, "tuned").inputs.spec.maxUnavailable, "50%");
        const spec = k8sObject(DEPLOYMENT, "tuned").inputs.spec.template.spec;
        const common = { labelSelector: { matchLabels: { app: "tuned", track: "stable" } }, matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor" };
        assert.deepEqual(spec.topologySpreadConstraints, [
            { maxSkew: 2, ...common, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule" },
            // Zones are always soft: a strict zone spread would refuse every node without the label.
            { maxSkew: 2, ...common, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" },
        ]);
        for (const c of [spec.initContainers[0], spec.containers[0]]) {
            assert.deepEqual([c.name, c.resources.requests["ephemeral-storage"], c.resources.limits["ephemeral-storage"]], [c.name, "1Gi", "2Gi"]);
        }
        assert.equal(ofType(PDB).length, 1, "no budget for the track that turned it off");
        const off = k8sObject(DEPLOYMENT, "off").inputs.spec.template.spec;
        assert.deepEqual([off.topologySpreadConstraints, off.containers[0].resources], [undefined, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } }]);
    });

    it("drainBudget: what the rollout takes down, rounded down as the Deployment does, at least 1", () => {
        const rolling = (maxUnavailable: number | string, maxSurge: number | string = "25%") => ({ type: "rolling" as const, maxSurge, maxUnavailable });
        // 25% of 4, 10, 29 and 3 (0.75 rounds down to 0, raised to 1).
        assert.deepEqual(
            [4, 10, 29, 3].map((n) => drainBudget(rolling("25%"), n)),
            [1, 2, 7, 1],
        );
        assert.equal(drainBudget(rolling("50%"), 6), 3);
        assert.equal(drainBudget(rolling(2), 6), 2);
        // The prod stack's maxSurge 1 / maxUnavailable 0: the rollout takes none down, a drain one.
        assert.equal(drainBudget(rolling(0, 1), 6), 1);
        assert.deepEqual([drainBudget({ type: "blueGreen" }, 6), drainBudget({ type: "reverse" }, 6), drainBudget({ type: "recreate" }, 6)], [1, 1, 1]);
    });
});

describe("CanaryRelease: a budget per track", () => {
    it("the lab's 29 + 3: two budgets named as the Deployments, 7 and 1", async () => {
        new CanaryRelease("nginx", {
            app: "nginx",
            stable: { name: "nginx-deployment-stable", version: "1.0", replicas: 29 },
            canary: { name: "nginx-deployment-canary", version: "1.1", replicas: 3 },
            services: [{ name: "nginx-svc" }],
        });
        await settle();
        assert.deepEqual(
            ofType(PDB).map((p) => [p.name, p.inputs.metadata.name, p.inputs.spec.maxUnavailable, p.inputs.spec.selector.matchLabels]),
            [
                ["nginx-stable-pdb", "nginx-deployment-stable", 7, { app: "nginx", track: "stable" }],
                ["nginx-canary-pdb", "nginx-deployment-canary", 1, { app: "nginx", track: "canary" }],
            ],
        );
    });

    it("a canary in its own namespace has its budget there; the release's settings reach both tracks", async () => {
        new CanaryRelease("web", {
            split: "ingress",
            stable: { version: "1.0", replicas: 3 },
            canary: { name: "web", namespace: "canary", version: "1.1", replicas: 2 },
            services: [{ name: "web-svc" }],
            ingress: { host: "app.local", path: "/web" },
            disruptionBudget: { maxUnavailable: 2 },
            topologySpread: { whenUnsatisfiable: "DoNotSchedule" },
            ephemeralStorage: { request: "8Mi", limit: "16Mi" },
        });
        await settle();
        assert.deepEqual(
            ofType(PDB).map((p) => `${p.inputs.metadata.namespace}/${p.inputs.metadata.name} ${p.inputs.spec.maxUnavailable}`),
            ["default/web 2", "canary/web 2"],
        );
        for (const d of ofType(DEPLOYMENT)) {
            const spec = d.inputs.spec.template.spec;
            assert.deepEqual([spec.topologySpreadConstraints[0].whenUnsatisfiable, spec.containers[0].resources.limits["ephemeral-storage"]], ["DoNotSchedule", "16Mi"]);
        }
    });
});

describe("MinIO and node-exporter: ephemeral storage, no budget", () => {
    it("MinIO: 64Mi/256Mi, no budget and no spread (one pod); node-exporter: 16Mi/64Mi; liveness is not readiness", async () => {
        new MinIO("minio", { rootUser: pulumi.secret("a"), rootPassword: pulumi.secret("12345678") });
        new NodeExporter("node-exporter", {});
        await settle();
        const byName = Object.fromEntries(containers().map(({ container }) => [container.name, container]));
        assert.deepEqual(byName.minio.resources, {
            requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "256Mi" },
        });
        assert.deepEqual([byName["node-exporter"].resources.requests["ephemeral-storage"], byName["node-exporter"].resources.limits["ephemeral-storage"]], ["16Mi", "64Mi"]);
        assert.deepEqual(
            [byName["node-exporter"].readinessProbe, byName["node-exporter"].livenessProbe],
            [{ httpGet: { path: "/", port: 9100 } }, { tcpSocket: { port: 9100 }, initialDelaySeconds: 10, periodSeconds: 20 }],
        );
        assert.deepEqual(ofType(PDB), []);
        assert.equal(k8sObject("kubernetes:apps/v1:StatefulSet", "minio").inputs.spec.template.spec.topologySpreadConstraints, undefined);
    });

    it("null turns ephemeral storage off", async () => {
        new MinIO("minio", { rootUser: "a", rootPassword: "12345678", ephemeralStorage: null });
        new NodeExporter("node-exporter", { ephemeralStorage: null });
        await settle();
        for (const { container } of containers()) assert.equal(container.resources.requests["ephemeral-storage"], undefined, container.name);
    });
});

describe("config: budgets, spread and ephemeral storage", () => {
    const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
    const release = (extra: Record<string, unknown>) => ({ releases: { web: { stable: { replicas: 3 }, services: [{ name: "web-svc" }], ...extra } } });
    const messageFor = (raw: Record<string, unknown>): string => {
        try {
            parseConfig({ ...SECRETS, ...raw });
        } catch (e) {
            assert.ok(e instanceof ConfigError, String(e));
            return e.message;
        }
        assert.fail("expected the config to be refused");
    };

    it("defaults: a budget at the rollout's, soft spread across nodes, ephemeral storage on every workload", () => {
        const cfg = parseConfig({ ...SECRETS, ...release({}), nodeExporter: { enabled: true } });
        const web = cfg.releases.web;
        assert.deepEqual(
            [budgetOf(web.disruptionBudget), spreadOf(web.topologySpread), ephemeralOf(web.ephemeralStorage)],
            [{ maxUnavailable: undefined }, { whenUnsatisfiable: "ScheduleAnyway", maxSkew: 1, zone: false }, { request: "32Mi", limit: "128Mi" }],
        );
        assert.deepEqual(
            [ephemeralOf(cfg.minio.ephemeralStorage), ephemeralOf(cfg.nodeExporter.ephemeralStorage)],
            [
                { request: "64Mi", limit: "256Mi" },
                { request: "16Mi", limit: "64Mi" },
            ],
        );
    });

    it("turned off: null for the components", () => {
        const cfg = parseConfig({
            ...SECRETS,
            ...release({ disruptionBudget: { enabled: false }, topologySpread: { enabled: false }, ephemeralStorage: { enabled: false } }),
            minio: { ephemeralStorage: { enabled: false } },
        });
        const web = cfg.releases.web;
        assert.deepEqual([budgetOf(web.disruptionBudget), spreadOf(web.topologySpread), ephemeralOf(web.ephemeralStorage), ephemeralOf(cfg.minio.ephemeralStorage)], [null, null, null, null]);
    });

    it("refuses a budget that blocks every drain, one above 100%, an unknown spread mode, and a request above its limit", () => {
        const cases: [Record<string, unknown>, string][] = [
            [
                release({ disruptionBudget: { maxUnavailable: 0 } }),
                'releases.web.disruptionBudget.maxUnavailable: 0 lets no pod be evicted, so every drain of a node holding one would wait for ever (expected at least 1 or "1%"; disruptionBudget.enabled false for no budget)',
            ],
            [
                release({ disruptionBudget: { maxUnavailable: "0%" } }),
                'releases.web.disruptionBudget.maxUnavailable: "0%" lets no pod be evicted, so every drain of a node holding one would wait for ever (expected at least 1 or "1%"; disruptionBudget.enabled false for no budget)',
            ],
            [release({ disruptionBudget: { maxUnavailable: "101%" } }), 'releases.web.disruptionBudget.maxUnavailable: "101%" is above 100% (expected at most "100%", as the API server requires)'],
            [release({ disruptionBudget: { maxUnavailable: "one" } }), 'releases.web.disruptionBudget.maxUnavailable: "one" is not a whole number from 0 or a percentage such as "25%"'],
            [release({ topologySpread: { whenUnsatisfiable: "Never" } }), 'releases.web.topologySpread.whenUnsatisfiable: "Never" is not "ScheduleAnyway" (soft) or "DoNotSchedule" (strict)'],
            [release({ topologySpread: { maxSkew: 0 } }), "releases.web.topologySpread.maxSkew: 0 is not a whole number from 1 to 2147483647"],
            [release({ ephemeralStorage: { request: "1Gi", limit: "512Mi" } }), 'releases.web.ephemeralStorage.request: "1Gi" is above limit "512Mi" (expected a request at most its limit)'],
            [
                { nodeExporter: { ephemeralStorage: { limit: "0" } } },
                `nodeExporter.ephemeralStorage.limit: "0" is not a storage quantity such as "10Gi" or "1.5Gi" (a decimal number with an optional suffix m, k, M, G, T, P, E, Ki … Ei or exponent; above 0)`,
            ],
        ];
        for (const [raw, message] of cases) assert.equal(messageFor(raw), `invalid configuration: ${message}`);
    });
});
