// Fault injection for test/e2e/faults.e2e.ts, on the suite's own processes only: the control plane's
// (cluster.sh: etcd, kube-apiserver) and the real node's (node.sh: containerd, kubelet, the pods'
// processes), each stopped and started again exactly as the script started it (its command line,
// environment, working folder and log, read from /proc before it stops; its pid file updated, so
// the scripts' `down` stops the new process), and a MinIO on loopback that holds a stack's state.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { s3 } from "./http";
import { run } from "./lib";

/** A process of the suite as it was started: enough to start it again the same way. */
export interface Held {
    readonly dir: string;
    readonly name: string;
    readonly argv: readonly string[];
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The control plane's state folder (cluster.sh) and the real node's (node.sh). */
export const CLUSTER_STATE = process.env.BMP_CLUSTER_STATE ?? "";
export const NODE_STATE = path.join(CLUSTER_STATE, "node");

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Waits until none of `pids` runs (SIGKILL after `ms`). */
async function gone(pids: number[], ms = 10_000): Promise<void> {
    const t0 = Date.now();
    while (pids.some(alive)) {
        if (Date.now() - t0 > ms) killAll(pids.filter(alive));
        await sleep(100);
    }
}

/** Stops the process of `dir/pids/name` with `signal`, once it is read: see {@link startAgain}. */
export async function stopProcess(dir: string, name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<Held> {
    const pid = Number(fs.readFileSync(path.join(dir, "pids", name), "utf8").trim());
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0$/, "").split("\0");
    const env = Object.fromEntries(
        fs
            .readFileSync(`/proc/${pid}/environ`, "utf8")
            .split("\0")
            .filter((kv) => kv.includes("="))
            .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    process.kill(pid, signal);
    await gone([pid]);
    return { dir, name, argv, env, cwd };
}

/** Starts a stopped process again as its script did (its own session, output appended to its log), and records its pid. */
export function startAgain(p: Held): number {
    const log = fs.openSync(path.join(p.dir, "logs", `${p.name}.log`), "a");
    const child = spawn(p.argv[0], p.argv.slice(1), { cwd: p.cwd, env: p.env, detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.unref();
    fs.writeFileSync(path.join(p.dir, "pids", p.name), `${child.pid}\n`);
    return child.pid!;
}

/** The pids of this machine's processes for which `match(pid)` holds (a process gone meanwhile does not). */
export function processes(match: (pid: string) => boolean): number[] {
    return fs
        .readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
            try {
                return match(p);
            } catch {
                return false;
            }
        })
        .map(Number);
}

/** SIGKILL to each of `pids`; one that has exited since it was listed (a probe's, a finished Job's) is as good as killed. */
export function killAll(pids: readonly number[]): void {
    for (const p of pids) {
        try {
            process.kill(p, "SIGKILL");
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
        }
    }
}

/** Whether the process runs inside one of the real node's pods (the kubelet's cgroup root). */
const inPod = (pid: string) => /^\d+:pids:\/bmp-node\/kubepods\//m.test(fs.readFileSync(`/proc/${pid}/cgroup`, "utf8"));

/** The pids of every process of the real node's pods and of their containerd shims. */
function podProcesses(): number[] {
    const shimOfThisNode = `${NODE_STATE}/containerd.sock`;
    return processes((p) => {
        if (inPod(p)) return true;
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
        return cmd.includes("containerd-shim-runc-v2") && cmd.includes(shimOfThisNode);
    });
}

/**
 * The real node as a power cut leaves it: the kubelet and containerd stopped, every pod's process and
 * shim killed (SIGKILL), `downMs` of nothing; then containerd and the kubelet started again, as the
 * node's boot would. Resolves once both run again (not once the pods are back).
 */
export async function restartNode(downMs: number): Promise<void> {
    const kubelet = await stopProcess(NODE_STATE, "kubelet");
    const pods = podProcesses();
    killAll(pods);
    await gone(pods);
    const containerd = await stopProcess(NODE_STATE, "containerd");
    await sleep(downMs);
    startAgain(containerd);
    const ctr = path.join(path.dirname(containerd.argv[0]), "ctr");
    for (let i = 0; i < 150; i++) {
        if ((await run(ctr, ["--address", `${NODE_STATE}/containerd.sock`, "version"])).code === 0) break;
        await sleep(200);
    }
    startAgain(kubelet);
}

/** Kills (SIGKILL) the processes whose executable is `exe` inside the real node's pods; returns their pids. */
export function killInPods(exe: string): number[] {
    const pids = processes((p) => fs.readlinkSync(`/proc/${p}/exe`) === exe && inPod(p));
    killAll(pids);
    return pids;
}

/** The MinIO server binary node/images.sh built from its pinned source (its cache: BMP_CACHE or ~/.cache/bare-metal-platform). */
function minioBinary(): string {
    const dir = path.join(process.env.BMP_CACHE ?? path.join(os.homedir(), ".cache", "bare-metal-platform"), "bin", "images");
    const found = fs
        .readdirSync(dir)
        .filter((f) => /^minio-[0-9a-f]+-[0-9a-f]+$/.test(f))
        .map((f) => path.join(dir, f))
        .filter((f) => fs.statSync(f).isFile())
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    if (found.length === 0) throw new Error(`no MinIO binary in ${dir} (test/e2e/node/images.sh builds it)`);
    return found[0];
}

/**
 * A MinIO outside the cluster, on loopback, as docs/stacks-and-state.md has a team keep its state:
 * MinIO's own server (the binary the suite built), its data in `dir`, with a bucket `bucket`.
 */
export class StateBucket {
    readonly endpoint: string;
    readonly creds = { user: "state-admin", password: "state-admin-password" };
    private child?: ReturnType<typeof spawn>;

    constructor(
        readonly dir: string,
        readonly port: number,
        readonly bucket = "pulumi-state",
    ) {
        this.endpoint = `http://127.0.0.1:${port}`;
    }

    /** The backend URL of the docs' move, and the keys the CLI reads. */
    get backend(): { url: string; env: NodeJS.ProcessEnv } {
        return {
            url: `s3://${this.bucket}?endpoint=${this.endpoint}&s3ForcePathStyle=true&region=us-east-1`,
            env: { AWS_ACCESS_KEY_ID: this.creds.user, AWS_SECRET_ACCESS_KEY: this.creds.password },
        };
    }

    /** Starts the server (its data kept across starts) and waits for its health check; makes the bucket once. */
    async start(): Promise<void> {
        fs.mkdirSync(path.join(this.dir, "data"), { recursive: true });
        const log = fs.openSync(path.join(this.dir, "minio.log"), "a");
        this.child = spawn(minioBinary(), ["server", path.join(this.dir, "data"), "--address", `127.0.0.1:${this.port}`, "--console-address", "127.0.0.1:0", "--quiet"], {
            env: { ...process.env, MINIO_ROOT_USER: this.creds.user, MINIO_ROOT_PASSWORD: this.creds.password, MINIO_BROWSER: "off", HOME: this.dir },
            detached: true,
            stdio: ["ignore", log, log],
        });
        fs.closeSync(log);
        for (let i = 0; i < 150; i++) {
            try {
                if ((await fetch(`${this.endpoint}/minio/health/ready`)).status === 200) break;
            } catch {
                // not listening yet
            }
            await sleep(200);
        }
        const made = await s3(this.endpoint, this.creds, "PUT", `/${this.bucket}`);
        if (made.status !== 200 && !/BucketAlreadyOwnedByYou/.test(made.body)) throw new Error(`MinIO: bucket ${this.bucket}: ${made.status} ${made.body}`);
    }

    /** Stops the server at once (SIGKILL), as a lost machine or network would. */
    async kill(): Promise<void> {
        if (this.child?.pid === undefined) return;
        const pid = this.child.pid;
        process.kill(pid, "SIGKILL");
        await gone([pid]);
        this.child = undefined;
    }

    /** The keys of the objects under `prefix` in the bucket. */
    async keys(prefix: string): Promise<string[]> {
        const r = await s3(this.endpoint, this.creds, "GET", `/${this.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
        return [...r.body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    }
}
