// `npm run bench`: the program on the real engine against kubectl on the same local control plane,
// in one run, alternating, with min and median of each figure. Not a test: it prints tables.
//
//   pulumi up from empty      vs  kubectl apply --server-side of the same objects (rendered by the
//                                 program's render mode, namespaces first) + rollout status of every
//                                 Deployment and StatefulSet
//   a one-release change      vs  kubectl apply --server-side of the changed rendering + rollout status
//     (the first release's stable version 1.0 → 1.1: a new pod template, and with verify on a new verify Job)
//   no-op pulumi preview      vs  kubectl diff --server-side of the same objects
//   pulumi destroy            vs  kubectl delete --wait of the same objects (namespaces last)
// at the e2e stack's size and with 10, 25 and 50 generated clock releases (BMP_BENCH_SIZES), each
// with verify off and on (config verify.enabled; on kwok's fake nodes a Job's pod is marked complete
// without running, so "verify on" here measures the engine's create-and-await of the verify Job, not
// its requests). Per round of a size: pulumi verify off, kubectl, pulumi verify on, in this order. Then the
// start-up floor: `pulumi preview` of an empty program (same runtime and tsconfig, no resource).
// With the real node (BMP_REAL_NODE=1, test/e2e/with-cluster.sh), the load through the lab's entry
// points too: 2,000 requests, 20 at a time, from the client host of the lab's LAN to Traefik's Gateway
// (test/e2e/traffic.e2e.ts's stack) and to the real ingress-nginx (test/e2e/ingress.e2e.ts's), each on
// its MetalLB address, p50/p99/max and errors (BMP_BENCH_LOAD=0 leaves them out); and the user's
// first run, the lab's dev stack up from empty with the real MetalLB's and ingress-nginx's charts
// (verify off), against the lab's own way: `helm install --wait` of the same charts with the same
// values (built by test/e2e/cluster.sh helm), then `kubectl apply --server-side` of the rest and
// `kubectl rollout status` — alternating, BMP_BENCH_LAB_REPS rounds (default 3; 0 leaves it out).
//
// BMP_BENCH_REPS (default 3) rounds per size; BMP_BENCH_REPS_50 overrides it at 50 releases;
// BMP_BENCH_VERIFY: the sizes measured with verify on too (default: every size). Each row says its n.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { criticalPath, criticalPathSvg, engineLogBreakdown, formatBreakdown, formatCriticalPath, stepSpans } from "./engine-log";
import { canaryShare, clientGet, ingressOverrides, labDown, labUp, trafficOverrides } from "./lan";
import { DEV_PASSPHRASE, E2E_OVERRIDES, ROOT, scratchProject, ensureInstalledNamespaces, run, shippedConfig, Stack, type Run } from "./lib";
import { INGRESS_NGINX_CHART_DEFAULT, ingressNginxChartValues, METALLB_CHART_DEFAULT, METALLB_DEFAULTS, metallbChartValues, planIngressNginx } from "../../components/network";
import { COMPONENT_NAMES } from "../../plan";

const REPS = Number(process.env.BMP_BENCH_REPS ?? 3);
const repsFor = (size: string) => (size === "50" && process.env.BMP_BENCH_REPS_50 ? Number(process.env.BMP_BENCH_REPS_50) : REPS);
const SIZES = (process.env.BMP_BENCH_SIZES ?? "e2e,10,25,50").split(",").filter((x) => x !== "" && x !== "none");
const VERIFY_SIZES = (process.env.BMP_BENCH_VERIFY ?? SIZES.join(",")).split(",");
const REAL_NODE = process.env.BMP_REAL_NODE !== "0";
const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-bench-"));

/** The e2e stack's config, its releases replaced by `n` generated clock releases when n is given. */
function configFor(size: string, opts: { changed?: boolean; verify?: boolean } = {}): Record<string, unknown> {
    const overrides = E2E_OVERRIDES(dev);
    const releases: Record<string, any> =
        size === "e2e"
            ? structuredClone(dev("releases"))
            : Object.fromEntries(
                  Array.from({ length: Number(size) }, (_, i) => [
                      `clock${i}`,
                      { app: `clock${i}`, stable: { name: `clock${i}`, version: "1.0", replicas: 2 }, services: [{ name: `clock${i}`, port: 80 }] },
                  ]),
              );
    // The one-release change: the first release's stable version (a new pod template).
    if (opts.changed) releases[Object.keys(releases)[0]].stable.version = "1.1";
    return { ...overrides, releases, verify: { enabled: opts.verify ?? false } };
}

async function must(cmd: string, args: string[]): Promise<number> {
    const r = await run(cmd, args, { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    return r.ms;
}

interface Manifests {
    namespaces: string[];
    rest: string[];
    workloads: string[];
}

/** The render mode's manifests of this config, as two lists: namespaces, then everything else. */
async function render(size: string, changed: boolean): Promise<Manifests> {
    return renderOf(`render${size}`, configFor(size, { changed }));
}

/** The render mode's manifests of a dev-derived stack with these overrides. */
async function renderOf(name: string, overrides: Record<string, unknown>): Promise<Manifests> {
    const out = fs.mkdtempSync(path.join(base, `${name}-`));
    const stack = await Stack.create(name, { from: "dev", base, overrides: { ...overrides, cluster: { renderYamlTo: out } } });
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

/** The namespaces, then (after `between`: the lab's way's chart installs) the rest, then every rollout awaited. */
async function kubectlApply(m: Manifests, between?: () => Promise<unknown>): Promise<number> {
    const t0 = Date.now();
    await must("kubectl", ["apply", "--server-side", ...m.namespaces.flatMap((f) => ["-f", f])]);
    await between?.();
    await must("kubectl", ["apply", "--server-side", ...m.rest.flatMap((f) => ["-f", f])]);
    await Promise.all(m.workloads.map((w) => must("kubectl", ["rollout", "status", ...w.split(" "), "--timeout=300s"])));
    return Date.now() - t0;
}

async function kubectlDiff(m: Manifests): Promise<number> {
    const r = await run("kubectl", ["diff", "--server-side", ...[...m.namespaces, ...m.rest].flatMap((f) => ["-f", f])], { timeoutMs: 300_000 });
    if (r.code > 1) throw new Error(`kubectl diff failed (${r.code}): ${r.stderr}`);
    return r.ms;
}

/** The names of the namespaces a rendering holds. */
const renderedNamespaces = (m: Manifests): string[] => m.namespaces.map((f) => YAML.parse(fs.readFileSync(f, "utf8")).metadata.name as string);

/** kubectl delete --wait of the objects, then of their namespaces (--wait: until gone, not terminating). */
async function kubectlDelete(m: Manifests): Promise<number> {
    const t0 = Date.now();
    const objects = await run("kubectl", ["delete", "--ignore-not-found", "--wait=true", ...m.rest.flatMap((f) => ["-f", f])], { timeoutMs: 300_000 });
    if (objects.code !== 0) console.error(`bench: kubectl delete: ${objects.stderr.trim()}`);
    const names = renderedNamespaces(m).filter((n) => n !== "default");
    if (names.length > 0) await must("kubectl", ["delete", "namespace", "--ignore-not-found", "--wait=true", ...names]);
    const ms = Date.now() - t0;
    await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
    return ms;
}

/** The CLI's own log of a run: `-v=7 --logtostderr --logflow` (what test/e2e/engine-log.ts reads). */
const LOGGED = ["-v=7", "--logtostderr", "--logflow"];

/** `pulumi preview` of a program with no resource, on the project's runtime, tsconfig and node_modules: the start-up floor. */
async function emptyPreview(...extra: string[]): Promise<Run> {
    const dir = scratchProject(base, "empty", ["Pulumi.yaml", "index.ts"]);
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify({ name: "bmp-empty", runtime: project.runtime }));
    fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true" };
    const init = await run("pulumi", ["stack", "init", "empty", "--non-interactive"], { cwd: dir, env });
    if (init.code !== 0) throw new Error(`pulumi stack init (empty program) failed: ${init.stderr}`);
    const r = await run("pulumi", ["preview", "--stack", "empty", "--non-interactive", ...extra], { cwd: dir, env });
    if (r.code !== 0) throw new Error(`pulumi preview (empty program) failed:\n${r.stdout}${r.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
}

/** The state's dependency graph of a stack: each URN's `dependencies` and `parent`. */
async function stateGraph(stack: Stack): Promise<Record<string, { dependencies?: string[]; parent?: string }>> {
    return Object.fromEntries((await stack.resources()).map((r: any) => [r.urn, { dependencies: r.dependencies, parent: r.parent }]));
}

/**
 * Where the time of `pulumi up` goes at a size (verify off): one more up from empty and one more
 * one-release change, logged, not counted in the medians — the phases, the longest steps and the
 * critical path of each; at the e2e stack's size the critical paths are also drawn, into
 * docs/critical-path-up.svg and docs/critical-path-change.svg.
 */
async function upBreakdown(size: string): Promise<string> {
    const stack = await Stack.create(`benchlog${size}`, { from: "dev", base, overrides: configFor(size) });
    try {
        const up = await stack.up(...LOGGED);
        const upPath = criticalPath(stepSpans(up.stderr), await stateGraph(stack));
        stack.setConfig(configFor(size, { changed: true }));
        const change = await stack.up(...LOGGED);
        const changePath = criticalPath(stepSpans(change.stderr), await stateGraph(stack));
        await stack.destroy();
        const verifyPath = size === "e2e" ? await verifiedChangePath() : undefined;
        if (size === "e2e") {
            fs.writeFileSync(path.join(ROOT, "docs", "critical-path-up.svg"), criticalPathSvg("pulumi up from empty, e2e stack (kwok nodes, verify off): the critical path", upPath));
            fs.writeFileSync(path.join(ROOT, "docs", "critical-path-change.svg"), criticalPathSvg("a one-release change (version 1.0 → 1.1), e2e stack: the critical path", changePath));
        }
        return [
            formatBreakdown(engineLogBreakdown(up.stderr), 8),
            `up from empty, ${formatCriticalPath(upPath)}`,
            `a one-release change: ${formatBreakdown(engineLogBreakdown(change.stderr), 5)}`,
            `a one-release change, ${formatCriticalPath(changePath)}`,
            ...(verifyPath ? [verifyPath] : []),
        ].join("\n");
    } finally {
        stack.remove();
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
    }
}

/**
 * The one-release change at the e2e stack's size with verify on (the shipped default), logged: its
 * critical path, and where the verify Job's replacement ran beside the release's rollout.
 */
async function verifiedChangePath(): Promise<string> {
    const stack = await Stack.create("benchlogverify", { from: "dev", base, overrides: configFor("e2e", { verify: true }) });
    try {
        await stack.up();
        stack.setConfig(configFor("e2e", { verify: true, changed: true }));
        const change = await stack.up(...LOGGED);
        const spans = stepSpans(change.stderr);
        const path_ = criticalPath(spans, await stateGraph(stack));
        const job = spans.find((s) => s.urn.endsWith("kubernetes:batch/v1:Job::verify"));
        const rollout = spans.find((s) => s.urn.endsWith("kubernetes:apps/v1:Deployment::clock-stable"));
        const at = (s: { start: number; end: number }) => `${(s.start / 1000).toFixed(1)}–${(s.end / 1000).toFixed(1)} s`;
        await stack.destroy();
        return [
            `a one-release change with verify on, ${formatCriticalPath(path_)}`,
            `  the verify Job (${job ? `${job.ops.join("+")}, ${at(job)}` : "not logged"}) beside the release's rollout (${rollout ? at(rollout) : "not logged"})`,
        ].join("\n");
    } finally {
        stack.remove();
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
    }
}

const LOAD = { requests: 2000, concurrency: 20 };

/** Where {@link loadThrough} sends its requests: the web release split at k3s's Traefik Gateway, or at ingress-nginx as the dev stack has it. */
type Entry = "gateway" | "ingress";

/** The web release at weight 50 (as the dev stack ships it), split at `entry`. */
function loadOverrides(entry: Entry): Record<string, unknown> {
    const overrides = (entry === "gateway" ? trafficOverrides(dev) : ingressOverrides(dev)) as Record<string, any>;
    const web = overrides.releases.web;
    return { ...overrides, verify: { enabled: false }, releases: { ...overrides.releases, web: { ...web, canary: { ...web.canary, weight: 50 } } } };
}

/**
 * The load figure through `entry`: the lab's stack up, one warm-up, then LOAD from the client host of
 * the lab's LAN. The up from empty is logged: through ingress-nginx it is the user's first run (the
 * real MetalLB's and ingress-nginx's charts, the pods on the real node), whose critical path is
 * returned too and drawn into docs/critical-path-lab.svg.
 */
async function loadThrough(entry: Entry): Promise<{ row: string; path?: string }> {
    await labUp({ traefik: entry === "gateway" });
    const stack = await Stack.create(`benchload${entry}`, { from: "dev", base, overrides: loadOverrides(entry) });
    try {
        const up = await stack.up(...LOGGED);
        let firstRun: string | undefined;
        if (entry === "ingress") {
            const upPath = criticalPath(stepSpans(up.stderr), await stateGraph(stack));
            fs.writeFileSync(
                path.join(ROOT, "docs", "critical-path-lab.svg"),
                criticalPathSvg("pulumi up from empty, the lab's stack on the real node (MetalLB and ingress-nginx charts, verify off): the critical path", upPath),
            );
            firstRun = `pulumi up from empty of the lab's stack on the real node, ${(up.ms / 1000).toFixed(1)} s — ${formatBreakdown(engineLogBreakdown(up.stderr), 6)}\n${formatCriticalPath(upPath)}`;
        }
        const outputs = await stack.outputs();
        const url = `http://${entry === "gateway" ? outputs.gatewayAddresses.web : outputs.ingressAddress}/web`;
        await clientGet(url, { headers: { host: "app.local" }, count: 100, concurrency: LOAD.concurrency });
        const t0 = Date.now();
        const replies = await clientGet(url, { headers: { host: "app.local" }, count: LOAD.requests, concurrency: LOAD.concurrency });
        const wall = (Date.now() - t0) / 1000;
        const ms = replies.map((r) => r.ms).sort((a, b) => a - b);
        const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))].toFixed(1);
        const errors = replies.filter((r) => r.status !== 200).length;
        const through = entry === "gateway" ? "Traefik's Gateway" : "ingress-nginx";
        return {
            row: `| ${through} (${url}) | ${LOAD.requests} GET /web, ${LOAD.concurrency} at a time | ${pct(50)} ms | ${pct(99)} ms | ${ms[ms.length - 1].toFixed(1)} ms | ${errors} | ${(LOAD.requests / wall).toFixed(0)} /s | ${canaryShare(replies)} of ${LOAD.requests} |`,
            path: firstRun,
        };
    } finally {
        await stack.destroy().catch(() => undefined);
        stack.remove();
        await labDown();
    }
}

const LAB_REPS = Number(process.env.BMP_BENCH_LAB_REPS ?? 3);

/** The lab's dev stack on the real node (the real MetalLB's and ingress-nginx's charts, MinIO, the releases), verify off: kubectl's way has no verify step. */
function labFirstRunOverrides(): Record<string, any> {
    return { ...ingressOverrides(dev), verify: { enabled: false } };
}

/** One chart the lab's way installs: its release, namespace, version and the values the program gives it. */
interface HelmChart {
    readonly chart: string;
    readonly release: string;
    readonly namespace: string;
    readonly version: string;
    readonly values: unknown;
}

/** MetalLB's and ingress-nginx's charts as the lab stack's program installs them, with the chart's own hooks for the webhook's certificate (helm runs them). */
function labCharts(overrides: Record<string, any>): HelmChart[] {
    const m = overrides.metallb;
    const i = overrides.ingressNginx;
    const planned = planIngressNginx(COMPONENT_NAMES.ingressNginx, i);
    return [
        { chart: "metallb", release: "metallb", namespace: m.namespace ?? METALLB_DEFAULTS.namespace, version: METALLB_CHART_DEFAULT.version, values: metallbChartValues() },
        { chart: "ingress-nginx", release: "ingress-nginx", namespace: planned.namespace, version: INGRESS_NGINX_CHART_DEFAULT.version, values: ingressNginxChartValues(planned, i, true) },
    ];
}

/** The lab's way up from empty: namespaces, both charts by `helm install --wait` side by side, then the rest applied and every rollout awaited. */
function labWayUp(helm: string, charts: HelmChart[], m: Manifests): Promise<number> {
    return kubectlApply(m, () =>
        Promise.all(
            charts.map((c) => {
                const values = path.join(base, `${c.release}-values.yaml`);
                fs.writeFileSync(values, YAML.stringify(c.values));
                return must(helm, [
                    "install",
                    c.release,
                    c.chart,
                    // As the lab installed them: a chart's namespace that nothing else uses is the chart's own.
                    "--create-namespace",
                    "--repo",
                    process.env.BMP_CHART_REPO ?? "",
                    "--version",
                    c.version,
                    "--namespace",
                    c.namespace,
                    "-f",
                    values,
                    "--wait",
                    "--timeout",
                    "5m",
                ]);
            }),
        ),
    );
}

/** Back to empty after {@link labWayUp}: the rest, the charts (helm uninstall --wait), the namespaces, MinIO's claim. */
async function labWayDown(helm: string, charts: HelmChart[], m: Manifests): Promise<void> {
    await run("kubectl", ["delete", "--ignore-not-found", "--wait=true", ...m.rest.flatMap((f) => ["-f", f])], { timeoutMs: 300_000 });
    for (const c of charts) await run(helm, ["uninstall", c.release, "--namespace", c.namespace, "--wait", "--timeout", "5m"], { timeoutMs: 360_000 });
    const names = [...new Set([...renderedNamespaces(m), ...charts.map((c) => c.namespace)])].filter((n) => n !== "default");
    await run("kubectl", ["delete", "namespace", "--ignore-not-found", "--wait=true", ...names], { timeoutMs: 300_000 });
    await run("kubectl", ["delete", "pvc", "--all", "-n", "default", "--wait=true"], { timeoutMs: 120_000 });
}

/**
 * The user's first run on the real node against the lab's own way, alternating (pulumi, then helm
 * and kubectl), LAB_REPS rounds each: medians, min, max and the ratio. The kubectl side gets the
 * objects the program's render mode writes with both charts `install: false` (what the program
 * declares beside its charts) and the charts from the same repository with the same values.
 */
async function labFirstRun(): Promise<string> {
    const helmBuild = await run("bash", [path.join(ROOT, "test", "e2e", "cluster.sh"), "helm"], { timeoutMs: 1_800_000 });
    if (helmBuild.code !== 0) throw new Error(`test/e2e/cluster.sh helm failed:\n${helmBuild.stderr}`);
    const helm = helmBuild.stdout.trim().split("\n").pop() as string;
    const overrides = labFirstRunOverrides();
    const charts = labCharts(overrides);
    await labUp({ traefik: false });
    const rest = await renderOf("renderlab", { ...overrides, metallb: { ...overrides.metallb, install: false }, ingressNginx: { ...overrides.ingressNginx, install: false } });
    const stack = await Stack.create("benchlab", { from: "dev", base, overrides });
    const t = { pulumi: [] as number[], lab: [] as number[] };
    try {
        for (let rep = 0; rep < LAB_REPS; rep++) {
            t.pulumi.push((await stack.up()).ms);
            await stack.destroy();
            await run("kubectl", ["delete", "pvc", "--all", "-n", "default", "--wait=true"], { timeoutMs: 120_000 });
            t.lab.push(await labWayUp(helm, charts, rest));
            await labWayDown(helm, charts, rest);
            console.error(`bench: the lab's first run, round ${rep + 1}/${LAB_REPS}: pulumi up ${secs(t.pulumi[rep])} s, helm + kubectl ${secs(t.lab[rep])} s`);
        }
    } finally {
        await stack.destroy().catch(() => undefined);
        stack.remove();
        // A failed round's own error is the one to see: the way down's is printed beside it.
        await labDown().catch((e) => console.error(`bench: the lab's way down after the rounds: ${String(e)}`));
    }
    const range = (xs: number[]) => `${secs(median(xs))} s (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})`;
    return [
        `The user's first run on the real node (the lab's dev stack: MetalLB's and ingress-nginx's charts, MinIO, the releases' pods; verify off), n=${LAB_REPS} each, alternating:\n`,
        "| pulumi up from empty | helm install --wait (both charts, side by side) + kubectl apply --server-side + rollout status | ratio |",
        "| --- | --- | --- |",
        `| ${range(t.pulumi)} | ${range(t.lab)} | ${ratio(median(t.pulumi), median(t.lab))} |`,
    ].join("\n");
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms: number) => (ms / 1000).toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

type Phase = "up" | "change" | "preview" | "destroy";
const PHASES: Phase[] = ["up", "change", "preview", "destroy"];
type Times = Record<Phase, number[]>;
const empty = (): Times => ({ up: [], change: [], preview: [], destroy: [] });

/** One pulumi round: up from empty, the one-release change, a no-op preview, destroy. */
async function pulumiRound(size: string, verify: boolean, t: Times): Promise<void> {
    const stack = await Stack.create(`bench${size}v${verify ? 1 : 0}`, { from: "dev", base, overrides: configFor(size, { verify }) });
    try {
        t.up.push((await stack.up()).ms);
        stack.setConfig(configFor(size, { verify, changed: true }));
        t.change.push((await stack.up()).ms);
        t.preview.push((await stack.pulumiOk("preview", "--expect-no-changes")).ms);
        t.destroy.push((await stack.destroy()).ms);
    } finally {
        stack.remove();
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
    }
}

/** One kubectl round over the same objects. */
async function kubectlRound(m: { before: Manifests; after: Manifests }, t: Times): Promise<void> {
    t.up.push(await kubectlApply(m.before));
    t.change.push(await kubectlApply(m.after));
    t.preview.push(await kubectlDiff(m.after));
    t.destroy.push(await kubectlDelete(m.after));
}

(async () => {
    const started = Date.now();
    await ensureInstalledNamespaces();
    const rows: string[] = [];
    const breakdowns: string[] = [];
    const floor: number[] = [];
    for (const size of SIZES) {
        const manifests = { before: await render(size, false), after: await render(size, true) };
        const objects = manifests.before.namespaces.length + manifests.before.rest.length;
        const t = { off: empty(), on: empty(), kubectl: empty() };
        const n = repsFor(size);
        for (let rep = 0; rep < n; rep++) {
            floor.push((await emptyPreview()).ms);
            await pulumiRound(size, false, t.off);
            await kubectlRound(manifests, t.kubectl);
            if (VERIFY_SIZES.includes(size)) await pulumiRound(size, true, t.on);
            console.error(`bench: ${size} round ${rep + 1}/${n} done (${secs(Date.now() - started)} s so far)`);
        }
        const k = Object.fromEntries(PHASES.map((p) => [p, median(t.kubectl[p])])) as Record<Phase, number>;
        const label = size === "e2e" ? "e2e stack" : `${size} releases`;
        breakdowns.push(`pulumi up from empty, ${label}, verify off — ${await upBreakdown(size)}`);
        for (const verify of VERIFY_SIZES.includes(size) ? (["off", "on"] as const) : (["off"] as const)) {
            const p = Object.fromEntries(PHASES.map((ph) => [ph, median(t[verify][ph])])) as Record<Phase, number>;
            const cells = PHASES.map((ph) => `${secs(p[ph])} / ${secs(k[ph])} (${ratio(p[ph], k[ph])})`);
            const extra = verify === "on" ? `+${secs(p.up - median(t.off.up))} / +${secs(p.change - median(t.off.change))}` : "";
            rows.push(`| ${label} | ${objects} | ${verify} | ${n} | ${cells.join(" | ")} | ${extra} |`);
            console.error(`bench: ${rows[rows.length - 1]}`);
        }
    }
    console.log(
        `\n${REPS} rounds each (n per row), alternating pulumi verify off / kubectl / pulumi verify on; medians in seconds, pulumi / kubectl (ratio); ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "unknown CPU"}, load average at the end ${os.loadavg()[0].toFixed(1)}; kwok nodes (on them a Job's pod is marked complete without running: "verify on" measures the engine's await of the verify Job, not its requests); whole run ${secs(Date.now() - started)} s\n`,
    );
    console.log(
        "| size | objects | verify | n | up from empty: pulumi up / kubectl apply + rollout status | one-release change: pulumi up / kubectl apply + rollout status | no-op: pulumi preview / kubectl diff | pulumi destroy / kubectl delete --wait | verify adds (up / change) |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) console.log(row);
    const fs_ = [...floor].sort((a, b) => a - b);
    console.log(`\nStart-up floor (pulumi preview of an empty program, n=${floor.length}): median ${secs(median(floor))} s, min ${secs(fs_[0])} s`);
    console.log("\nWhere the time goes (one more run of each, logged with -v=7; the log's own overhead included):\n");
    console.log(`pulumi preview of the empty program — ${formatBreakdown(engineLogBreakdown((await emptyPreview(...LOGGED)).stderr))}`);
    for (const b of breakdowns) console.log(`\n${b}`);
    if (REAL_NODE && LAB_REPS > 0) console.log(`\n${await labFirstRun()}`);
    if (REAL_NODE && process.env.BMP_BENCH_LOAD !== "0") {
        const loads = [await loadThrough("gateway"), await loadThrough("ingress")];
        console.log("\nThrough the lab's entry points on their MetalLB addresses, from the client host of the lab's LAN (weight 50, verify off):\n");
        console.log("| through | load | p50 | p99 | max | errors | throughput | canary |");
        console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (const l of loads) console.log(l.row);
        for (const l of loads) if (l.path) console.log(`\n${l.path}`);
    } else if (!REAL_NODE) console.log("\n(no load figure through the Gateway and the ingress: they need the real node; BMP_REAL_NODE=1 npm run bench)");
    fs.rmSync(base, { recursive: true, force: true });
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
