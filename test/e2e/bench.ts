// `npm run bench`: the program on the real engine against kubectl on the same local control plane,
// alternating, with min and median of each figure. Not a test: it prints a table.
//
//   pulumi up from empty  vs  kubectl apply --server-side of the same objects (rendered by the
//                             program's render mode, namespaces first) + rollout status of every
//                             Deployment and StatefulSet
//   no-op pulumi preview  vs  kubectl diff --server-side of the same objects
//   pulumi destroy
// at the e2e stack's size and with 10, 25 and 50 generated clock releases (BMP_BENCH_SIZES); then
// the load through the Gateway: 2,000 requests, 20 at a time, from the client host of the lab's LAN
// to Traefik on its MetalLB address (test/e2e/traffic.e2e.ts's stack), p50/p99 and errors
// (BMP_BENCH_LOAD=0 leaves it out).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { clientGet, installTraefik, removeTraefik, trafficOverrides } from "./lan";
import { E2E_OVERRIDES, ensureGatewayApiCrds, ensureInstalledNamespaces, namespacesGone, onlyRealNode, run, shippedConfig, Stack } from "./lib";

const REPS = Number(process.env.BMP_BENCH_REPS ?? 3);
const SIZES = (process.env.BMP_BENCH_SIZES ?? "e2e,10,25,50").split(",");
const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-bench-"));

/** The e2e stack's config, its releases replaced by `n` generated clock releases when n is given. */
function configFor(size: string): Record<string, unknown> {
    const overrides = E2E_OVERRIDES(dev);
    if (size === "e2e") return overrides;
    const releases = Object.fromEntries(
        Array.from({ length: Number(size) }, (_, i) => [`clock${i}`, { app: `clock${i}`, stable: { name: `clock${i}`, version: "1.0", replicas: 2 }, services: [{ name: `clock${i}`, port: 80 }] }]),
    );
    return { ...overrides, releases };
}

async function must(cmd: string, args: string[]): Promise<number> {
    const r = await run(cmd, args, { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    return r.ms;
}

/** The render mode's manifests of this config, as two lists: namespaces, then everything else. */
async function render(size: string): Promise<{ namespaces: string[]; rest: string[]; workloads: string[] }> {
    const out = fs.mkdtempSync(path.join(base, `rendered-${size}-`));
    const stack = await Stack.create(`render${size}`, { from: "dev", base, overrides: { ...configFor(size), cluster: { renderYamlTo: out } } });
    await stack.up();
    stack.remove();
    const files = fs
        .readdirSync(out, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(out, f))
        .sort();
    const namespaces = files.filter((f) => /\/v1-namespace-/.test(f));
    const rest = files.filter((f) => !namespaces.includes(f));
    const workloads = rest
        .map((f) => YAML.parse(fs.readFileSync(f, "utf8")))
        .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
        .map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} -n ${o.metadata.namespace ?? "default"}`);
    return { namespaces, rest, workloads };
}

async function kubectlApply(m: { namespaces: string[]; rest: string[]; workloads: string[] }): Promise<number> {
    const t0 = Date.now();
    await must("kubectl", ["apply", "--server-side", ...m.namespaces.flatMap((f) => ["-f", f])]);
    await must("kubectl", ["apply", "--server-side", ...m.rest.flatMap((f) => ["-f", f])]);
    await Promise.all(m.workloads.map((w) => must("kubectl", ["rollout", "status", ...w.split(" "), "--timeout=300s"])));
    return Date.now() - t0;
}

async function kubectlDiff(m: { namespaces: string[]; rest: string[] }): Promise<number> {
    const r = await run("kubectl", ["diff", "--server-side", ...[...m.namespaces, ...m.rest].flatMap((f) => ["-f", f])], { timeoutMs: 300_000 });
    if (r.code > 1) throw new Error(`kubectl diff failed (${r.code}): ${r.stderr}`);
    return r.ms;
}

async function kubectlDelete(m: { namespaces: string[]; rest: string[] }): Promise<void> {
    await run("kubectl", ["delete", "--ignore-not-found", "--wait=true", ...m.rest.flatMap((f) => ["-f", f])], { timeoutMs: 300_000 });
    const names = m.namespaces.map((f) => YAML.parse(fs.readFileSync(f, "utf8")).metadata.name as string).filter((n) => n !== "default");
    // --wait returns once the namespaces are gone, not just terminating: the next round starts clean.
    await run("kubectl", ["delete", "namespace", "--ignore-not-found", "--wait=true", ...names], { timeoutMs: 300_000 });
    await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
}

const LOAD = { requests: 2000, concurrency: 20 };

/** The load figure through the Gateway: the traffic stack up, one warm-up, then LOAD from the client host. */
async function gatewayLoad(): Promise<string> {
    await namespacesGone();
    await onlyRealNode(true);
    const stack = await Stack.create("benchload", { from: "dev", base, overrides: trafficOverrides(dev) });
    try {
        await ensureGatewayApiCrds();
        await installTraefik();
        await stack.up();
        const gateway = (await stack.outputs()).gatewayAddresses.web;
        const url = `http://${gateway}/web`;
        await clientGet(url, { headers: { host: "app.local" }, count: 100, concurrency: LOAD.concurrency });
        const t0 = Date.now();
        const replies = await clientGet(url, { headers: { host: "app.local" }, count: LOAD.requests, concurrency: LOAD.concurrency });
        const wall = (Date.now() - t0) / 1000;
        const ms = replies.map((r) => r.ms).sort((a, b) => a - b);
        const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))].toFixed(1);
        const errors = replies.filter((r) => r.status !== 200).length;
        const canary = replies.filter((r) => r.version === "1.1").length;
        return `| ${LOAD.requests} GET /web, ${LOAD.concurrency} at a time | ${pct(50)} ms | ${pct(99)} ms | ${ms[ms.length - 1].toFixed(1)} ms | ${errors} | ${(LOAD.requests / wall).toFixed(0)} /s | ${canary} of ${LOAD.requests} |`;
    } finally {
        await stack.destroy().catch(() => undefined);
        stack.remove();
        await removeTraefik();
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
        await onlyRealNode(false);
    }
}

const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)] };
};
const secs = (ms: number) => (ms / 1000).toFixed(1);

(async () => {
    await ensureInstalledNamespaces();
    const rows: string[] = [];
    for (const size of SIZES) {
        const manifests = await render(size);
        const objects = manifests.namespaces.length + manifests.rest.length;
        const t = { up: [] as number[], apply: [] as number[], preview: [] as number[], diff: [] as number[], destroy: [] as number[] };
        for (let rep = 0; rep < REPS; rep++) {
            const stack = await Stack.create(`bench${size}`, { from: "dev", base, overrides: configFor(size) });
            t.up.push((await stack.up()).ms);
            t.preview.push((await stack.pulumiOk("preview", "--expect-no-changes")).ms);
            t.destroy.push((await stack.destroy()).ms);
            stack.remove();
            await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
            t.apply.push(await kubectlApply(manifests));
            t.diff.push(await kubectlDiff(manifests));
            await kubectlDelete(manifests);
            console.error(`bench: ${size} rep ${rep + 1}/${REPS} done`);
        }
        const [up, apply, preview, diff, destroy] = [t.up, t.apply, t.preview, t.diff, t.destroy].map(stats);
        rows.push(
            `| ${size === "e2e" ? "e2e stack" : `${size} releases`} | ${objects} | ${secs(up.min)} / ${secs(up.median)} | ${secs(apply.min)} / ${secs(apply.median)} | ${(up.median / apply.median).toFixed(2)}× | ${secs(preview.min)} / ${secs(preview.median)} | ${secs(diff.min)} / ${secs(diff.median)} | ${(preview.median / diff.median).toFixed(1)}× | ${secs(destroy.min)} / ${secs(destroy.median)} |`,
        );
    }
    console.log(`\n${REPS} repetitions each, alternating; seconds, min / median; ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "unknown CPU"}\n`);
    console.log("| size | objects | pulumi up | kubectl apply + rollout status | ratio | no-op pulumi preview | kubectl diff | ratio | pulumi destroy |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) console.log(row);
    if (process.env.BMP_BENCH_LOAD !== "0") {
        const row = await gatewayLoad();
        console.log("\nThrough the Gateway (Traefik on its MetalLB address, from the client host of the lab's LAN; weight 50):\n");
        console.log("| load | p50 | p99 | max | errors | throughput | canary |");
        console.log("| --- | --- | --- | --- | --- | --- | --- |");
        console.log(row);
    }
    fs.rmSync(base, { recursive: true, force: true });
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
