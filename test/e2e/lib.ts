// The e2e suite's helpers: the real Pulumi CLI and kubectl against the local control plane that
// test/e2e/run.sh started. Every stack lives in its own scratch project folder (links to this
// repo's files plus its own Pulumi.<stack>.yaml), so no run leaves a stack file or state in the repo.
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { GATEWAY_API_VERSION } from "../../components/network/nginxGatewayFabric";
import { linkProject, PROJECT_FILES, ROOT } from "../projectFiles";

export { ROOT };
/** Passphrase of Pulumi.dev.yaml's secrets (the dev-only one the README gives). */
export const DEV_PASSPHRASE = "bare-metal-lab";
const PROJECT = "bare-metal-platform";

/** The repo entries a scratch project links: the program's files, its packages, the policy pack and the scripts (the stack files are the scratch folder's own). */
const PROJECT_ENTRIES = [...PROJECT_FILES, "node_modules", "policy", "scripts"];

/**
 * A scratch project folder under `base`: links to this repo's project files and an empty `.state`;
 * the entries in `own` are not linked (the caller writes its own, e.g. an `index.ts`).
 */
export function scratchProject(base: string, prefix: string, own: readonly string[] = []): string {
    const dir = fs.mkdtempSync(path.join(base, `${prefix}-`));
    linkProject(dir, PROJECT_ENTRIES, own);
    fs.mkdirSync(path.join(dir, ".state"));
    return dir;
}

/** Sets top-level config keys of a stack file's document (undefined removes one); returns it. */
function withOverrides(doc: any, overrides: Record<string, unknown>): any {
    doc.config ??= {};
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete doc.config[`${PROJECT}:${k}`];
        else doc.config[`${PROJECT}:${k}`] = v;
    }
    return doc;
}

/**
 * The text of a stack file: a shipped one's (secrets and their salt included), or an empty one,
 * with `overrides` applied on top (top-level keys of this project, replacing the whole value).
 */
export function stackFileText(from: string | undefined, overrides: Record<string, unknown> = {}): string {
    const doc = from ? YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${from}.yaml`), "utf8")) : { config: {} };
    return YAML.stringify(withOverrides(doc, overrides));
}

export interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Wall time in milliseconds. */
    readonly ms: number;
}

/** A `pulumi` command running: see {@link Stack.start}. */
export interface Started {
    readonly pid: number;
    until(re: RegExp, ms?: number): Promise<void>;
    kill(signal: NodeJS.Signals): void;
    readonly done: Promise<Run>;
}

/** Runs a command; never throws for a non-zero exit (the caller asserts on it). */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Run> {
    const t0 = Date.now();
    return new Promise((resolve) => {
        const child = execFile(
            cmd,
            args,
            { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGTERM" },
            (err, stdout, stderr) => {
                const code = err ? (typeof (err as any).code === "number" ? (err as any).code : 1) : 0;
                resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
            },
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
    });
}

/** kubectl (the one the control plane script put first on PATH) with the cluster's KUBECONFIG. */
export async function kubectl(...args: string[]): Promise<string> {
    const r = await run("kubectl", args, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
}

/** kubectl get … -o json, parsed. */
export async function kubectlJson(...args: string[]): Promise<any> {
    return JSON.parse(await kubectl("get", ...args, "-o", "json"));
}

/**
 * The namespaces an installation of MetalLB and ingress-nginx would have made: the e2e stack turns
 * their charts `install: false` and must find them there (made when missing).
 */
export const INSTALLED_NAMESPACES = ["metallb-system", "ingress-nginx"];

export async function ensureInstalledNamespaces(): Promise<void> {
    for (const ns of INSTALLED_NAMESPACES) {
        if ((await run("kubectl", ["get", "namespace", ns])).code !== 0) await kubectl("create", "namespace", ns);
    }
}

/**
 * The Gateway API CRDs (standard channel) of the version NGINX Gateway Fabric supports — a cluster
 * prerequisite (README) — applied from the `sigs.k8s.io/gateway-api` module on the Go module proxy,
 * fetched at test time, never committed. Idempotent.
 */
export async function ensureGatewayApiCrds(): Promise<void> {
    if ((await run("kubectl", ["get", "crd", "httproutes.gateway.networking.k8s.io"])).code === 0) return;
    const t0 = Date.now();
    const r = await run("go", ["mod", "download", "-json", `sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}`], { cwd: os.tmpdir(), timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`go mod download sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION} failed: ${r.stderr.trim()}`);
    const dir = path.join(JSON.parse(r.stdout).Dir, "config", "crd", "standard");
    // The CRDs only: the folder's ValidatingAdmissionPolicy (safe upgrades) is an optional extra.
    const crds = fs.readdirSync(dir).filter((f) => f.startsWith("gateway.networking.k8s.io_") && !f.includes("vap_"));
    for (const f of crds) await kubectl("apply", "--server-side", "-f", path.join(dir, f));
    const names = crds.map((f) => `crd/${f.slice("gateway.networking.k8s.io_".length, -".yaml".length)}.gateway.networking.k8s.io`);
    await kubectl("wait", "--for=condition=Established", ...names, "--timeout=60s");
    console.log(`# time Gateway API ${GATEWAY_API_VERSION} CRDs (${crds.length}) from the Go module proxy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// --- the real node's placement ------------------------------------------------------------------

/** The real node (test/e2e/node.sh) and the taints that keep pods off it, or (onlyRealNode) on it. */
export const REAL_NODE = "real-node";
const REAL_TAINT = "bmp.local/real-node=true:NoSchedule";
const FAKE_TAINT = "bmp.local/fake-node=true:NoSchedule";

async function taint(selector: string[], spec: string): Promise<void> {
    const r = await run("kubectl", ["taint", "nodes", ...selector, spec, "--overwrite"]);
    if (r.code !== 0 && !/not found/.test(r.stderr)) throw new Error(`kubectl taint ${spec}: ${r.stderr}`);
}

/**
 * on: the fake nodes tainted and the real node untainted, so every pod of a stack lands on the
 * real node (what tolerates everything, on every node); off: back as node.sh registered them.
 */
export async function onlyRealNode(on: boolean): Promise<void> {
    if (on) {
        await taint(["-l", "type=kwok"], FAKE_TAINT);
        await taint([REAL_NODE], `${REAL_TAINT.split("=")[0]}-`);
    } else {
        await taint([REAL_NODE], REAL_TAINT);
        await taint(["-l", "type=kwok"], `${FAKE_TAINT.split("=")[0]}-`);
    }
}

/** The dev stack's own namespaces: a previous stack's may still be terminating. */
const STACK_NAMESPACES = ["canary", "dev", "prometheus", "monitoring"];

export async function namespacesGone(): Promise<void> {
    for (const ns of STACK_NAMESPACES) {
        await eventually(`namespace ${ns} gone`, 120_000, async () => ((await run("kubectl", ["get", "namespace", ns])).code !== 0 ? true : undefined));
    }
}

/** One step of `pulumi preview --json`: the operation and the resource's type and name. */
export interface Step {
    readonly op: string;
    readonly type: string;
    readonly name: string;
}

/** A stack in its own scratch project folder with its own file backend. */
export class Stack {
    readonly dir: string;
    private env: NodeJS.ProcessEnv;

    private constructor(
        readonly name: string,
        readonly base: string,
    ) {
        this.dir = scratchProject(base, name);
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: this.folderBackend,
            PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            PULUMI_SUPPRESS_COPILOT_LINK: "true",
            PULUMI_COPILOT: "false",
            NO_COLOR: "1",
        };
    }

    /** The stack's own folder backend, where {@link Stack.create} put it. */
    get folderBackend(): string {
        return `file://${path.join(this.dir, ".state")}`;
    }

    /** From now on, the stack's state is read and written at `url` (with `env`, the keys it needs): what a user's `export PULUMI_BACKEND_URL=…` does. */
    useBackend(url: string, env: NodeJS.ProcessEnv = {}): void {
        this.env = { ...this.env, ...env, PULUMI_BACKEND_URL: url };
    }

    /** A new stack whose config is {@link stackFileText}`(from, overrides)`. */
    static async create(name: string, opts: { from?: string; overrides?: Record<string, unknown>; base?: string } = {}): Promise<Stack> {
        const base = opts.base ?? fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-"));
        const stack = new Stack(name, base);
        fs.writeFileSync(path.join(stack.dir, `Pulumi.${name}.yaml`), stackFileText(opts.from, opts.overrides));
        await stack.pulumiOk("stack", "init");
        return stack;
    }

    /** This stack's config file as it is now. */
    get configFile(): string {
        return path.join(this.dir, `Pulumi.${this.name}.yaml`);
    }

    /** Replaces top-level config keys (undefined removes one) — what a user's edit of the stack file does. */
    setConfig(overrides: Record<string, unknown>): void {
        fs.writeFileSync(this.configFile, YAML.stringify(withOverrides(YAML.parse(fs.readFileSync(this.configFile, "utf8")), overrides)));
    }

    /** A top-level config value as the stack file holds it. */
    config(key: string): any {
        return structuredClone(YAML.parse(fs.readFileSync(this.configFile, "utf8")).config[`${PROJECT}:${key}`]);
    }

    pulumi(...args: string[]): Promise<Run> {
        return this.pulumiWith({}, ...args);
    }

    /** `pulumi` with more environment (another backend, say) on top of the stack's own. */
    pulumiWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
        return run("pulumi", [...args, "--stack", this.name, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env, ...env },
            timeoutMs: 600_000,
        });
    }

    /**
     * `pulumi` started in its own process group, its output read as it comes: `until(re)` settles once
     * the output matches, `kill(signal)` signals the whole group (the CLI and the plugins it started,
     * as a closed laptop or a lost machine stops them all), `done` settles when it exits.
     */
    start(...args: string[]): Started {
        const t0 = Date.now();
        const child = spawn("pulumi", [...args, "--stack", this.name, "--non-interactive"], { cwd: this.dir, env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        const waiting: Array<{ re: RegExp; resolve: () => void }> = [];
        const seen = (d: Buffer) => {
            out += d;
            for (const w of waiting.filter((x) => x.re.test(out))) {
                waiting.splice(waiting.indexOf(w), 1);
                w.resolve();
            }
        };
        child.stdout!.on("data", seen);
        child.stderr!.on("data", seen);
        const done = new Promise<Run>((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout: out, stderr: signal ?? "", ms: Date.now() - t0 })));
        return {
            pid: child.pid!,
            until: (re, ms = 300_000) =>
                new Promise<void>((resolve, reject) => {
                    if (re.test(out)) return resolve();
                    const timer = setTimeout(() => reject(new Error(`pulumi ${args.join(" ")}: no ${re} within ${ms} ms:\n${tail(out, 30)}`)), ms);
                    waiting.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
                }),
            kill: (signal) => process.kill(-child.pid!, signal),
            done,
        };
    }

    async pulumiOk(...args: string[]): Promise<Run> {
        const r = await this.pulumi(...args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${tail(r.stdout + r.stderr, 60)}`);
        return r;
    }

    up(...extra: string[]): Promise<Run> {
        return this.pulumiOk("up", "--yes", "--skip-preview", ...extra);
    }

    /** `pulumi preview --json`: the steps other than `same`, sorted, and the raw result. */
    async preview(...extra: string[]): Promise<{ steps: Step[]; run: Run; json: any }> {
        const r = await this.pulumi("preview", "--json", ...extra);
        let json: any;
        try {
            json = JSON.parse(r.stdout);
        } catch {
            throw new Error(`pulumi preview --json printed no JSON (${r.code}):\n${tail(r.stdout + r.stderr, 60)}`);
        }
        if (r.code !== 0) throw new Error(`pulumi preview failed (${r.code}):\n${tail(JSON.stringify(json.diagnostics ?? json, null, 1) + r.stderr, 60)}`);
        return { steps: changedSteps(json), run: r, json };
    }

    destroy(): Promise<Run> {
        return this.pulumiOk("destroy", "--yes", "--skip-preview");
    }

    /** Stack outputs. */
    async outputs(): Promise<Record<string, any>> {
        return JSON.parse((await this.pulumiOk("stack", "output", "--json", "--show-secrets")).stdout);
    }

    /** The URNs in the stack's state. */
    async resources(): Promise<Array<{ urn: string; type: string; id?: string; outputs?: any }>> {
        const exported = JSON.parse((await this.pulumiOk("stack", "export")).stdout);
        return exported.deployment.resources ?? [];
    }

    /** Removes the scratch folder (the stack's state with it). */
    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The steps of a preview other than `same`, as "op type name", sorted: what a diff assertion compares. */
export function changedSteps(json: any): Step[] {
    return ((json.steps ?? []) as any[])
        .filter((s) => s.op !== "same")
        .map((s) => {
            const urn: string = s.urn;
            const parts = urn.split("::");
            const type = parts[2].split("$").pop() ?? parts[2];
            return { op: s.op, type, name: parts[3] };
        })
        .sort(byStep);
}

/** The order of {@link changedSteps}: by type, then name, then operation. */
function byStep(a: Step, b: Step): number {
    return `${a.type} ${a.name} ${a.op}`.localeCompare(`${b.type} ${b.name} ${b.op}`);
}

/** Expected "op type name" lines in the order of {@link changedSteps}, so that a list may be written in any order. */
export function sortedStepLines(lines: readonly string[]): string[] {
    return stepLines(
        lines
            .map((l) => {
                const [op, type, name] = l.split(" ");
                return { op, type, name };
            })
            .sort(byStep),
    );
}

/** Renders steps as "op type name" lines (for assertion messages and exact comparisons). */
export function stepLines(steps: readonly Step[]): string[] {
    return steps.map((s) => `${s.op} ${s.type} ${s.name}`);
}

export function tail(text: string, lines: number): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The program's diagnostic lines (`error: ` dropped), from the output of `pulumi preview` or `pulumi up`. */
export function diagnostics(out: string): string[] {
    const from = out.indexOf("Diagnostics:");
    if (from < 0) throw new Error(`no Diagnostics in the output:\n${tail(out, 30)}`);
    return out
        .slice(from)
        .split("\n")
        .slice(2)
        .map((l) => l.trim().replace(/^error: /, ""))
        .filter((l) => l !== "" && !l.startsWith("Resources:") && !l.startsWith("Duration:"));
}

/** Polls `check` until it returns a value that is not undefined, or fails after `ms`. */
export async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const v = await check();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ""}`);
}

/** The e2e stack's config: the dev stack with what cannot run here turned off (see the README). */
export const E2E_OVERRIDES = (dev: (key: string) => any): Record<string, unknown> => ({
    // No chart repository is reachable: MetalLB, ingress-nginx and NGINX Gateway Fabric are "already installed" (their
    // stand-in is the control plane's watcher; the MetalLB CRDs are fixtures), the Dashboard is off.
    metallb: { ...(dev("metallb") ?? {}), install: false },
    ingressNginx: { ...(dev("ingressNginx") ?? {}), install: false },
    nginxGateway: { ...(dev("nginxGateway") ?? {}), install: false },
    dashboard: { enabled: false },
    // The verify Job's pod would land on a fake node, which kwok "completes" without running it; the
    // cases whose pods run on the real node turn it on (test/e2e/ingress.e2e.ts, test/e2e/traffic.e2e.ts).
    verify: { enabled: false },
});

/** A top-level value of a shipped stack file. */
export function shippedConfig(stack: string): (key: string) => any {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    return (key) => structuredClone(doc.config?.[`${PROJECT}:${key}`]);
}

/** Prints a phase's wall time in the test output (the suite's timing report). */
export function timing(phase: string, ms: number): void {
    console.log(`# time ${phase}: ${(ms / 1000).toFixed(1)} s`);
}
