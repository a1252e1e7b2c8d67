// Faults on the real engine: a `pulumi up` killed mid-rollout (SIGKILL to the CLI and its plugins, as
// a closed laptop or a lost machine stops them), one Ctrl-C, two `pulumi up` at once and a wrong
// passphrase — each with what the user sees (asserted), the recovery docs/operations.md prescribes
// ("When an up is interrupted"), and convergence: a preview with no change and every object once.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { E2E_OVERRIDES, ensureInstalledNamespaces, kubectlJson, namespacesGone, run, shippedConfig, Stack, stepLines, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-faults-"));
let stack: Stack;

/** The CLI's words when a stack is locked (pulumi 3.259.0, a folder backend). */
const LOCKED =
    /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\.\n\s+file:\/\/\S+\.json\S*: created by \S+@\S+ \(pid \d+\) at \S+/;

function editClock(edit: (clock: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.clock);
    stack.setConfig({ releases });
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
    return fs
        .readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
            try {
                return fs.readlinkSync(`/proc/${p}/cwd`) === stack.dir;
            } catch {
                return false;
            }
        })
        .map(Number);
}

/** The clock release's objects in the cluster, by kind and name: each must be there exactly once. */
async function clockObjects(): Promise<string[]> {
    const items = (await kubectlJson("deployments,services,poddisruptionbudgets,configmaps", "-n", "default", "-l", "app=clock-nginx")).items;
    return items.map((o: any) => `${o.kind} ${o.metadata.name}`).sort();
}

async function converged(): Promise<void> {
    assert.deepEqual(stepLines((await stack.preview()).steps), [], "a preview proposes nothing");
    const { deployment } = JSON.parse((await stack.pulumiOk("stack", "export")).stdout);
    const urns = deployment.resources.map((r: any) => r.urn);
    assert.equal(new Set(urns).size, urns.length, "every resource once in the state");
    assert.deepEqual(deployment.pending_operations ?? [], [], "no pending operation left in the state");
}

before(async () => {
    await namespacesGone();
    await ensureInstalledNamespaces();
    stack = await Stack.create("faults", { from: "dev", base, overrides: { ...E2E_OVERRIDES(dev), coredns: { enabled: false } } });
    const r = await stack.up();
    timing("pulumi up from empty (faults)", r.ms);
});

after(async () => {
    try {
        if (stack) await stack.pulumi("destroy", "--yes", "--skip-preview");
    } finally {
        stack?.remove();
        await run("kubectl", ["delete", "pvc", "data-minio-0", "-n", "default", "--ignore-not-found"]);
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("faults: an interrupted pulumi up, two at once, a wrong passphrase", () => {
    it("killed (SIGKILL) during a Deployment's rollout: the next up stops at the lock, npm run unlock removes it, and pulumi up --refresh reads back what the killed run changed and converges", async () => {
        const objects = await clockObjects();
        // The broken release keeps the rollout going (its pods never become Ready) until it is killed.
        editClock((c) => (c.stable.broken = true));
        const killed = stack.start("up", "--yes", "--skip-preview");
        await killed.until(/kubernetes:apps\/v1:Deployment clock-stable updating/);
        await new Promise((r) => setTimeout(r, 2000));
        killed.kill("SIGKILL");
        await killed.done;
        // A lost machine stops the plugins too.
        for (const pid of leftovers()) process.kill(pid, "SIGKILL");
        assert.equal(locks().length, 1, "the killed run's lock is left");

        const stopped = await stack.pulumi("up", "--yes", "--skip-preview");
        const said = stopped.stdout + stopped.stderr;
        assert.notEqual(stopped.code, 0);
        assert.match(said, LOCKED, tail(said, 10));
        console.log(`# the next up: ${/error: the stack is currently locked[^\n]*/.exec(said)?.[0]}`);

        const unlocked = await run("bash", ["scripts/stack.sh", "unlock", "--stack", stack.name], {
            cwd: stack.dir,
            env: { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(stack.dir, ".state")}` },
        });
        assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
        assert.match(unlocked.stdout, /unlock: done; next: pulumi up --refresh --stack faults/);
        assert.deepEqual(locks(), []);

        // The user puts the release right. The killed run's update reached the API server but not the
        // state: a plain `pulumi up` would compare with the state, find nothing to do and leave the
        // broken Deployment in the cluster. `--refresh` reads the cluster back first (and clears the
        // pending operation), so the update puts the Deployment right.
        editClock((c) => delete c.stable.broken);
        const plain = await stack.preview();
        assert.deepEqual(stepLines(plain.steps), [], "without a refresh the state still holds the release as it was before the killed run");
        const again = await stack.up("--refresh");
        timing("pulumi up --refresh after npm run unlock", again.ms);
        const out = again.stdout + again.stderr;
        assert.match(out, /kubernetes:apps\/v1:Deployment clock-stable updated/, tail(out, 30));
        await converged();
        assert.deepEqual(await clockObjects(), objects, "the same objects, once each");
        const d = await kubectlJson("deployment", "clock-deployment", "-n", "default");
        assert.equal(d.spec.template.spec.containers[0].command, undefined, "the release as configured");
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

    it("a wrong passphrase: refused before any change, saying which passphrase is wrong", async () => {
        const before = (await kubectlJson("deployment", "clock-deployment", "-n", "default")).metadata.resourceVersion;
        editClock((c) => (c.stable.replicas = 6));
        const r = await stack.pulumiWith({ PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" }, "up", "--yes", "--skip-preview");
        const said = r.stdout + r.stderr;
        assert.notEqual(r.code, 0);
        assert.equal(said.trim(), "error: getting stack configuration: get stack secrets manager: incorrect passphrase");
        assert.equal((await kubectlJson("deployment", "clock-deployment", "-n", "default")).metadata.resourceVersion, before, "nothing changed");
        assert.deepEqual(locks(), []);
        editClock((c) => (c.stable.replicas = 5));
        await converged();
    });
});
