// Node maintenance on the real engine: the e2e stack on the fake nodes, its budgets and its
// spread as the API server holds them; six replicas over three nodes; one node left that fits; a
// strict spread that a full node strands and the soft default that does not; `kubectl drain` through
// the eviction API (a refused eviction, every budget kept, sampled); a node that disappears (its pods
// garbage-collected and replaced, `pulumi up --refresh` a no-op). Nodes are left as found: taints
// removed, a drained node uncordoned, a deleted node made again from its own object.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { requestLoop } from "./http";
import {
    E2E_OVERRIDES,
    ensureInstalledNamespaces,
    eventually,
    kubectl,
    kubectlJson,
    namespacesGone,
    REAL_NODE,
    run,
    type Run,
    shippedConfig,
    sortedStepLines,
    Stack,
    stepLines,
    tail,
    timing,
} from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-maint-"));
let stack: Stack;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
/** Our own taint for "this node is out of use"; and the one the node lifecycle controller puts on a cordoned node. */
const MAINTENANCE_TAINT = "bmp.local/maintenance=true:NoSchedule";
const CORDON_TAINT = "node.kubernetes.io/unschedulable:NoSchedule";
/** The real node's taint (test/e2e/node.sh): its pods are only the files' that choose it. */
const REAL_NODE_TAINT = "bmp.local/real-node=true:NoSchedule";

/** The fake nodes (kwok), by name: where this file's pods run (the real node, when present, is tainted for them). */
let nodes: string[] = [];

function editReleases(edit: (releases: any) => void): void {
    const releases = stack.config("releases");
    edit(releases);
    stack.setConfig({ releases });
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const isReady = (p: any) => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");

/** Pods (not terminating) of namespace `ns` selected by `selector`, counted per node. */
async function placement(ns: string, selector: Record<string, string>): Promise<Record<string, number>> {
    const pods = (await kubectlJson("pods", "-n", ns)).items.filter((p: any) => !p.metadata.deletionTimestamp && matches(selector, p.metadata.labels));
    const counts: Record<string, number> = {};
    for (const p of pods) counts[p.spec.nodeName ?? "<pending>"] = (counts[p.spec.nodeName ?? "<pending>"] ?? 0) + 1;
    return counts;
}

/** One budget of the stack, with the replicas of the Deployment it protects (named as the budget). */
interface Budget {
    readonly id: string;
    readonly ns: string;
    readonly selector: Record<string, string>;
    readonly replicas: number;
    readonly maxUnavailable: number;
}

async function budgets(): Promise<Budget[]> {
    const pdbs = (await kubectlJson("pdb", "-A")).items.filter((p: any) => p.metadata.labels?.track);
    return Promise.all(
        pdbs.map(async (p: any) => {
            const d = await kubectlJson("deployment", p.metadata.name, "-n", p.metadata.namespace);
            return {
                id: `${p.metadata.namespace}/${p.metadata.name}`,
                ns: p.metadata.namespace,
                selector: p.spec.selector.matchLabels,
                replicas: d.spec.replicas,
                maxUnavailable: p.spec.maxUnavailable,
            };
        }),
    );
}

/** Ready pods (not terminating) of each budget, from one listing. */
async function readyCounts(bs: readonly Budget[]): Promise<Record<string, number>> {
    const pods = (await kubectlJson("pods", "-A")).items;
    return Object.fromEntries(bs.map((b) => [b.id, pods.filter((p: any) => p.metadata.namespace === b.ns && matches(b.selector, p.metadata.labels) && isReady(p)).length]));
}

/** Runs `action` while sampling `sample` back to back (each sample is one API listing); returns both. */
async function whileSampling<T, S>(action: () => Promise<T>, sample: () => Promise<S>): Promise<{ result: T; samples: S[]; ms: number }> {
    const samples: S[] = [];
    let done = false;
    const sampler = (async () => {
        while (!done) {
            samples.push(await sample());
            await new Promise((r) => setTimeout(r, 100));
        }
    })();
    const t0 = Date.now();
    const result = await action();
    const ms = Date.now() - t0;
    done = true;
    await sampler;
    return { result, samples, ms };
}

/** The lowest ready count of each budget over the samples. */
const lowest = (samples: readonly Record<string, number>[]) => Object.fromEntries(Object.keys(samples[0]).map((id) => [id, Math.min(...samples.map((s) => s[id]))]));

/** A pod evicted through the eviction API (what kubectl drain calls), which a budget may refuse. */
async function evict(namespace: string, name: string): Promise<void> {
    const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } };
    const r = await run("kubectl", ["create", "--raw", `/api/v1/namespaces/${namespace}/pods/${name}/eviction`, "-f", "-"], { input: JSON.stringify(eviction) });
    assert.equal(r.code, 0, `eviction of ${namespace}/${name}: ${r.stderr}`);
}

/** kubectl drain NODE, its output read as it comes: `refused` settles at the first eviction a budget refuses. */
function drain(node: string): { refused: Promise<void>; done: Promise<Run> } {
    const t0 = Date.now();
    const child = spawn("kubectl", ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=180s"], { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), 240_000);
    let stdout = "";
    let stderr = "";
    let seen: () => void = () => undefined;
    const refused = new Promise<void>((resolve) => (seen = resolve));
    const check = () => /Cannot evict pod as it would violate the pod's disruption budget/.test(stdout + stderr) && seen();
    child.stdout.on("data", (d) => ((stdout += d), check()));
    child.stderr.on("data", (d) => ((stderr += d), check()));
    const done = new Promise<Run>((resolve) =>
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - t0 });
        }),
    );
    return { refused, done };
}

async function taintNodes(names: readonly string[], spec: string, on: boolean): Promise<void> {
    for (const n of names) await kubectl("taint", "nodes", n, on ? spec : `${spec.split(/[=:]/)[0]}-`);
}

/** Every Deployment of this stack's budgets holds all its replicas Ready (another file's leftovers are no part of it). */
async function allReady(bs: readonly Budget[]): Promise<true | undefined> {
    const ids = new Set(bs.map((b) => b.id));
    const deployments = (await kubectlJson("deployments", "-A")).items.filter((d: any) => ids.has(`${d.metadata.namespace}/${d.metadata.name}`));
    return deployments.length === ids.size && deployments.every((d: any) => (d.status.readyReplicas ?? 0) === d.spec.replicas && (d.status.updatedReplicas ?? 0) === d.spec.replicas)
        ? true
        : undefined;
}

async function idempotent(): Promise<void> {
    assert.deepEqual(stepLines((await stack.preview()).steps), [], "a further preview proposes nothing");
}

before(async () => {
    nodes = (await kubectlJson("nodes", "-l", "type=kwok")).items.map((n: any) => n.metadata.name).sort();
    assert.ok(nodes.length >= 3, `three fake nodes or more (BMP_FAKE_NODES): ${nodes.join(", ")}`);
    await namespacesGone();
    await ensureInstalledNamespaces();
    // The e2e stack without CoreDNS's Services: they select the cluster's DNS, which runs on the real node only.
    stack = await Stack.create("maint", { from: "dev", base, overrides: { ...E2E_OVERRIDES(dev), coredns: { enabled: false } } });
    const r = await stack.up();
    timing("pulumi up from empty (maintenance)", r.ms);
});

after(async () => {
    // Whatever happened, the nodes as found: no taint of ours, none cordoned.
    for (const n of nodes) {
        for (const taint of [MAINTENANCE_TAINT, CORDON_TAINT]) await run("kubectl", ["taint", "nodes", n, `${taint.split(/[=:]/)[0]}-`]);
        await run("kubectl", ["uncordon", n]);
    }
    if (stack) {
        await stack.pulumi("destroy", "--yes", "--skip-preview");
        stack.remove();
    }
    await run("kubectl", ["delete", "pvc", "data-minio-0", "-n", "default", "--ignore-not-found"]);
    fs.rmSync(base, { recursive: true, force: true });
});

describe("node maintenance: budgets, spread, a drain and a lost node", () => {
    it("every track has its budget (the rollout's maxUnavailable, at least 1), all of it allowed, and is spread: at most one pod more on a node than on another", async () => {
        const bs = await budgets();
        assert.deepEqual(bs.map((b) => `${b.id} ${b.replicas} -${b.maxUnavailable}`).sort(), [
            "canary/web 3 -1",
            "default/clock-deployment 4 -1",
            "default/nginx-deployment-canary 3 -1",
            "default/nginx-deployment-stable 29 -7",
            "default/web 3 -1",
        ]);
        for (const b of bs) {
            // The disruption controller's view: every pod healthy, maxUnavailable of them may go.
            await eventually(`${b.id}: ${b.replicas} healthy, ${b.maxUnavailable} disruptions allowed`, 30_000, async () => {
                const { status } = await kubectlJson("pdb", b.id.split("/")[1], "-n", b.ns);
                return status?.currentHealthy === b.replicas && status?.disruptionsAllowed === b.maxUnavailable ? true : undefined;
            });
            const at = await placement(b.ns, b.selector);
            const counts = nodes.map((n) => at[n] ?? 0);
            assert.equal(Object.keys(at).filter((n) => !nodes.includes(n)).length, 0, `${b.id} only on the fake nodes: ${JSON.stringify(at)}`);
            assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${b.id} spread ${JSON.stringify(at)}`);
        }
        // MinIO, a single pod with its volume: no budget.
        assert.equal((await run("kubectl", ["get", "pdb", "minio", "-n", "default"])).code, 1);
    });

    it("six replicas over three nodes: the scale is one Deployment update (25% of 6 is still 1) and no node holds more than two", async () => {
        editReleases((r) => (r.clock.stable.replicas = 6));
        assert.deepEqual(stepLines((await stack.preview()).steps), [`update ${DEPLOYMENT} clock-stable`]);
        await stack.up();
        const at = await placement("default", { app: "clock-nginx", track: "stable" });
        assert.deepEqual(
            nodes.map((n) => at[n] ?? 0),
            nodes.map(() => 6 / nodes.length),
            JSON.stringify(at),
        );
        await idempotent();
    });

    it("only one node fits: the soft default still schedules all six there, and so does strict (tainted nodes are no domain)", async () => {
        const [keep, ...others] = nodes;
        await taintNodes(others, MAINTENANCE_TAINT, true);
        try {
            editReleases((r) => (r.solo = { app: "solo", stable: { name: "solo", version: "1.0", replicas: 6 }, services: [{ name: "solo" }] }));
            const { steps } = await stack.preview();
            assert.deepEqual(
                stepLines(steps),
                sortedStepLines([
                    "create platform:apps:CanaryRelease solo",
                    "create platform:apps:ClockApp solo-stable",
                    `create ${DEPLOYMENT} solo-stable`,
                    "create kubernetes:core/v1:ConfigMap solo-stable-page",
                    `create ${PDB} solo-stable-pdb`,
                    "create kubernetes:core/v1:Service solo-solo",
                    "create kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-default-allow-solo",
                ]),
            );
            await stack.up();
            assert.deepEqual(await placement("default", { app: "solo" }), { [keep]: 6 });
            editReleases((r) => (r.solo.topologySpread = { whenUnsatisfiable: "DoNotSchedule" }));
            assert.deepEqual(stepLines((await stack.preview()).steps), [`update ${DEPLOYMENT} solo-stable`]);
            await stack.up();
            assert.deepEqual(await placement("default", { app: "solo" }), { [keep]: 6 });
        } finally {
            await taintNodes(others, MAINTENANCE_TAINT, false);
        }
    });

    it("strict strands pods when a usable node is full (pulumi up fails at the rollout timeout, naming it); the soft default places them all", async () => {
        const full = nodes[nodes.length - 1];
        const onFull = (await kubectlJson("pods", "-A", "--field-selector", `spec.nodeName=${full}`)).items.length;
        const original = (await kubectlJson("node", full)).status.allocatable.pods;
        const setPods = (n: string) => kubectl("patch", "node", full, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { allocatable: { pods: n } } }));
        await setPods(String(onFull));
        try {
            editReleases((r) => (r.solo.stable.version = "1.1"));
            const r = await stack.pulumi("up", "--yes", "--skip-preview");
            timing("pulumi up of a strict spread with a full node (fails)", r.ms);
            assert.notEqual(r.code, 0, tail(r.stdout + r.stderr, 30));
            assert.match(r.stdout + r.stderr, /solo/);
            const fresh = (await kubectlJson("pods", "-n", "default", "-l", "app=solo,version=1.1")).items;
            const pending = fresh.filter((p: any) => !p.spec.nodeName);
            assert.ok(pending.length > 0, "some new pods Pending");
            const events = await kubectl("get", "events", "-n", "default", "--field-selector", `involvedObject.name=${pending[0].metadata.name}`, "-o", "jsonpath={.items[*].message}");
            assert.match(events, /didn't match pod topology spread constraints/);
            // The new pods spread among themselves: at most one on each node that fits, none on the full one.
            const at = await placement("default", { app: "solo", version: "1.1" });
            assert.ok(nodes.slice(0, -1).every((n) => (at[n] ?? 0) <= 1) && !at[full], JSON.stringify(at));
            editReleases((rs) => (rs.solo.topologySpread = { whenUnsatisfiable: "ScheduleAnyway" }));
            await stack.up();
            const soft = await placement("default", { app: "solo" });
            assert.deepEqual([soft[full] ?? 0, nodes.slice(0, -1).reduce((a, n) => a + (soft[n] ?? 0), 0)], [0, 6], JSON.stringify(soft));
        } finally {
            await setPods(original);
        }
        editReleases((r) => delete r.solo);
        await stack.up();
        await idempotent();
    });

    it("drain: the eviction API refuses what would break a budget, every track keeps replicas − maxUnavailable ready (sampled), the pods come back elsewhere, and a preview proposes nothing", async () => {
        const bs = await budgets();
        const minioNode = (await kubectlJson("pod", "minio-0", "-n", "default")).spec.nodeName;
        const others = nodes.filter((n) => n !== minioNode);
        const pods = (await kubectlJson("pods", "-A")).items.filter((p: any) => p.metadata.labels?.track && !p.metadata.deletionTimestamp);
        const held = pods.filter((p: any) => p.spec.nodeName === minioNode);
        assert.ok(held.length >= 5, `${minioNode} holds ${held.length} release pods`);
        // The refusal is constructed, not hoped for: with every other node held (no replacement can be
        // scheduled, so none becomes Ready), one pod of a track is evicted elsewhere first, which uses
        // up that track's budget until the hold is lifted; the drain's eviction of the same track's pod
        // on this node is then refused, however fast the machine is.
        const budget = bs.find((b) => held.some((p: any) => p.metadata.namespace === b.ns && matches(b.selector, p.metadata.labels)) && b.maxUnavailable === 1)!;
        assert.ok(budget, `a track with a pod on ${minioNode} and a budget of 1`);
        const elsewhere = pods.find((p: any) => p.spec.nodeName !== minioNode && p.metadata.namespace === budget.ns && matches(budget.selector, p.metadata.labels));
        assert.ok(elsewhere, `${budget.id} has a pod on another node`);
        // What the node lifecycle controller adds on a real cluster when a node is cordoned (it is off here).
        await taintNodes([minioNode], CORDON_TAINT, true);
        await taintNodes(others, MAINTENANCE_TAINT, true);
        let holding = true;
        let minioBack = 0;
        try {
            await evict(elsewhere.metadata.namespace, elsewhere.metadata.name);
            await eventually(`${budget.id}'s budget used up`, 30_000, async () =>
                (await kubectlJson("pdb", budget.id.split("/")[1], "-n", budget.ns)).status?.disruptionsAllowed === 0 ? true : undefined,
            );
            const t0 = Date.now();
            const { result, samples, ms } = await whileSampling(
                async () => {
                    const d = drain(minioNode);
                    await Promise.race([d.refused, d.done]);
                    await taintNodes(others, MAINTENANCE_TAINT, false);
                    holding = false;
                    return d.done;
                },
                () => readyCounts(bs),
            );
            timing(`kubectl drain of ${minioNode} (${held.length} release pods and MinIO)`, ms);
            const out = result.stdout + result.stderr;
            assert.equal(result.code, 0, tail(out, 30));
            const refused = out.match(/Cannot evict pod as it would violate the pod's disruption budget/g)?.length ?? 0;
            assert.ok(refused > 0, `a refused eviction:\n${tail(out, 30)}`);
            const min = lowest(samples);
            console.log(`# drain: ${refused} eviction(s) refused, ${samples.length} samples, lowest ready per track ${JSON.stringify(min)}`);
            for (const b of bs) assert.ok(min[b.id] >= b.replicas - b.maxUnavailable, `${b.id}: lowest ${min[b.id]} of ${b.replicas} (maxUnavailable ${b.maxUnavailable})`);
            await eventually("every track ready again", 60_000, () => allReady(bs));
            await eventually("MinIO ready again", 120_000, async () => (isReady(await kubectlJson("pod", "minio-0", "-n", "default")) ? true : undefined));
            minioBack = Date.now() - t0;
            timing("MinIO back after the drain began", minioBack);
            const left = (await kubectlJson("pods", "-A", "--field-selector", `spec.nodeName=${minioNode}`)).items.filter((p: any) => p.metadata.labels?.track || p.metadata.labels?.app === "minio");
            assert.deepEqual(left, [], "nothing of the releases or MinIO is left on the drained node");
            await idempotent();
        } finally {
            if (holding) await taintNodes(others, MAINTENANCE_TAINT, false);
            await kubectl("uncordon", minioNode);
            await taintNodes([minioNode], CORDON_TAINT, false);
        }
    });

    it("a lost node: its pods are garbage-collected and replaced on the others within 40–60 s (+ scheduling), a replica on the real node answers all through it, and pulumi up --refresh changes nothing", async () => {
        const bs = await budgets();
        const podsOn = async (n: string) =>
            (await kubectlJson("pods", "-A", "--field-selector", `spec.nodeName=${n}`)).items.filter((p: any) => p.metadata.labels?.track || p.metadata.labels?.app === "minio");
        const held = await Promise.all(nodes.map(async (n) => [n, (await podsOn(n)).length] as const));
        const [victim, count] = held.reduce((a, b) => (b[1] > a[1] ? b : a));
        assert.ok(count >= 5, `${victim} holds ${count} release pods`);
        const saved = await kubectlJson("node", victim);
        // A replica that really serves, on the real node: every fake node closed to new pods and the real
        // node opened, one clock pod on another fake node deleted — its replacement can only land there.
        const clockOn = async (n: string) => (await kubectlJson("pods", "-n", "default", "-l", "app=clock-nginx", "--field-selector", `spec.nodeName=${n}`)).items;
        const moved = (await Promise.all(nodes.filter((n) => n !== victim).map(clockOn))).flat()[0];
        assert.ok(moved, "a clock pod on a fake node other than the one to lose");
        await taintNodes(nodes, MAINTENANCE_TAINT, true);
        await taintNodes([REAL_NODE], REAL_NODE_TAINT, false);
        let real: any;
        try {
            await kubectl("delete", "pod", moved.metadata.name, "-n", "default", "--wait=false");
            real = await eventually("a clock pod Ready on the real node", 120_000, async () => (await clockOn(REAL_NODE)).find(isReady));
        } finally {
            await taintNodes([REAL_NODE], REAL_NODE_TAINT, true);
            await taintNodes(nodes, MAINTENANCE_TAINT, false);
        }
        const t0 = Date.now();
        await kubectl("delete", "node", victim);
        try {
            let gone = 0;
            const samples: Record<string, number>[] = [];
            // Requests to the real node's replica all through the loss (the Service would also send some to the
            // fake nodes' pods, whose addresses nothing answers on).
            const { loop } = await requestLoop(
                `http://${real.status.podIP}:8080/`,
                eventually("the lost node's pods replaced", 180_000, async () => {
                    samples.push(await readyCounts(bs));
                    if (gone === 0 && (await podsOn(victim)).length === 0) gone = Date.now() - t0;
                    return gone > 0 && (await allReady(bs)) && isReady(await kubectlJson("pod", "minio-0", "-n", "default")) ? true : undefined;
                }),
            );
            const back = Date.now() - t0;
            timing(`the lost node's ${count} pods garbage-collected`, gone);
            timing("every track and MinIO ready again on the other nodes", back);
            console.log(`# lost node: the real node's clock replica answered ${loop.ok} requests meanwhile, ${loop.failures.length} failed`);
            assert.deepEqual(loop.failures, [], "the real node's replica kept answering");
            assert.ok(loop.ok >= 100, `${loop.ok} requests answered during the loss`);
            assert.ok(
                (await clockOn(REAL_NODE)).some((p: any) => p.metadata.name === real.metadata.name && isReady(p)),
                "the same replica, still Ready",
            );
            // The pod GC waits 40 s for a node to come back and runs every 20 s.
            assert.ok(gone >= 40_000 && gone < 90_000, `gone after ${gone} ms`);
            assert.ok(back - gone < 30_000, `replaced ${back - gone} ms after`);
            // Until then the API still counts the lost pods Ready: no kubelet reports otherwise.
            console.log(`# lost node: lowest ready per track meanwhile ${JSON.stringify(lowest(samples))}`);
            const r = await stack.up("--refresh");
            timing("pulumi up --refresh after the loss", r.ms);
            const [last] = JSON.parse((await stack.pulumiOk("stack", "history", "--json")).stdout);
            assert.deepEqual(
                Object.entries(last.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && Number(n) > 0),
                [],
                `nothing created, updated, replaced or deleted: ${JSON.stringify(last.resourceChanges)}`,
            );
            await idempotent();
        } finally {
            // The node again, from its own object (kwok takes it back by its label type=kwok).
            const node = {
                apiVersion: "v1",
                kind: "Node",
                metadata: { name: saved.metadata.name, labels: saved.metadata.labels, annotations: saved.metadata.annotations },
                spec: { taints: saved.spec.taints },
                status: { allocatable: saved.status.allocatable, capacity: saved.status.capacity },
            };
            await run("kubectl", ["create", "-f", "-"], { input: JSON.stringify(node) });
            await eventually(`${victim} Ready again`, 60_000, async () =>
                ((await kubectlJson("node", victim)).status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True") ? true : undefined,
            );
        }
    });
});
