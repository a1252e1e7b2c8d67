// Faults on the real engine, on the lab's stack (test/e2e/lan.ts: the real node, the real MetalLB,
// ingress-nginx and MinIO, verify on): the first `pulumi up` killed while MetalLB's chart installs,
// another killed mid-rollout (SIGKILL to the CLI and its plugins, as a closed laptop or a lost
// machine stops them), a state file's sidecar left empty by a kill during the state's write, one
// Ctrl-C, two `pulumi up` at once, a wrong passphrase, the API server and etcd stopped during an up,
// the node restarted, MetalLB's speaker killed, and the state's bucket lost during an up — each with
// what the user sees (asserted), the recovery docs/operations.md prescribes ("Faults"), and
// convergence: a preview with no change, every object once, the lab's requests answered through the
// ingress and MinIO's object still there. Each case prints a "# fault:" line, the figures of the
// docs' table.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as net from "node:net";
import { unreadable } from "../../scripts/state-sidecars";
import { CLUSTER_STATE, killAll, killInPods, processes, restartNode, startAgain, StateBucket, stopProcess } from "./faults";
import { CLIENT_NETNS, clientGet, clientS3, failures, ingressOverrides, labDown, labUp, lbAddress, minioCreds } from "./lan";
import { DEV_PASSPHRASE, diagnostics, eventually, kubectlJson, run, shippedConfig, Stack, stepLines, tail, timing, type Run } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-faults-"));
const HOST = "app.local";
/** The dev stack's ingress address. */
const INGRESS = "172.17.255.3";
/** MinIO's object, written once the stack is up: every case ends with it read back. */
const NOTE = { key: "/lab/note.txt", body: `written before the faults at ${new Date().toISOString()}` };
let stack: Stack;
let minio: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The lab's requests through the ingress: waits until 10 in a row are answered by the release; returns how long that took. */
async function labAnswers(withinMs = 120_000): Promise<number> {
    const t0 = Date.now();
    await eventually("the lab's requests answered through the ingress", withinMs, async () => {
        const replies = await clientGet(`http://${INGRESS}/web`, { headers: { host: HOST }, count: 10 });
        return failures(replies).length === 0 && replies.every((r) => r.version !== undefined) ? true : undefined;
    });
    return Date.now() - t0;
}

/** MinIO's object as it was written. */
async function noteIntact(): Promise<void> {
    const got = await eventually("MinIO's object read back", 60_000, async () => {
        const r = await clientS3(minio, await minioCreds(), "GET", NOTE.key).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
    });
    assert.equal(got.body, NOTE.body);
}

/** The API server answers /readyz again. */
async function apiReady(): Promise<void> {
    await eventually("the API server ready", 90_000, async () => ((await run("kubectl", ["get", "--raw", "/readyz"], { timeoutMs: 5000 })).code === 0 ? true : undefined));
}

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const srv = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/**
 * The stack's passphrase, as its user exports it for every pulumi command (`npm run unlock` reads and
 * writes the state when a create was in flight): the lab's stack is a copy of dev with dev's
 * passphrase, which the scripts refuse for another stack unless it is named as such a copy.
 */
const stackPassphrase = () => ({ PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE, BMP_DEV_PASSPHRASE_STACK: stack.name });

/** `npm run unlock` (scripts/stack.sh) on the stack's state: in its folder, or at `backend` (the URL and its credentials). */
function unlock(backend: NodeJS.ProcessEnv = { PULUMI_BACKEND_URL: `file://${path.join(stack.dir, ".state")}` }, ...extra: string[]): Promise<Run> {
    return run("bash", ["scripts/stack.sh", "unlock", "--stack", stack.name, ...extra], { cwd: stack.dir, env: { ...process.env, ...stackPassphrase(), ...backend } });
}

/** The first lines of `text` that say "error". */
const errorLines = (text: string) =>
    text
        .split("\n")
        .filter((l) => /error/i.test(l))
        .slice(0, 6)
        .join("\n");

/** The CLI's words when a stack is locked, on any backend. */
const LOCKED_ANYWHERE = /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./;

/** The CLI's words when a stack is locked (pulumi 3.259.0, a folder backend). */
const LOCKED =
    /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\.\n\s+file:\/\/\S+\.json\S*: created by \S+@\S+ \(pid \d+\) at \S+/;

function editClock(edit: (clock: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.clock);
    stack.setConfig({ releases });
}

/** The stack's checkpoint in its folder backend; its sidecar is this path with `.attrs` added. */
const checkpointFile = () => path.join(stack.dir, ".state", ".pulumi", "stacks", "bare-metal-platform", `${stack.name}.json`);

/**
 * The pending operations of the checkpoint on disk, read as the file is: a kill can leave the
 * checkpoint's sidecar unreadable (then every pulumi command fails until `npm run unlock`), while the
 * checkpoint itself is always whole (the CLI renames a complete file into place).
 */
function pendingOnDisk(): any[] {
    return JSON.parse(fs.readFileSync(checkpointFile(), "utf8")).checkpoint.latest?.pending_operations ?? [];
}

/** Whether the checkpoint's sidecar is one a kill during the state's write left unreadable. */
function checkpointSidecarUnreadable(): boolean {
    const sidecar = `${checkpointFile()}.attrs`;
    return fs.existsSync(sidecar) && unreadable(fs.readFileSync(sidecar, "utf8")) !== undefined;
}

/** The lock files of the stack in its folder backend. */
function locks(): string[] {
    const dir = path.join(stack.dir, ".state", ".pulumi", "locks", "organization", "bare-metal-platform", stack.name);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
}

/**
 * The processes still running in the stack's folder: the plugins a killed CLI started (each in a
 * process group of its own) outlive it, as they do when a user's `kill -9` hits only the CLI.
 */
function leftovers(): number[] {
    return processes((p) => fs.readlinkSync(`/proc/${p}/cwd`) === stack.dir);
}

/** The clock release's objects in the cluster, by kind and name: each must be there exactly once. */
async function clockObjects(): Promise<string[]> {
    const items = (await kubectlJson("deployments,services,poddisruptionbudgets,configmaps", "-n", "default", "-l", "app=clock-nginx")).items;
    return items.map((o: any) => `${o.kind} ${o.metadata.name}`).sort();
}

/** Converged: a preview with no change, every resource once and no pending operation in the state, the lab's requests answered, MinIO's object intact. */
async function converged(): Promise<void> {
    assert.deepEqual(stepLines((await stack.preview()).steps), [], "a preview proposes nothing");
    const { deployment } = JSON.parse((await stack.pulumiOk("stack", "export")).stdout);
    const urns = deployment.resources.map((r: any) => r.urn);
    assert.equal(new Set(urns).size, urns.length, "every resource once in the state");
    assert.deepEqual(deployment.pending_operations ?? [], [], "no pending operation left in the state");
    await labAnswers();
    await noteIntact();
}

before(async () => {
    await labUp({ traefik: false });
    stack = await Stack.create("faults", { from: "dev", base, overrides: ingressOverrides(dev) });
});

after(async () => {
    try {
        if (stack) await stack.pulumi("destroy", "--yes", "--skip-preview");
        await labDown();
    } finally {
        stack?.remove();
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("faults: an interrupted pulumi up, two at once, a wrong passphrase, the control plane, the node and the state's bucket lost", () => {
    it("killed (SIGKILL) in the first pulumi up, while MetalLB's chart creates its objects: npm run unlock repairs what the kill left (a sidecar, the lock) and settles the creates in flight; pulumi up --refresh converges with every object once, the chart's included", async () => {
        const killed = stack.start("up", "--yes", "--skip-preview");
        // A chart's object being created: the chart renders its objects and creates them side by side.
        await killed.until(/kubernetes:\S+ metallb-chart:\S+ creating/);
        killed.kill("SIGKILL");
        await killed.done;
        killAll(leftovers());
        const creates = pendingOnDisk().filter((o: any) => o.type === "creating");
        console.log(`# pending creates after the kill in the chart's install: ${creates.map((o: any) => o.resource.urn.split("::").pop()).join(", ")}`);
        assert.ok(creates.length > 0, "creates were in flight");

        // Whether the kill landed while the CLI wrote the state is the kill's timing: when it did, the
        // checkpoint's sidecar is unreadable and unlock names it (the next case makes that on purpose).
        const broken = checkpointSidecarUnreadable();
        const t0 = Date.now();
        const unlocked = await unlock();
        assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
        const settled = unlocked.stdout.split("\n").filter((l) => l.startsWith("unlock: urn"));
        assert.equal(settled.length, creates.length, unlocked.stdout);
        const sidecars = unlocked.stdout.split("\n").filter((l) => l.endsWith("its next write makes a new sidecar"));
        assert.equal(
            sidecars.some((l) => l.startsWith(`unlock: ${checkpointFile()}.attrs is `)),
            broken,
            unlocked.stdout,
        );
        assert.match(unlocked.stdout, /unlock: done; next: pulumi up --refresh --stack faults/);
        console.log(`# unlock after the kill in the chart's install: ${settled.length} creates settled, ${sidecars.length} sidecars repaired (${secs(Date.now() - t0)})`);

        const again = await stack.up("--refresh");
        timing("pulumi up --refresh after a kill in the first up and npm run unlock (the lab's stack)", again.ms);
        minio = `http://${await lbAddress("default", "minio-svc-lb")}:9000`;
        const creds = await minioCreds();
        assert.equal((await clientS3(minio, creds, "PUT", "/lab")).status, 200);
        assert.equal((await clientS3(minio, creds, "PUT", NOTE.key, NOTE.body)).status, 200);
        await converged();
    });

    it("the checkpoint's sidecar left empty, as a kill during the state's write leaves it: every pulumi command fails with the CLI's EOF; npm run unlock removes the sidecar, and the stack reads again with nothing lost", async () => {
        const sidecar = `${checkpointFile()}.attrs`;
        const checkpoint = fs.readFileSync(checkpointFile(), "utf8");
        fs.writeFileSync(sidecar, "");
        const failed = await stack.pulumi("preview");
        assert.notEqual(failed.code, 0);
        assert.equal(failed.stderr.trim(), "error: failed to load checkpoint: EOF");

        const unlocked = await unlock();
        assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
        assert.deepEqual(unlocked.stdout.trim().split("\n"), [
            `unlock: ${sidecar} is empty: a write of the state was interrupted there, and pulumi could not read ${stack.name}.json; removed it: ${stack.name}.json holds what it held before that write, and its next write makes a new sidecar`,
            `unlock: stack ${stack.name} is not locked; next: pulumi up --refresh --stack ${stack.name}`,
        ]);
        assert.equal(fs.readFileSync(checkpointFile(), "utf8"), checkpoint, "the checkpoint untouched");
        await converged();
    });

    it("killed (SIGKILL) while a Deployment rolls and a new release is being created: the next up stops at the lock; npm run unlock removes it and settles the creates in flight; pulumi up --refresh converges with every object once", async () => {
        const objects = await clockObjects();
        // Two releases' pods that never become Ready keep the run going until it is killed: the clock
        // release broken (an update in flight) and a new release, broken from the start (a create in
        // flight, the verify Job's replacement beside them).
        editClock((c) => (c.stable.broken = true));
        const releases = stack.config("releases");
        stack.setConfig({ releases: { ...releases, late: { stable: { version: "1.0", replicas: 1, broken: true }, services: [{ name: "late", port: 80 }] } } });
        const killed = stack.start("up", "--yes", "--skip-preview");
        await killed.until(/kubernetes:apps\/v1:Deployment clock-stable updating/);
        await killed.until(/kubernetes:apps\/v1:Deployment late-stable creating/);
        await sleep(2000);
        killed.kill("SIGKILL");
        await killed.done;
        // A lost machine stops the plugins too.
        killAll(leftovers());
        assert.equal(locks().length, 1, "the killed run's lock is left");
        const pending = pendingOnDisk();
        console.log(`# pending operations after the kill: ${pending.map((o: any) => `${o.type} ${o.resource.urn.split("::").pop()}`).join(", ")}`);
        assert.ok(
            pending.some((o: any) => o.type === "creating" && o.resource.urn.endsWith("Deployment::late-stable")),
            "the new release's Deployment was being created",
        );

        const stopped = await stack.pulumi("up", "--yes", "--skip-preview");
        const said = stopped.stdout + stopped.stderr;
        assert.notEqual(stopped.code, 0);
        // The lock's message, unless the kill landed while the CLI wrote the state (its timing, not
        // the test's): then the CLI cannot read the checkpoint, and unlock repairs that first.
        if (checkpointSidecarUnreadable()) assert.equal(stopped.stderr.trim(), "error: failed to load checkpoint: EOF");
        else assert.match(said, LOCKED, tail(said, 10));
        console.log(`# the next up: ${/error: (the stack is currently locked|failed to load checkpoint)[^\n]*/.exec(said)?.[0]}`);

        const t0 = Date.now();
        const unlocked = await unlock();
        assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
        assert.match(unlocked.stdout, /^unlock: urn:\S+Deployment::late-stable was being created as default\/late; the refresh keeps it if the cluster has it, and drops it if not$/m, unlocked.stdout);
        assert.match(unlocked.stdout, /unlock: done; next: pulumi up --refresh --stack faults/);
        assert.deepEqual(locks(), []);
        console.log(
            `# unlock: ${unlocked.stdout
                .split("\n")
                .filter((l) => l.startsWith("unlock: urn"))
                .join(" | ")} (${secs(Date.now() - t0)})`,
        );

        // The user puts the releases right: the clock release as it was, the new one left out. The
        // killed run's changes reached the API server; unlock's refresh (a create was in flight) read
        // them back, and `pulumi up --refresh` puts the clock release right and deletes the new
        // release's objects, the adopted Deployment among them: nothing of it is left behind.
        editClock((c) => delete c.stable.broken);
        const releasesNow = stack.config("releases");
        delete releasesNow.late;
        stack.setConfig({ releases: releasesNow });
        const again = await stack.up("--refresh");
        timing("pulumi up --refresh after npm run unlock", again.ms);
        const out = again.stdout + again.stderr;
        assert.match(out, /kubernetes:apps\/v1:Deployment clock-stable updated/, tail(out, 30));
        assert.match(out, /kubernetes:apps\/v1:Deployment late-stable deleted/, tail(out, 30));
        await converged();
        assert.deepEqual(await clockObjects(), objects, "the same objects, once each");
        const d = await kubectlJson("deployment", "clock-deployment", "-n", "default");
        assert.equal(d.spec.template.spec.containers[0].command, undefined, "the release as configured");
        assert.equal((await run("kubectl", ["get", "deployment", "late", "-n", "default"])).code, 1, "the new release's Deployment is gone");
        const jobs = (await kubectlJson("jobs", "-n", "platform-verify")).items.map((j: any) => j.metadata.name);
        assert.equal(jobs.length, 1, `one verify Job, none left by the killed run: ${jobs.join(", ")}`);
    });

    it("one Ctrl-C (SIGINT): the CLI cancels the step in flight, releases the lock and exits; the next up goes on without any repair", async () => {
        editClock((c) => (c.stable.broken = true));
        const interrupted = stack.start("up", "--yes", "--skip-preview");
        await interrupted.until(/kubernetes:apps\/v1:Deployment clock-stable updating/);
        const t0 = Date.now();
        interrupted.kill("SIGINT");
        const r = await interrupted.done;
        console.log(`# SIGINT: pulumi exited ${r.code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.notEqual(r.code, 0);
        assert.match(r.stdout, /\^C received; cancelling\. If you would like to terminate immediately, press \^C again\./, tail(r.stdout, 20));
        assert.deepEqual(locks(), [], "no lock left");
        editClock((c) => delete c.stable.broken);
        await stack.up();
        await converged();
    });

    it("two pulumi up at once: the second stops at once naming the first's lock; the first completes; the state is intact", async () => {
        editClock((c) => (c.stable.replicas = 5));
        const first = stack.start("up", "--yes", "--skip-preview");
        await first.until(/Updating \(faults\)/);
        for (let i = 0; i < 100 && locks().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
        const second = await stack.pulumi("up", "--yes", "--skip-preview");
        const said = second.stdout + second.stderr;
        assert.notEqual(second.code, 0);
        assert.match(said, LOCKED);
        assert.match(said, new RegExp(`\\(pid ${first.pid}\\)`), "naming the first update's process");
        assert.ok(second.ms < 30_000, `refused at once (${second.ms} ms)`);
        const r = await first.done;
        assert.equal(r.code, 0, tail(r.stdout, 30));
        await converged();
        assert.equal((await kubectlJson("deployment", "clock-deployment", "-n", "default")).spec.replicas, 5);
    });

    it("a wrong passphrase, then a missing secret: each refused before any change, saying which passphrase is wrong or which secret is missing", async () => {
        const before = (await kubectlJson("deployment", "clock-deployment", "-n", "default")).metadata.resourceVersion;
        editClock((c) => (c.stable.replicas = 6));
        const r = await stack.pulumiWith({ PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" }, "up", "--yes", "--skip-preview");
        const said = r.stdout + r.stderr;
        assert.notEqual(r.code, 0);
        assert.equal(said.trim(), "error: getting stack configuration: get stack secrets manager: incorrect passphrase");
        assert.equal((await kubectlJson("deployment", "clock-deployment", "-n", "default")).metadata.resourceVersion, before, "nothing changed");
        assert.deepEqual(locks(), []);
        editClock((c) => (c.stable.replicas = 5));

        // A secret the stack needs, missing: the program names it and how to set it, before any change.
        const password = (await stack.pulumiOk("config", "get", "minioRootPassword")).stdout.trim();
        await stack.pulumiOk("config", "rm", "minioRootPassword");
        const missing = await stack.pulumi("up", "--yes", "--skip-preview");
        assert.notEqual(missing.code, 0);
        assert.deepEqual(diagnostics(missing.stdout + missing.stderr).slice(0, 1), [
            "invalid configuration: minioRootPassword: is required when minio.enabled is true (set it with: pulumi config set --secret minioRootPassword <password>)",
        ]);
        assert.equal((await kubectlJson("deployment", "clock-deployment", "-n", "default")).metadata.resourceVersion, before, "nothing changed");
        await stack.pulumiOk("config", "set", "--secret", "minioRootPassword", password);
        await converged();
    });
    /**
     * A `pulumi up` of `edit` with the control plane's `part` stopped for `downMs` once the clock
     * release's Deployment is updating, then started again; returns the up's result and how long after
     * the stop it ended.
     */
    async function upThrough(part: "kube-apiserver" | "etcd", downMs: number, edit: (clock: any) => void): Promise<{ r: Run; after: number }> {
        editClock(edit);
        const up = stack.start("up", "--yes", "--skip-preview");
        await up.until(/kubernetes:apps\/v1:Deployment clock-stable updating/);
        const stopped = await stopProcess(CLUSTER_STATE, part);
        const t0 = Date.now();
        await sleep(downMs);
        startAgain(stopped);
        await apiReady();
        const r = await up.done;
        return { r, after: Date.now() - t0 };
    }

    it("the API server stopped for 30 s during pulumi up: the up fails naming the unreachable server; the next up converges", async () => {
        const { r, after } = await upThrough("kube-apiserver", 30_000, (c) => (c.stable.version = "1.1"));
        const said = r.stdout + r.stderr;
        console.log(`# fault: API server stopped 30 s — pulumi up exited ${r.code} ${secs(after)} after the stop; ${errorLines(said) || "no error"}`);
        assert.notEqual(r.code, 0);
        assert.match(
            said,
            /error: update of resource "urn:\S+::clock-stable" failed: .*https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/default\/deployments\/clock-deployment.*connect: connection refused/,
            tail(said, 20),
        );
        const t1 = Date.now();
        await stack.up();
        await converged();
        console.log(`# fault: API server — converged ${secs(Date.now() - t1)} after it was back (one pulumi up)`);
        const clock = await clientGet(`http://${await lbAddress("default", "clock-lb")}/`, { count: 5 });
        assert.deepEqual(
            clock.map((x) => x.version),
            ["1.1", "1.1", "1.1", "1.1", "1.1"],
            "the clock app answers at the version of the config",
        );
    });

    it("etcd stopped for 20 s during pulumi up: the API server holds the requests, the up goes on (or fails naming etcd's timeout); the next up converges", async () => {
        const { r, after } = await upThrough("etcd", 20_000, (c) => (c.stable.version = "1.0"));
        const said = r.stdout + r.stderr;
        console.log(`# fault: etcd stopped 20 s — pulumi up exited ${r.code} ${secs(after)} after the stop; ${errorLines(said) || "no error"}`);
        if (r.code !== 0) assert.match(said, /etcdserver|the server was unable to return a response|Timeout: request did not complete/, tail(said, 20));
        const t1 = Date.now();
        await stack.up();
        await converged();
        console.log(`# fault: etcd — converged ${secs(Date.now() - t1)} after it was back (one pulumi up)`);
    });

    it("the real node restarted (kubelet and containerd stopped, every container killed, 10 s down): every pod back, the lab answered again, MinIO's object intact, nothing to change", async () => {
        // The node's pods that run (a Job's finished pod is not started again).
        const running = async () => (await kubectlJson("pods", "-A", "--field-selector", "spec.nodeName=real-node")).items.filter((p: any) => p.status.phase !== "Succeeded");
        const before = (await running()).map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
        const t0 = Date.now();
        await restartNode(10_000);
        const down = Date.now();
        const answered = await labAnswers(240_000);
        const after = await eventually("every pod on the node Ready again", 240_000, async () => {
            const pods = await running();
            return pods.every((p: any) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")) ? pods : undefined;
        });
        console.log(
            `# fault: node restarted — lab answered ${secs(answered)} after the node was back (${secs(down - t0)} down), every pod Ready ${secs(Date.now() - down)} after; ${after.length} pods`,
        );
        assert.deepEqual(after.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`).sort(), before, "the same pods, none added or lost");
        assert.deepEqual(
            after.filter((p: any) => !p.status.containerStatuses.every((c: any) => c.restartCount >= 1)).map((p: any) => p.metadata.name),
            [],
            "every container was started again",
        );
        await converged();
    });

    it("MetalLB's speaker killed: back by itself, the ingress address answers ARP again and is the same", async () => {
        const speaker = (await kubectlJson("pods", "-n", "metallb-system", "-l", "app.kubernetes.io/component=speaker")).items[0];
        const restarts = speaker.status.containerStatuses.find((c: any) => c.name === "speaker").restartCount;
        const killed = killInPods("/speaker");
        assert.ok(killed.length >= 1, "the speaker's process was killed");
        const t0 = Date.now();
        await eventually("the speaker restarted and Ready", 120_000, async () => {
            const p = await kubectlJson("pod", speaker.metadata.name, "-n", "metallb-system");
            const c = p.status.containerStatuses.find((x: any) => x.name === "speaker");
            return c.restartCount > restarts && c.ready ? true : undefined;
        });
        // The client forgets the address's owner, so only an ARP answer from the speaker brings the requests through.
        await run("ip", ["netns", "exec", CLIENT_NETNS, "ip", "neigh", "flush", "all"]);
        const answered = await labAnswers(60_000);
        console.log(`# fault: speaker killed — Ready again ${secs(Date.now() - t0 - answered)} after the kill, the address answered by ARP ${secs(answered)} later`);
        assert.equal(await lbAddress("ingress-nginx", "ingress-nginx-controller"), INGRESS, "the same address");
        await converged();
    });

    it("the state in a MinIO bucket (the docs' move), MinIO lost during pulumi up: what the up says, the recovery, no checkpoint lost", async () => {
        const bucket = new StateBucket(fs.mkdtempSync(path.join(base, "state-bucket-")), await freePort());
        await bucket.start();
        const checkpoint = path.join(stack.dir, "faults.checkpoint.json");
        const history = async () => (JSON.parse((await stack.pulumiOk("stack", "history", "--json")).stdout) as any[]).map((u) => `${u.startTime} ${u.kind} ${u.result}`);
        try {
            // docs/stacks-and-state.md, "Moving the state off one machine", line by line.
            await stack.pulumiOk("stack", "export", "--file", checkpoint);
            stack.useBackend(bucket.backend.url, bucket.backend.env);
            await stack.pulumiOk("stack", "init");
            await stack.pulumiOk("stack", "import", "--file", checkpoint);
            fs.rmSync(checkpoint);
            assert.deepEqual(stepLines((await stack.preview()).steps), [], "the same resources, now in the bucket");
            editClock((c) => (c.stable.replicas = 3));
            await stack.up();
            const before = await history();

            editClock((c) => (c.stable.replicas = 2));
            const up = stack.start("up", "--yes", "--skip-preview");
            await up.until(/kubernetes:apps\/v1:Deployment clock-stable updating/);
            await bucket.kill();
            const t0 = Date.now();
            const r = await up.done;
            const said = r.stdout + r.stderr;
            console.log(`# fault: state bucket lost — pulumi up exited ${r.code} ${secs(Date.now() - t0)} after; ${errorLines(said) || "no error"}`);
            assert.notEqual(r.code, 0);
            assert.match(
                said,
                /error: pre-step event returned an error: failed to save snapshot: An IO error occurred while writing the new snapshot file: .*connect: connection refused/,
                tail(said, 20),
            );

            // Back, MinIO still holds the killed update's lock: the next up stops at it, and
            // `npm run unlock -- --force` (a bucket's lock cannot be checked from here) removes it.
            await bucket.start();
            const t1 = Date.now();
            const locked = await stack.pulumi("up", "--yes", "--skip-preview");
            assert.notEqual(locked.code, 0);
            assert.match(locked.stdout + locked.stderr, LOCKED_ANYWHERE, tail(locked.stdout + locked.stderr, 10));
            const backend = { ...bucket.backend.env, PULUMI_BACKEND_URL: bucket.backend.url };
            const refused = await unlock(backend);
            assert.equal(refused.code, 1);
            assert.match(
                refused.stderr,
                /unlock: the state is not in a folder \(s3:\/\/pulumi-state\?\S+\), so whether an update still runs cannot be checked here; run again with --force once none does/,
            );
            const unlocked = await unlock(backend, "--force");
            assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
            await stack.up("--refresh");
            await converged();
            console.log(`# fault: state bucket — converged ${secs(Date.now() - t1)} after MinIO was back (npm run unlock -- --force, pulumi up --refresh)`);
            const after = await history();
            console.log(`# fault: state bucket — history before: ${before.join(", ")}; after: ${after.join(", ")}`);
            for (const u of before) assert.ok(after.includes(u), `the update "${u}" is still in the bucket's history`);
            assert.ok(after.length > before.length, "the recovery's update recorded");
            assert.equal((await kubectlJson("deployment", "clock-deployment", "-n", "default")).spec.replicas, 2);
        } finally {
            // The move back, so that the suite's destroy finds the state where it started.
            await stack.pulumi("stack", "export", "--file", checkpoint);
            stack.useBackend(stack.folderBackend);
            await stack.pulumi("stack", "import", "--file", checkpoint);
            await bucket.kill();
        }
    });
});
