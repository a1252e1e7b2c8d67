// npm run test:hosts, part 2 — the program itself (hosts.enabled, the Kubernetes parts off) through
// the real Pulumi engine and @pulumi/command against the same sshd test hosts (lab.ts), in a scratch
// project with a local file backend (test/e2e/lib.ts). Runs whenever the Pulumi toolchain is
// installed (test/e2e/toolchain.sh check); without it, says so and runs nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { HostEntry } from "../../components/hosts";
import { DEV_PASSPHRASE, ROOT, run, Run, Stack, stepLines } from "../e2e/lib";
import { baseImage, create, destroy, downLink, ensureTools, Lab, LOCAL_IMAGE, leftovers, startSshd, stopSshd } from "./lab";
import { ssh, SshSettings } from "./runner";

const log = (s: string) => process.stderr.write(`# ${s}\n`);
const toolchain = spawnSync("bash", [path.join(ROOT, "test", "e2e", "toolchain.sh"), "check"], { encoding: "utf8" });
const missing = toolchain.status === 0 ? undefined : toolchain.stdout.trim() || toolchain.stderr.trim();

const ATTEMPTS = 2;
const PER_DIAL = 2;
const LIMIT = 60;
const LISTING = "supertux-build/\nsupertux-build/VERSION\n";
const STEPS = ["reach", "inventory", "packages", "docker", "service", "artifact-check", "artifact-run"];

let lab: Lab;
let stack: Stack;
let hostKeys: string[];
let tarball: string;
let sshSettings: SshSettings;

/** The hosts config a user would write for the test hosts (the local mirror stands in for Debian's). */
function hostsConfig(over: { converge?: boolean; image?: string; command?: string; limit?: number; keys?: string[] } = {}): Record<string, unknown> {
    const keys = over.keys ?? hostKeys;
    return {
        enabled: true,
        converge: over.converge ?? true,
        user: "ansible",
        groups: {
            Orchestrators: [{ name: "vm1", address: "10.231.1.2", hostKey: keys[0] }],
            Endpoints: [{ name: "vm2", address: "10.231.2.2", hostKey: keys[1] }],
        },
        groupOrder: ["Orchestrators", "Endpoints"],
        reach: { attempts: ATTEMPTS, perDialTimeoutSeconds: PER_DIAL, commandTimeoutSeconds: over.limit ?? LIMIT },
        packages: { install: ["hello"], mirror: { apt: "deb [trusted=yes] file:/srv/local-repo ./" } },
        docker: { enabled: true },
        service: { enabled: true, name: "nginx-container", image: over.image ?? "docker.io/library/nginx:1.26.3", ports: ["80:80"] },
        artifact: {
            source: tarball,
            remotePath: "/tmp/supertux-build.tar.gz",
            image: LOCAL_IMAGE,
            mountPath: "/supertux-build.tar.gz",
            command: over.command ?? "tar tzf /supertux-build.tar.gz",
            containerName: "supertux-container",
        },
    };
}

const HOSTS: HostEntry[] = [
    { name: "vm1", address: "10.231.1.2", port: 22, user: "ansible" },
    { name: "vm2", address: "10.231.2.2", port: 22, user: "ansible" },
];
/** Runs a command on vm1 or vm2 as its user, over the test's own ssh (pinned host keys). */
const onHost = (i: number, command: string) => ssh(HOSTS[i - 1], sshSettings, command);

/** `pulumi up --json`: the run, the engine's events, and the text of their diagnostics (what a person reads). */
async function up(...extra: string[]): Promise<{ run: Run; events: any[]; text: string }> {
    const run = await stack.pulumi("up", "--yes", "--skip-preview", "--json", ...extra);
    const events = run.stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
    const text = events.flatMap((e) => (e.diagnosticEvent && e.diagnosticEvent.severity !== "debug" ? [e.diagnosticEvent.message] : [])).join("") + run.stderr;
    return { run, events, text };
}

async function upOk(...extra: string[]): Promise<{ run: Run; events: any[]; text: string }> {
    const r = await up(...extra);
    assert.equal(r.run.code, 0, `pulumi up failed:\n${r.text}`);
    return r;
}

/** The URN's name of an event's resource, if it has one. */
const nameOf = (e: any): string | undefined => (e.resourcePreEvent?.metadata?.urn ?? e.diagnosticEvent?.urn ?? e.resOpFailedEvent?.metadata?.urn)?.split("::").pop();

/** Seconds between a resource's start and its error, from the engine's events (1 s resolution). */
function failedAfter(events: any[], name: string): number {
    const mine = events.filter((e) => nameOf(e) === name);
    const start = mine.find((e) => e.resourcePreEvent)?.timestamp;
    const failed = mine.find((e) => e.diagnosticEvent?.severity === "error" || e.resOpFailedEvent)?.timestamp;
    assert.ok(start !== undefined && failed !== undefined, `no start and failure of ${name} in the events`);
    return failed - start;
}

/** How many of the engine's diagnostics carry `message`: a person should read it once. */
const printed = (events: any[], message: string) => events.filter((e) => e.diagnosticEvent?.message.includes(message)).length;

/** The recap a converge run exported: host → step → ok/changed. */
async function recap(): Promise<Record<string, Record<string, string>>> {
    return (await stack.outputs()).hostsRecap;
}

const allOk = Object.fromEntries(STEPS.map((s) => [s, "ok"]));

before(async () => {
    if (missing) return;
    ensureTools();
    lab = await create(2, baseImage(log));
    hostKeys = lab.hosts.map((h) =>
        fs
            .readFileSync(path.join(h.rootfs, "etc", "ssh", "ssh_host_ed25519_key.pub"), "utf8")
            .split(" ")
            .slice(0, 2)
            .join(" "),
    );
    tarball = path.join(lab.dir, "supertux-build.tar.gz");
    fs.copyFileSync(path.join(ROOT, "test", "fixtures", "artifact.tar.gz"), tarball);
    sshSettings = { keyFile: lab.keyFile, knownHosts: lab.knownHosts, connectTimeoutSeconds: 5, commandTimeoutSeconds: 60 };
    const overrides = {
        // The Kubernetes parts off; the provider renders instead of reaching for a cluster.
        cluster: { renderYamlTo: path.join(lab.dir, "rendered") },
        metallb: { enabled: false },
        ingressNginx: { enabled: false },
        minio: { enabled: false },
        hosts: hostsConfig(),
    };
    stack = await Stack.create("hosts", { overrides, base: lab.dir });
    // The CLI takes a value starting with "-----" for a flag: the project's own helper encrypts it the same way.
    const set = await run("node", ["--import", "tsx", "scripts/set-secret.ts", "hosts", "hostsSshPrivateKey", fs.readFileSync(lab.keyFile, "utf8")], {
        cwd: stack.dir,
        env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE, BMP_DEV_PASSPHRASE_STACK: "hosts" },
    });
    assert.equal(set.code, 0, set.stderr);
});

after(() => {
    if (lab) destroy(lab);
});

describe("hosts through the real Pulumi engine", { skip: missing ? `the Pulumi toolchain is not installed: ${missing}` : false }, () => {
    it("every host with its own host key, pinned", () => {
        assert.equal(new Set(hostKeys).size, 2, `host keys: ${hostKeys.join(" | ")}`);
    });

    it("first up: every step changes both hosts; the inventory keeps the configured group order; the artifact's output is exact", async () => {
        const { run } = await upOk();
        log(`first up ${(run.ms / 1000).toFixed(1)} s`);
        assert.deepEqual(await recap(), {
            vm1: { ...allOk, inventory: "changed", packages: "changed", docker: "changed", service: "changed", "artifact-check": "changed" },
            vm2: { ...allOk, inventory: "changed", packages: "changed", docker: "changed", service: "changed", "artifact-check": "changed" },
        });
        const out = await stack.outputs();
        assert.deepEqual(out.artifactOutputs, { vm1: LISTING, vm2: LISTING });
        assert.match(out.hostsInventory, /^\[Orchestrators\]\nvm1 .*\n\n\[Endpoints\]\nvm2 /);
        for (const i of [1, 2]) {
            assert.equal(onHost(i, "cat inventory.ini").stdout, out.hostsInventory);
            assert.equal(onHost(i, "hello").stdout, "Hello, world!\n");
            assert.match(onHost(i, "cat /etc/systemd/system/nginx-container.service").stdout, /nginx:1\.26\.3$/m);
            assert.equal(onHost(i, "sudo docker ps -a --format '{{.Names}}'").stdout, "", "the artifact's container is removed");
        }
    });

    it("second up in converge mode: every step runs again and reports ok", async () => {
        const { run } = await upOk();
        log(`converge up, nothing to do ${(run.ms / 1000).toFixed(1)} s`);
        assert.deepEqual(await recap(), { vm1: allOk, vm2: allOk });
    });

    it("converge mode puts back a hand-made drift and says where", async () => {
        assert.equal(onHost(1, "rm inventory.ini").status, 0);
        assert.equal(onHost(2, "sudo dpkg -r hello >/dev/null").status, 0);
        await upOk();
        assert.deepEqual(await recap(), { vm1: { ...allOk, inventory: "changed" }, vm2: { ...allOk, packages: "changed" } });
        assert.equal(onHost(1, "test -f inventory.ini && echo back").stdout, "back\n");
        assert.equal(onHost(2, "hello").stdout, "Hello, world!\n");
    });

    it("converge off: the next up changes nothing, and the recap is gone", async () => {
        stack.setConfig({ hosts: hostsConfig({ converge: false }) });
        await upOk(); // the run id leaves the triggers: each step runs once more
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), []);
        assert.equal((await stack.outputs()).hostsRecap, undefined);
    });

    it("a changed image changes only the unit (and reachability, which runs before any step)", async () => {
        stack.setConfig({ hosts: hostsConfig({ converge: false, image: "docker.io/library/nginx:1.26.4" }) });
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), [
            "replace command:local:Command hosts-vm1-reach",
            "replace command:local:Command hosts-vm2-reach",
            "replace command:remote:Command hosts-vm1-service",
            "replace command:remote:Command hosts-vm2-service",
        ]);
        await upOk();
        for (const i of [1, 2]) assert.match(onHost(i, "cat /etc/systemd/system/nginx-container.service").stdout, /nginx:1\.26\.4$/m);
    });

    it("a new tarball is copied and the command that reads it runs again", async () => {
        const work = path.join(lab.dir, "tarball");
        fs.mkdirSync(path.join(work, "supertux-build"), { recursive: true });
        fs.writeFileSync(path.join(work, "supertux-build", "VERSION"), "2\n");
        fs.writeFileSync(path.join(work, "supertux-build", "NEWS"), "new\n");
        assert.equal(spawnSync("tar", ["-C", work, "--no-recursion", "-czf", tarball, "supertux-build/", "supertux-build/VERSION", "supertux-build/NEWS"]).status, 0);
        const { steps } = await stack.preview();
        assert.deepEqual(
            stepLines(steps).filter((l) => l.includes("vm1")),
            [
                "replace command:local:Command hosts-vm1-reach",
                "replace command:remote:Command hosts-vm1-artifact-check",
                "replace command:remote:Command hosts-vm1-artifact-run",
                "replace command:remote:CopyToRemote hosts-vm1-artifact-copy",
            ],
        );
        await upOk();
        const listing = "supertux-build/\nsupertux-build/VERSION\nsupertux-build/NEWS\n";
        assert.deepEqual((await stack.outputs()).artifactOutputs, { vm1: listing, vm2: listing });
    });

    it("a new host key only changes how the host is reached: reachability runs again, the scripts only connect", async () => {
        // vm1 gets a new host key (as after a reinstall of sshd's keys); the stack pins the new one.
        const keyFile = path.join(lab.hosts[0].rootfs, "etc", "ssh", "ssh_host_ed25519_key");
        fs.rmSync(keyFile);
        fs.rmSync(`${keyFile}.pub`);
        assert.equal(spawnSync("chroot", [lab.hosts[0].rootfs, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "/etc/ssh/ssh_host_ed25519_key"]).status, 0);
        await stopSshd(lab.hosts[0]);
        startSshd(lab.hosts[0]);
        await new Promise((r) => setTimeout(r, 500));
        const fresh = fs.readFileSync(`${keyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        fs.writeFileSync(lab.knownHosts, `10.231.1.2 ${fresh}\n10.231.2.2 ${hostKeys[1]}\n`);
        hostKeys = [fresh, hostKeys[1]];
        stack.setConfig({ hosts: hostsConfig({ converge: false, image: "docker.io/library/nginx:1.26.4" }) });
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), [
            "replace command:local:Command hosts-vm1-reach",
            "update command:remote:Command hosts-vm1-artifact-check",
            "update command:remote:Command hosts-vm1-artifact-run",
            "update command:remote:Command hosts-vm1-docker",
            "update command:remote:Command hosts-vm1-inventory",
            "update command:remote:Command hosts-vm1-packages",
            "update command:remote:Command hosts-vm1-service",
            "update command:remote:CopyToRemote hosts-vm1-artifact-copy",
        ]);
        const { events } = await upOk();
        // Reachability first, then the steps in order.
        const order = events.flatMap((e) => {
            const urn: string | undefined = e.resourcePreEvent?.metadata?.urn;
            return urn && urn.includes("hosts-vm1-") && e.resourcePreEvent.metadata.op !== "same" ? [urn.split("::").pop()] : [];
        });
        assert.deepEqual(
            order.filter((n, i) => order.indexOf(n) === i),
            ["hosts-vm1-reach", "hosts-vm1-inventory", "hosts-vm1-packages", "hosts-vm1-docker", "hosts-vm1-service", "hosts-vm1-artifact-check", "hosts-vm1-artifact-copy", "hosts-vm1-artifact-run"],
        );
        assert.equal((await stack.outputs()).artifactOutputs.vm1, "supertux-build/\nsupertux-build/VERSION\nsupertux-build/NEWS\n", "the artifact's output is read again, not lost");
    });

    it("a rotated private key: reachability runs again on both hosts, the scripts only connect, with the new key alone", async () => {
        const fresh = path.join(lab.dir, "id_rotated");
        assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rotated", "-f", fresh]).status, 0);
        // The hosts accept only the new key from now on (the test's own ssh uses it too).
        for (const h of lab.hosts) fs.copyFileSync(`${fresh}.pub`, path.join(h.rootfs, "home", "ansible", ".ssh", "authorized_keys"));
        fs.copyFileSync(fresh, lab.keyFile);
        fs.copyFileSync(`${fresh}.pub`, `${lab.keyFile}.pub`);
        const set = await run("node", ["--import", "tsx", "scripts/set-secret.ts", "hosts", "hostsSshPrivateKey", fs.readFileSync(fresh, "utf8")], {
            cwd: stack.dir,
            env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE, BMP_DEV_PASSPHRASE_STACK: "hosts" },
        });
        assert.equal(set.code, 0, set.stderr);
        const { steps } = await stack.preview();
        const per = (h: string) => [
            `replace command:local:Command hosts-${h}-reach`,
            `update command:remote:Command hosts-${h}-artifact-check`,
            `update command:remote:Command hosts-${h}-artifact-run`,
            `update command:remote:Command hosts-${h}-docker`,
            `update command:remote:Command hosts-${h}-inventory`,
            `update command:remote:Command hosts-${h}-packages`,
            `update command:remote:Command hosts-${h}-service`,
            `update command:remote:CopyToRemote hosts-${h}-artifact-copy`,
        ];
        assert.deepEqual(stepLines(steps).sort(), [...per("vm1"), ...per("vm2")].sort());
        await upOk();
        assert.deepEqual((await stack.outputs()).artifactOutputs, {
            vm1: "supertux-build/\nsupertux-build/VERSION\nsupertux-build/NEWS\n",
            vm2: "supertux-build/\nsupertux-build/VERSION\nsupertux-build/NEWS\n",
        });
    });

    it("a hung step fails at its limit, naming the host, the step and the limit", async () => {
        stack.setConfig({ hosts: hostsConfig({ converge: false, image: "docker.io/library/nginx:1.26.4", command: "sleep 600", limit: 10 }) });
        // Diff-only: only the changed step (and reach) runs under the 10 s limit, however loaded the machine.
        const { run, text } = await up();
        log(`hung step: up failed after ${(run.ms / 1000).toFixed(1)} s`);
        assert.notEqual(run.code, 0);
        for (const h of ["vm1 (10.231.1.2:22)", "vm2 (10.231.2.2:22)"]) {
            assert.ok(text.includes(`host "${h.split(" ")[0]}" ${h.split(" ")[1]} step artifact-run: stopped after the limit of 10s (hosts.reach.commandTimeoutSeconds)`), text);
        }
        // Stopped at its 10 s limit, not left to sleep its 600 s: the bound is half the hang, wide for a loaded machine.
        assert.ok(run.ms < 300_000, `took ${run.ms} ms`);
        assert.equal(onHost(1, "sudo docker ps -q | wc -l").stdout.trim(), "0", "the hung container is gone");
        stack.setConfig({ hosts: hostsConfig({ converge: false, image: "docker.io/library/nginx:1.26.4" }) });
    });

    it("a wrong pinned host key fails that host's step, naming the key mismatch", async () => {
        stack.setConfig({ hosts: hostsConfig({ converge: true, image: "docker.io/library/nginx:1.26.4", keys: [hostKeys[1], hostKeys[1]] }) });
        const { run, events } = await up();
        assert.notEqual(run.code, 0);
        const errors = events.filter((e) => e.diagnosticEvent?.severity === "error" && nameOf(e) === "hosts-vm1-inventory");
        assert.match(errors.map((e) => e.diagnosticEvent.message).join(""), /host key mismatch/);
        stack.setConfig({ hosts: hostsConfig({ converge: true, image: "docker.io/library/nginx:1.26.4" }) });
    });

    it("the SSH connection makes exactly hosts.reach.attempts dials, and its failure is that host's own", async () => {
        // A "host" whose port accepts and closes at once: reachability passes, every SSH handshake fails.
        let connections = 0;
        const tarpit = net.createServer((socket) => {
            connections++;
            socket.destroy();
        });
        await new Promise<void>((r) => tarpit.listen(0, "10.231.1.1", r));
        const port = (tarpit.address() as net.AddressInfo).port;
        const hosts = hostsConfig({ converge: true, image: "docker.io/library/nginx:1.26.4" }) as any;
        hosts.groups.Endpoints.push({ name: "vm3", address: "10.231.1.1", port });
        stack.setConfig({ hosts });
        try {
            const { run, events } = await up("--continue-on-error");
            assert.notEqual(run.code, 0);
            assert.equal(connections, 1 + ATTEMPTS, "one for reachability, then hosts.reach.attempts SSH dials");
            const errors = events.filter((e) => e.diagnosticEvent?.severity === "error").map((e) => `${nameOf(e)}: ${e.diagnosticEvent.message}`);
            assert.ok(
                errors.some((m) => m.startsWith("hosts-vm3-inventory: ") && m.includes("handshake failed")),
                errors.join("\n"),
            );
            assert.deepEqual(
                errors.filter((m) => /^hosts-vm[12]-/.test(m)),
                [],
                "vm1 and vm2 went on",
            );
        } finally {
            tarpit.close();
            stack.setConfig({ hosts: hostsConfig({ converge: true, image: "docker.io/library/nginx:1.26.4" }) });
        }
    });

    it("sshd stopped on vm1: its error names it and 'refused' within 2 s, while vm2 completes (--continue-on-error)", async () => {
        await stopSshd(lab.hosts[0]);
        assert.equal(onHost(2, "rm inventory.ini").status, 0);
        const { run, events, text } = await up("--continue-on-error");
        assert.notEqual(run.code, 0);
        assert.ok(text.includes('host "vm1" (10.231.1.2:22) is not reachable after 2 attempts: connection refused: the host answers but nothing listens on port 22 (is sshd running?)'), text);
        const took = failedAfter(events, "hosts-vm1-reach");
        log(`refused after ${took} s (event log)`);
        // Waiting for the dials instead would take at least 5 s (2 dials of 2 s, 1 s between): the widest bound that still tells.
        assert.ok(took < 5, `took ${took} s`);
        assert.equal(onHost(2, "test -f inventory.ini && echo back").stdout, "back\n", "vm2's steps ran");
        assert.doesNotMatch(text, /running "[^"]{200,}"/, "no whole script in the error");
        const refused = 'host "vm1" (10.231.1.2:22) is not reachable';
        log(`the refused message is in ${printed(events, refused)} of the engine's diagnostics`);
    });

    it("link down on vm2: 'timed out' within the configured dials, while vm1 completes", async () => {
        startSshd(lab.hosts[0]);
        await new Promise((r) => setTimeout(r, 500));
        downLink(lab.hosts[1]);
        assert.equal(onHost(1, "rm inventory.ini").status, 0);
        const { run, events, text } = await up("--continue-on-error");
        assert.notEqual(run.code, 0);
        assert.ok(text.includes('host "vm2" (10.231.2.2:22) is not reachable after 2 attempts: timed out: no answer within 2s per attempt (is the host up, and the network to it?)'), text);
        const took = failedAfter(events, "hosts-vm2-reach");
        log(`timed out after ${took} s (event log)`);
        // 2 dials of 2 s and 1 s between them; the upper bound only proves it is not TCP's default of minutes.
        assert.ok(took >= 4 && took <= 60, `took ${took} s`);
        assert.equal(onHost(1, "test -f inventory.ini && echo back").stdout, "back\n", "vm1's steps ran");
    });

    it("leaves nothing behind: the stack destroyed, no namespace, link, process or file", async () => {
        await stack.destroy();
        stack.remove();
        destroy(lab);
        assert.deepEqual(leftovers(lab), { netns: [], links: [], processes: [], files: false });
    });
});
