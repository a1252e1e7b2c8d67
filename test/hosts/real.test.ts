// npm run test:hosts — the provisioning steps against real sshd hosts on this machine (Debian root
// filesystems in network namespaces, see lab.ts), through the same config, step list and scripts as
// the HostProvisioner component, run over ssh (the real Pulumi engine's command plugin cannot be
// built here). Shows: the first run changes the hosts, the second changes nothing, a changed input
// re-runs only its step, sshd down says "connection refused", a downed link says "timed out" within
// a bounded time, the artifact flow runs in a real container, and nothing the test made is left behind.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { containerUnit, hostSteps, HostSteps, Inventory, renderInventory, Step } from "../../components/hosts";
import { hostStepsOf, inventoryOf, parseConfig, PlatformConfig } from "../../config";
import { baseImage, create, destroy, downLink, ensureTools, Lab, LOCAL_IMAGE, leftovers, stopSshd } from "./lab";
import { runStep, runSteps, ssh, SshSettings } from "./runner";

const log = (s: string) => process.stderr.write(`# ${s}\n`);
let lab: Lab;
let cfg: PlatformConfig;
let inventory: Inventory;
let steps: HostSteps;
let sshSettings: SshSettings;

/** The stack config a user would write for these hosts (the local mirror stands in for Debian's). */
function hostsConfig(hostKeys: string[]): Record<string, unknown> {
    return {
        minio: { enabled: false },
        hosts: {
            enabled: true,
            user: "ansible",
            groups: {
                Orchestrators: [{ name: "vm1", address: "10.231.1.2", hostKey: hostKeys[0] }],
                Endpoints: [{ name: "vm2", address: "10.231.2.2", hostKey: hostKeys[1] }],
            },
            groupOrder: ["Orchestrators", "Endpoints"],
            reach: { attempts: 2, perDialTimeoutSeconds: 2 },
            packages: { install: ["hello"], mirror: { apt: "deb [trusted=yes] file:/srv/local-repo ./" } },
            docker: { enabled: true },
            service: { enabled: true, name: "nginx-container", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] },
            artifact: {
                source: "test/fixtures/artifact.tar.gz",
                remotePath: "/tmp/supertux-build.tar.gz",
                image: LOCAL_IMAGE,
                mountPath: "/supertux-build.tar.gz",
                command: "tar tzf /supertux-build.tar.gz",
                containerName: "supertux-container",
            },
        },
        hostsSshPrivateKey: fs.readFileSync(lab.keyFile, "utf8"),
    };
}

const hostsOf = () => Object.values(inventory).flat();
const plan = (host: (typeof inventory)[string][number], s: HostSteps = steps): Step[] =>
    hostSteps(host, s, renderInventory(inventory), { attempts: cfg.hosts.reach.attempts, perDialTimeoutSeconds: cfg.hosts.reach.perDialTimeoutSeconds });
/** Runs a command on vm1 or vm2 as its user. */
const onHost = (i: number, command: string) => ssh(hostsOf()[i - 1], sshSettings, command);

/** Runs the host's reachability step, expecting it to fail with exactly `message`; returns the time it took. */
async function reachFails(host: (typeof inventory)[string][number], message: string): Promise<number> {
    const started = Date.now();
    await assert.rejects(
        () => runStep(host, plan(host)[0], sshSettings),
        (e: Error) => {
            assert.equal(e.message, message);
            return true;
        },
    );
    return Date.now() - started;
}

before(async () => {
    ensureTools();
    const image = baseImage(log);
    const started = Date.now();
    lab = await create(2, image);
    log(`2 hosts up in ${Date.now() - started} ms`);
    const keys = lab.hosts.map((h) =>
        fs
            .readFileSync(path.join(h.rootfs, "etc", "ssh", "ssh_host_ed25519_key.pub"), "utf8")
            .split(" ")
            .slice(0, 2)
            .join(" "),
    );
    cfg = parseConfig(hostsConfig(keys));
    inventory = inventoryOf(cfg);
    steps = hostStepsOf(cfg);
    sshSettings = { keyFile: lab.keyFile, knownHosts: lab.knownHosts, connectTimeoutSeconds: 5, commandTimeoutSeconds: cfg.hosts.reach.commandTimeoutSeconds };
});

after(() => {
    if (lab) destroy(lab);
});

describe("hosts over ssh, for real", () => {
    it("first run: reaches each host, copies the inventory, installs packages and Docker, writes the unit, runs the artifact", async () => {
        for (const host of hostsOf()) {
            const started = Date.now();
            // The test hosts' init starts dockerd when docker.io's install asks for it, and loads the image a
            // registry would have served (lab.ts).
            const results = await runSteps(host, plan(host), sshSettings);
            log(`${host.name}: first run ${Date.now() - started} ms`);
            const changes = Object.fromEntries(results.map((r) => [r.id, r.changes]));
            assert.deepEqual(changes, {
                reach: [],
                inventory: ["changed: wrote inventory.ini"],
                packages: ["changed: apt source", "changed: installed hello"],
                docker: ["changed: installed docker"],
                service: ["changed: wrote /etc/systemd/system/nginx-container.service"],
                "artifact-check": ["changed: copied /tmp/supertux-build.tar.gz"],
                "artifact-copy": ["changed: copied /tmp/supertux-build.tar.gz"],
                "artifact-run": [],
            });
            assert.equal(results[0].output, `reachable: host "${host.name}" (${host.address}:22)\n`);
            // What the stack output artifactOutputs.<host> holds: the command's output in the container.
            assert.equal(results.find((r) => r.id === "artifact-run")?.output, "supertux-build/\nsupertux-build/VERSION\n");
        }
        const vm2 = (command: string) => onHost(2, command).stdout;
        assert.equal(vm2("hostname"), "vm2\n");
        assert.equal(vm2("cat inventory.ini"), renderInventory(inventory));
        assert.equal(vm2("hello"), "Hello, world!\n");
        assert.match(vm2("docker --version"), /^Docker version \d+\.\d+/);
        assert.equal(vm2("cat /etc/systemd/system/nginx-container.service"), containerUnit(steps.service!));
        assert.equal(vm2("sudo docker ps -a --format '{{.Names}}'"), "", "the artifact's container is removed");
    });

    it("second run: changes nothing", async () => {
        for (const host of hostsOf()) {
            const started = Date.now();
            const changes = (await runSteps(host, plan(host), sshSettings)).flatMap((r) => r.changes);
            log(`${host.name}: second run ${Date.now() - started} ms`);
            assert.deepEqual(changes, []);
        }
    });

    it("a changed input changes only its own step", async () => {
        const host = inventory.Endpoints[0];
        const changed: HostSteps = { ...steps, service: { ...steps.service!, image: "docker.io/library/nginx:1.26.4" } };
        const results = await runSteps(host, plan(host, changed), sshSettings);
        assert.deepEqual(
            results.filter((r) => r.changes.length > 0).map((r) => [r.id, r.changes]),
            [["service", ["changed: wrote /etc/systemd/system/nginx-container.service"]]],
        );
        assert.match(onHost(2, "cat /etc/systemd/system/nginx-container.service").stdout, /nginx:1\.26\.4$/m);
    });

    it("sshd down: one message naming the host, connection refused", async () => {
        await stopSshd(lab.hosts[0]);
        const elapsed = await reachFails(
            inventory.Orchestrators[0],
            'step reach on vm1 failed (1): host "vm1" (10.231.1.2:22) is not reachable after 2 attempts: connection refused: the host answers but nothing listens on port 22 (is sshd running?)',
        );
        log(`refused after ${elapsed} ms`);
    });

    it("network down: one message naming the host, timed out, within the bound", async () => {
        downLink(lab.hosts[1]);
        const elapsed = await reachFails(
            inventory.Endpoints[0],
            'step reach on vm2 failed (1): host "vm2" (10.231.2.2:22) is not reachable after 2 attempts: timed out: no answer within 2s per attempt (is the host up, and the network to it?)',
        );
        log(`timed out after ${elapsed} ms`);
        // 2 attempts of 2 s and 1 s between them: bounded, not the TCP default of minutes.
        assert.ok(elapsed >= 4000 && elapsed < 60_000, `took ${elapsed} ms`);
    });

    it("removes every namespace, link, process and file it made", () => {
        destroy(lab);
        assert.deepEqual(leftovers(lab), { netns: [], links: [], processes: [], files: false });
    });
});
