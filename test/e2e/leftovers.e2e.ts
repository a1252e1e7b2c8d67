// What a killed run leaves, and the next run takes down (test/e2e/cluster.sh's registry and sweep).
// A run stopped by SIGKILL (a CI job's timeout, say) never reaches its `down`: its routes, its real
// node's network namespace and links stay on the machine, and a `node.sh up` on them would fail
// ("Cannot create namespace file /run/netns/bmp-client: File exists"). Each cluster registers itself
// with the metric of its own `unreachable` routes, so clusters side by side keep their own routes
// for the same ranges, and `cluster.sh up` takes down every registered cluster whose API server and
// etcd are gone. This suite's own cluster (and its real node) stays up beside.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { ROOT, run, tail } from "./lib";

const REGISTRY = "/run/lock/bmp-e2e-clusters";
const RANGES = ["10.96.0.0/16", "10.244.0.0/16", ...(process.env.BMP_LB_RANGES ?? "172.17.255.0/24 192.168.56.0/24").split(" ")];
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-leftovers-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** `cluster.sh ACTION` for the cluster whose state folder is STATE. */
function clusterSh(action: "up" | "down", state: string) {
    return run("bash", [path.join(ROOT, "test/e2e/cluster.sh"), action], { env: { ...process.env, BMP_CLUSTER_STATE: state }, timeoutMs: 240_000 });
}

/** The machine's `unreachable` routes with METRIC, as `ip route` prints them. */
async function routesWithMetric(metric: string): Promise<string[]> {
    const r = await run("ip", ["route", "show", "type", "unreachable"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.endsWith(` metric ${metric}`));
}

const expectedRoutes = (metric: string) => RANGES.map((cidr) => `unreachable ${cidr} metric ${metric}`);
/** The metric of the cluster whose state folder is `state`: the name of its registry file (its first line is the folder). */
function metricOf(state: string): string {
    const metric = fs.readdirSync(REGISTRY).find((f) => /^[0-9]+$/.test(f) && fs.readFileSync(path.join(REGISTRY, f), "utf8").split("\n")[0] === state);
    assert.ok(metric, `no registration of ${state} in ${REGISTRY}`);
    return metric;
}

describe("a run killed before its down", () => {
    it("is taken down by the next cluster.sh up: its processes, routes, registration and state, while the suite's own cluster keeps its routes", async () => {
        const own = metricOf(process.env.BMP_CLUSTER_STATE!);
        assert.deepEqual(await routesWithMetric(own), expectedRoutes(own));

        const killed = path.join(base, "killed", "cluster");
        const up = await clusterSh("up", killed);
        assert.equal(up.code, 0, tail(up.stderr, 20));
        const metric = metricOf(killed);
        assert.notEqual(metric, own);
        assert.deepEqual(await routesWithMetric(metric), expectedRoutes(metric));
        assert.deepEqual(fs.readFileSync(path.join(REGISTRY, metric), "utf8").split("\n"), [killed, ...RANGES, ""]);

        // SIGKILL to every process it started: nothing of its own `down` runs.
        const pids = fs.readdirSync(path.join(killed, "pids")).map((f) => Number(fs.readFileSync(path.join(killed, "pids", f), "utf8")));
        assert.deepEqual(fs.readdirSync(path.join(killed, "pids")).sort(), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "standin"]);
        for (const pid of pids) process.kill(pid, "SIGKILL");

        const next = path.join(base, "next", "cluster");
        const again = await clusterSh("up", next);
        assert.equal(again.code, 0, tail(again.stderr, 20));
        assert.equal(again.stderr.split("\n")[0], `cluster: taking down a cluster a killed run left behind (state ${killed})`);
        assert.equal(fs.existsSync(killed), false);
        assert.equal(fs.existsSync(path.join(REGISTRY, metric)), false);
        assert.deepEqual(await routesWithMetric(metric), []);
        const nextMetric = metricOf(next);
        assert.deepEqual(await routesWithMetric(nextMetric), expectedRoutes(nextMetric));
        assert.deepEqual(await routesWithMetric(own), expectedRoutes(own));

        // Side by side: the second cluster's down removes its routes only.
        const down = await clusterSh("down", next);
        assert.equal(down.code, 0, down.stderr);
        assert.deepEqual(await routesWithMetric(nextMetric), []);
        assert.equal(fs.existsSync(path.join(REGISTRY, nextMetric)), false);
        assert.deepEqual(await routesWithMetric(own), expectedRoutes(own));
    });
});
