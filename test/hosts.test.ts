// The hosts over SSH, on mocks: the command graph (order, triggers, bounded connections, secrets),
// the rendered inventory, the Kickstart against the lab's own, and the reachability script for real.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
    artifactCheckScript,
    artifactScript,
    fileScript,
    hashOf,
    Hosts,
    HostSteps,
    Inventory,
    k3sAgentScript,
    k3sDrainScript,
    k3sKubeconfigScript,
    k3sProbeScript,
    k3sServerScript,
    k3sUncordonScript,
    kickstartSalt,
    packagesScript,
    reachScript,
    renderInventory,
    renderKickstart,
    sha512Crypt,
    stepProgram,
    stepResult,
} from "../components/hosts";
import { hostsPlan, hostStepsOf, inventoryOf, parseConfig } from "../config";
import { isSecretValue, one, plainStrings, recorded, reset, settle } from "./harness";

beforeEach(reset);

const LAB: Inventory = {
    Orchestrators: [{ name: "fedora", address: "192.168.56.10", port: 22, user: "ansible" }],
    Endpoints: [
        { name: "ansible-target-1", address: "192.168.56.11", port: 22, user: "ansible", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample" },
        { name: "ansible-target-2", address: "192.168.56.12", port: 2222, user: "ansible" },
    ],
};
const STEPS: HostSteps = {
    inventoryPath: "inventory.ini",
    packages: { update: true, install: ["rng-tools"], restart: ["sshd", "rngd"] },
    docker: true,
    service: { name: "nginx-container", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] },
    artifact: {
        source: "test/fixtures/artifact.tar.gz",
        remotePath: "/tmp/supertux-build.tar.gz",
        image: "docker.io/library/busybox:1.37.0",
        mountPath: "/supertux-build.tar.gz",
        command: "tar tzf /supertux-build.tar.gz",
        containerName: "supertux-container",
    },
};
const REACH = { attempts: 3, perDialTimeoutSeconds: 5, commandTimeoutSeconds: 600 };
const K3S = { version: "v1.34.1+k3s1", installScriptUrl: "https://get.k3s.io", serverGroup: "Orchestrators", agentGroup: "Endpoints" };
const KICKSTART = {
    hostname: "pieczons-server",
    timezone: "Europe/Warsaw",
    lang: "pl_PL.UTF-8",
    keyboard: "us",
    mirrorlist: "http://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64",
    repos: [{ name: "update", mirrorlist: "http://mirrors.fedoraproject.org/mirrorlist?repo=updates-released-f41&arch=x86_64" }],
    user: "pieczon",
    disk: "sda",
    packages: ["@^custom-environment", "docker", "git", "tar", "wget"],
    service: { name: "nginx-container", image: "docker.io/peczyn/nginx-custom:1.1", ports: ["80:80"] },
};

/** Resource options seen by a transformation: dependsOn names, customTimeouts, secret outputs. */
const seenOpts: Record<string, { dependsOn: string[]; customTimeouts?: pulumi.CustomTimeouts; additionalSecretOutputs?: string[] }> = {};
function recordOpts(args: pulumi.ResourceTransformationArgs): undefined {
    const opts = args.opts as pulumi.CustomResourceOptions;
    const deps = ([] as pulumi.Input<pulumi.Resource>[]).concat((opts.dependsOn as any) ?? []);
    seenOpts[args.name] = {
        // __name is the resource's logical name, kept by the SDK on every resource object.
        dependsOn: deps.map((d: any) => d.__name ?? "?"),
        customTimeouts: opts.customTimeouts,
        additionalSecretOutputs: opts.additionalSecretOutputs,
    };
    return undefined;
}

async function labHosts(): Promise<Hosts> {
    const hosts = new Hosts(
        "hosts",
        {
            inventory: LAB,
            sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n"),
            steps: STEPS,
            reach: REACH,
            k3s: K3S,
            kickstart: { settings: KICKSTART, password: pulumi.secret("pieczon-pw"), path: "rendered/ks.cfg" },
        },
        { transformations: [recordOpts] },
    );
    await settle();
    return hosts;
}

const inputsOf = (name: string) => recorded.find((r) => r.name === name)!.inputs;

describe("Hosts: the command graph", () => {
    const ORDER = ["reach", "inventory", "packages", "docker", "service", "artifact-check", "artifact-copy", "artifact-run"];

    it("runs each host's steps in order, reachability first, each after the one before", async () => {
        await labHosts();
        for (const host of ["fedora", "ansible-target-1", "ansible-target-2"]) {
            const names = ORDER.map((s) => `hosts-${host}-${s}`);
            assert.deepEqual(
                names.map((n) => recorded.find((r) => r.name === n)?.type),
                [
                    "command:local:Command",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:CopyToRemote",
                    "command:remote:Command",
                ],
                host,
            );
            names.forEach((n, i) => assert.deepEqual(seenOpts[n].dependsOn, i === 0 ? [] : [names[i - 1]], n));
            // The provider enforces no customTimeouts: none is set, the host's `timeout` bounds each script.
            for (const n of names) assert.equal(seenOpts[n].customTimeouts, undefined, n);
        }
    });

    it("runs every remote script as `bash -s` reading it bounded by `timeout` on the host", async () => {
        await labHosts();
        const packages = inputsOf("hosts-fedora-packages");
        assert.equal(packages.create, "bash -s");
        assert.equal(packages.stdin, stepProgram(LAB.Orchestrators[0], "packages", packagesScript(STEPS.packages!), 600));
        assert.match(
            packages.stdin,
            /^STEP_NAME='host "fedora" \(192\.168\.56\.10:22\) step packages'\nSTEP_LIMIT='600'\nSTEP_CONTAINER=''\nSUDO=""; .*\ntimeout -k 5 "\$STEP_LIMIT" bash -s <<'BMP_STEP_END'\nPKG_UPDATE='1'\nPKG_INSTALL='rng-tools'\nPKG_RESTART='sshd rngd'\nPKG_APT_MIRROR=''\nPKG_DNF_MIRROR=''\nset -eu\n/,
        );
        assert.equal(packages.logging, "stdout", "error output only in the error: the human message printed once");
        const reach = inputsOf("hosts-fedora-reach");
        assert.equal(reach.create, "bash -s");
        assert.equal(reach.stdin, reachScript(LAB.Orchestrators[0], 3, 5));
    });

    it("triggers each step on the host's address and its own input only; reachability also on the way in", async () => {
        await labHosts();
        const packages = inputsOf("hosts-fedora-packages");
        assert.deepEqual(packages.triggers, ["192.168.56.10:22", hashOf(packagesScript(STEPS.packages!))]);
        const inventory = inputsOf("hosts-fedora-inventory");
        assert.deepEqual(inventory.triggers, ["192.168.56.10:22", hashOf(fileScript("inventory.ini", renderInventory(LAB)))]);
        // Reachability's triggers hold the hash of the way in (user, host key, private key): a secret.
        const reach = inputsOf("hosts-fedora-reach").triggers;
        assert.ok(isSecretValue(reach), "the key's hash is a secret");
        assert.equal(reach.value.length, 2);
        assert.notEqual(reach.value[0], inputsOf("hosts-ansible-target-2-reach").triggers.value[0], "the hosts differ (port 2222)");
        assert.notEqual(reach.value[1], inputsOf("hosts-ansible-target-1-reach").triggers.value[1], "the host keys differ");
        // A change of the connection alone (host key, private key) updates: the script only connects.
        assert.equal(packages.update, 'cat >/dev/null; echo "connected with the new settings"');
        assert.equal(inputsOf("hosts-fedora-artifact-run").update, undefined, "the artifact's output is read again");
    });

    it("keys the artifact's command on the tarball's content, and tells a changed tarball before copying it", async () => {
        await labHosts();
        const tarball = fs.readFileSync(path.join(__dirname, "fixtures", "artifact.tar.gz"));
        const sha = crypto.createHash("sha256").update(tarball).digest("hex");
        const run = inputsOf("hosts-fedora-artifact-run");
        assert.deepEqual(run.triggers, ["192.168.56.10:22", hashOf(artifactScript(STEPS.artifact!), sha)]);
        assert.deepEqual(inputsOf("hosts-fedora-artifact-copy").triggers, ["192.168.56.10:22", sha]);
        assert.equal(inputsOf("hosts-fedora-artifact-check").stdin, stepProgram(LAB.Orchestrators[0], "artifact-check", artifactCheckScript("/tmp/supertux-build.tar.gz", sha), 600));
    });

    it("connects with a secret key, the configured number of dials and the pinned host key", async () => {
        await labHosts();
        // The command provider marks the whole connection secret (it holds the key).
        const wrapped = inputsOf("hosts-ansible-target-1-docker").connection;
        assert.ok(isSecretValue(wrapped), "the connection, key included, is a secret");
        const c = wrapped.value;
        assert.deepEqual(
            { host: c.host, port: c.port, user: c.user, hostKey: c.hostKey, dialErrorLimit: c.dialErrorLimit, perDialTimeout: c.perDialTimeout },
            // The provider dials dialErrorLimit + 1 times: 3 attempts are a limit of 2.
            { host: "192.168.56.11", port: 22, user: "ansible", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample", dialErrorLimit: 2, perDialTimeout: 5 },
        );
        assert.equal(inputsOf("hosts-ansible-target-2-docker").connection.value.port, 2222);
        // No plaintext key anywhere outside a secret.
        assert.deepEqual(
            recorded.filter((r) => plainStrings(r.inputs).some((x) => x.includes("BEGIN OPENSSH"))).map((r) => r.name),
            [],
        );
    });

    it("converge mode: every step's triggers carry the run id, and the recap reads ok/changed per host and step", async () => {
        const hosts = new Hosts("c", { inventory: { Endpoints: [LAB.Endpoints[0]] }, sshPrivateKey: "k", steps: STEPS, reach: REACH, runId: "run-1" });
        await settle();
        for (const step of ORDER) {
            const triggers = inputsOf(`c-ansible-target-1-${step}`).triggers;
            assert.equal((isSecretValue(triggers) ? triggers.value : triggers).at(-1), "run-1", step);
        }
        // The mocks echo "<stdout of NAME>": no `changed:` line, so every step reads ok.
        assert.deepEqual(await new Promise((r) => hosts.recap!.apply(r)), {
            "ansible-target-1": { reach: "ok", inventory: "ok", packages: "ok", docker: "ok", service: "ok", "artifact-check": "ok", "artifact-run": "ok" },
        });
        assert.equal(stepResult("note: x\nchanged: wrote /etc/x\n"), "changed");
        assert.equal(stepResult("note: nothing changed: really\n"), "ok");
    });

    it("diff-only mode (no run id): no run id in the triggers, no recap", async () => {
        const hosts = await labHosts();
        assert.equal(hosts.recap, undefined);
        assert.equal(inputsOf("hosts-fedora-packages").triggers.length, 2);
    });

    it("bootstraps k3s without servicelb and traefik, reads the kubeconfig as a secret and joins the agents with a secret token", async () => {
        const hosts = await labHosts();
        const server = inputsOf("hosts-k3s-server");
        assert.equal(server.stdin, stepProgram(LAB.Orchestrators[0], "k3s-server", k3sServerScript("v1.34.1+k3s1", "https://get.k3s.io", "192.168.56.10"), 600));
        assert.match(server.stdin, /<<'BMP_STEP_END'\nK3S_VERSION='v1\.34\.1\+k3s1'\nK3S_INSTALL_URL='https:\/\/get\.k3s\.io'\nK3S_SERVER_ADDRESS='192\.168\.56\.10'\nset -eu\n/);
        assert.match(server.stdin, /sh -s - server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san "\$K3S_SERVER_ADDRESS"/);
        assert.deepEqual(seenOpts["hosts-k3s-server"].dependsOn, ["hosts-fedora-artifact-run"]);
        for (const id of ["hosts-k3s-kubeconfig", "hosts-k3s-token"]) {
            assert.ok(seenOpts[id].additionalSecretOutputs?.includes("stdout"), id);
            assert.equal(inputsOf(id).logging, "none", id);
        }
        assert.equal(inputsOf("hosts-k3s-kubeconfig").stdin, stepProgram(LAB.Orchestrators[0], "k3s-kubeconfig", k3sKubeconfigScript("192.168.56.10"), 600));
        assert.match(inputsOf("hosts-k3s-kubeconfig").stdin, /<<'BMP_STEP_END'\nK3S_SERVER_ADDRESS='192\.168\.56\.10'\n/);
        for (const agent of ["ansible-target-1", "ansible-target-2"]) {
            const a = inputsOf(`hosts-k3s-agent-${agent}`);
            assert.ok(isSecretValue(a.stdin), "the token goes on stdin, as a secret");
            const agentHost = LAB.Endpoints.find((h) => h.name === agent)!;
            const join = k3sAgentScript("v1.34.1+k3s1", "https://get.k3s.io", "192.168.56.10");
            assert.equal(a.stdin.value, stepProgram(agentHost, `k3s-agent-${agent}`, join, 600, "K3S_TOKEN='<stdout of hosts-k3s-token>'\n"));
            assert.match(
                a.stdin.value,
                /<<'BMP_STEP_END'\nK3S_TOKEN='<stdout of hosts-k3s-token>'\nK3S_VERSION='v1\.34\.1\+k3s1'\nK3S_INSTALL_URL='https:\/\/get\.k3s\.io'\nK3S_SERVER_ADDRESS='192\.168\.56\.10'\nset -eu\n/,
            );
            assert.match(a.stdin.value, /K3S_URL="https:\/\/\$K3S_SERVER_ADDRESS:6443" K3S_TOKEN="\$K3S_TOKEN" sh -s - agent/);
            assert.deepEqual(seenOpts[`hosts-k3s-agent-${agent}`].dependsOn.sort(), [`hosts-k3s-drain-${agent}`, "hosts-k3s-token"].sort());
        }
        assert.equal(await new Promise((r) => hosts.kubeconfig!.apply(r)), "<stdout of hosts-k3s-kubeconfig>");
        assert.ok(await new Promise((r) => (hosts.kubeconfig as any).isSecret.then(r)), "the kubeconfig output is a secret");
    });

    it("upgrades k3s the way k3s does: the server first, then one agent at a time, probed on the agent, drained and uncordoned on the server", async () => {
        await labHosts();
        const steps = (agent: string) => [`hosts-k3s-probe-${agent}`, `hosts-k3s-drain-${agent}`, `hosts-k3s-agent-${agent}`, `hosts-k3s-uncordon-${agent}`];
        assert.deepEqual(
            recorded.filter((r) => /^hosts-k3s-(probe|drain|agent|uncordon)-/.test(r.name)).map((r) => r.name),
            [...steps("ansible-target-1"), ...steps("ansible-target-2")],
        );
        // Each after the one before; the first agent after the server (its token), the second after the first one's uncordon.
        assert.deepEqual(seenOpts["hosts-k3s-probe-ansible-target-1"].dependsOn, ["hosts-ansible-target-1-artifact-run", "hosts-k3s-token"]);
        assert.deepEqual(seenOpts["hosts-k3s-probe-ansible-target-2"].dependsOn, ["hosts-ansible-target-2-artifact-run", "hosts-k3s-uncordon-ansible-target-1"]);
        for (const agent of ["ansible-target-1", "ansible-target-2"]) {
            assert.deepEqual(seenOpts[`hosts-k3s-drain-${agent}`].dependsOn, [`hosts-k3s-probe-${agent}`]);
            assert.deepEqual(seenOpts[`hosts-k3s-uncordon-${agent}`].dependsOn, [`hosts-k3s-agent-${agent}`]);
            const probe = inputsOf(`hosts-k3s-probe-${agent}`);
            assert.equal(probe.connection.value.host, LAB.Endpoints.find((h) => h.name === agent)!.address);
            assert.equal(
                probe.stdin,
                stepProgram(
                    LAB.Endpoints.find((h) => h.name === agent)!,
                    `k3s-probe-${agent}`,
                    k3sProbeScript("v1.34.1+k3s1"),
                    600,
                ),
            );
            for (const [step, script] of [
                ["k3s-drain", k3sDrainScript("v1.34.1+k3s1")],
                ["k3s-uncordon", k3sUncordonScript("v1.34.1+k3s1")],
            ] as const) {
                const c = inputsOf(`hosts-${step}-${agent}`);
                // On the server, starting with what the agent's probe printed; nothing secret in it.
                assert.equal(c.connection.value.host, "192.168.56.10");
                assert.equal(c.stdin, stepProgram(LAB.Orchestrators[0], `${step}-${agent}`, script, 600, `<stdout of hosts-k3s-probe-${agent}>\n`));
                assert.deepEqual(c.triggers, ["192.168.56.10", hashOf(script), `<stdout of hosts-k3s-probe-${agent}>\n`]);
            }
        }
        assert.match(inputsOf("hosts-k3s-server").stdin, /elif \[ "\$installed" != "\$2" \]; then\n    k3s_may_upgrade "\$installed" "\$2"\n    install_k3s\n    k3s_upgraded\n/);
    });

    it("writes the Kickstart through stdin as a secret, and exports the artifact's output per host", async () => {
        const hosts = await labHosts();
        const ks = inputsOf("hosts-kickstart");
        assert.ok(isSecretValue(ks.stdin));
        assert.deepEqual(ks.environment, { KS_PATH: "rendered/ks.cfg" });
        const hash = sha512Crypt("pieczon-pw", kickstartSalt("pieczon-pw", "pieczons-server"));
        assert.equal(ks.stdin.value, renderKickstart(KICKSTART, hash));
        assert.doesNotMatch(ks.stdin.value, /pieczon-pw/);
        assert.deepEqual(Object.keys(hosts.artifactOutputs).sort(), ["ansible-target-1", "ansible-target-2", "fedora"]);
        assert.equal(await new Promise((r) => hosts.artifactOutputs["fedora"].apply(r)), "<stdout of hosts-fedora-artifact-run>");
        const run = inputsOf("hosts-fedora-artifact-run").stdin;
        assert.equal(run, stepProgram(LAB.Orchestrators[0], "artifact-run", artifactScript(STEPS.artifact!), 600, "", "supertux-container"));
        assert.match(
            run,
            /<<'BMP_STEP_END'\nARTIFACT_CONTAINER='supertux-container'\nARTIFACT_PATH='\/tmp\/supertux-build\.tar\.gz'\nARTIFACT_MOUNT='\/supertux-build\.tar\.gz'\nARTIFACT_IMAGE='docker\.io\/library\/busybox:1\.37\.0'\nARTIFACT_COMMAND='tar tzf \/supertux-build\.tar\.gz'\nset -eu\n/,
        );
        assert.equal(inputsOf("hosts-fedora-artifact-copy").remotePath, "/tmp/supertux-build.tar.gz");
    });

    it("declares only the steps the config turns on", async () => {
        new Hosts("h", { inventory: { Endpoints: [LAB.Endpoints[0]] }, sshPrivateKey: "k", steps: { inventoryPath: "inventory.ini", docker: false }, reach: REACH });
        await settle();
        assert.deepEqual(
            recorded.filter((r) => r.custom).map((r) => r.name),
            ["h-ansible-target-1-reach", "h-ansible-target-1-inventory"],
        );
        one("command:remote:Command", "h-ansible-target-1-inventory");
    });
});

describe("step scripts, run for real", () => {
    const HOST = { name: "node1", address: "127.0.0.1", port: 22, user: "x" };

    it("a hung script is stopped at its limit with a message naming the host, the step and the limit", () => {
        const started = Date.now();
        // Stand-ins: sudo runs its command as this user; docker records what it is asked.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-limit-"));
        fs.writeFileSync(path.join(dir, "sudo"), '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n', { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/sh\necho "docker $*" >> ${dir}/log\n`, { mode: 0o755 });
        // In a session of its own, as over SSH: at the limit the program kills the rest of its session.
        const r = spawnSync("setsid", ["bash", "-s"], {
            input: stepProgram(HOST, "artifact-run", "echo begun\n(trap '' TERM; exec sleep 120) &\nsleep 120\n", 1, "", "art-1"),
            encoding: "utf8",
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        });
        const log = fs.readFileSync(path.join(dir, "log"), "utf8");
        fs.rmSync(dir, { recursive: true });
        assert.equal(r.status, 124);
        assert.equal(r.stdout, "begun\n");
        assert.equal(log, "docker rm -f art-1\n", "the step's container removed");
        assert.equal(r.stderr, 'host "node1" (127.0.0.1:22) step artifact-run: stopped after the limit of 1s (hosts.reach.commandTimeoutSeconds)\n');
        // Killed at its 1 s limit, not left to run its 120 s: the bound is half the hang, wide for a loaded
        // machine (the session sweep reads /proc once per process: 15.6 s seen at load average 12).
        assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    });

    it("a failed script ends with a line naming the host and the step", () => {
        const r = spawnSync("setsid", ["bash", "-s"], { input: stepProgram(HOST, "docker", "echo 'no docker here' >&2\nexit 3\n", 10), encoding: "utf8" });
        assert.equal(r.status, 3);
        assert.equal(r.stderr, 'no docker here\nhost "node1" (127.0.0.1:22) step docker failed (exit 3)\n');
    });

    it("writes a file only when it differs, and puts it back when it is gone", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-file-"));
        const file = path.join(dir, "inventory.ini");
        const once = () => spawnSync("bash", ["-s"], { input: fileScript(file, "[g]\nh ansible_host=1.2.3.4\n"), encoding: "utf8" }).stdout;
        assert.equal(once(), `changed: wrote ${file}\n`);
        assert.equal(fs.readFileSync(file, "utf8"), "[g]\nh ansible_host=1.2.3.4\n");
        assert.equal(once(), "");
        fs.rmSync(file);
        assert.equal(once(), `changed: wrote ${file}\n`);
        fs.rmSync(dir, { recursive: true });
    });
});

describe("inventory", () => {
    it("renders the lab's groups as Ansible INI", () => {
        assert.equal(
            renderInventory(LAB),
            `[Orchestrators]
fedora ansible_host=192.168.56.10 ansible_port=22 ansible_user=ansible

[Endpoints]
ansible-target-1 ansible_host=192.168.56.11 ansible_port=22 ansible_user=ansible
ansible-target-2 ansible_host=192.168.56.12 ansible_port=2222 ansible_user=ansible
`,
        );
    });

    it("fills port and user from the hosts defaults", () => {
        const cfg = parseConfig({
            minio: { enabled: false },
            hosts: {
                enabled: true,
                user: "lab",
                groups: {
                    Endpoints: [
                        { name: "a", address: "10.0.0.2" },
                        { name: "b", address: "vm-b.local", port: 2200, user: "root" },
                    ],
                },
            },
            hostsSshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
        });
        assert.deepEqual(inventoryOf(cfg), {
            Endpoints: [
                { name: "a", address: "10.0.0.2", port: 22, user: "lab", hostKey: undefined },
                { name: "b", address: "vm-b.local", port: 2200, user: "root", hostKey: undefined },
            ],
        });
        assert.deepEqual(hostStepsOf(cfg), {
            inventoryPath: "inventory.ini",
            packages: { update: true, install: [], restart: ["sshd", "rngd"], mirror: undefined },
            docker: true,
            service: { name: "nginx-container", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] },
            artifact: undefined,
        });
        assert.ok(isSecretValue((cfg.hostsSshPrivateKey as any) ?? {}) || pulumi.Output.isInstance(cfg.hostsSshPrivateKey));
    });
});

describe("hosts config: converge and the groups' order", () => {
    const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n";
    const withHosts = (hosts: Record<string, unknown>) =>
        parseConfig({
            minio: { enabled: false },
            hosts: { enabled: true, groups: { Orchestrators: [{ name: "s", address: "10.0.0.2" }], Endpoints: [{ name: "a", address: "10.0.0.3" }] }, ...hosts },
            hostsSshPrivateKey: KEY,
        });

    it("orders the groups by name unless hosts.groupOrder says otherwise (the CLI sorts a map's keys)", () => {
        assert.deepEqual(Object.keys(inventoryOf(withHosts({}))), ["Endpoints", "Orchestrators"]);
        assert.deepEqual(Object.keys(inventoryOf(withHosts({ groupOrder: ["Orchestrators", "Endpoints"] }))), ["Orchestrators", "Endpoints"]);
    });

    it("refuses a groupOrder that does not name each group once, naming the key, the value and what is allowed", () => {
        assert.throws(
            () => withHosts({ groupOrder: ["Orchestrators", "Orchestrators", "Nodes"] }),
            (e: Error) =>
                e.message ===
                'invalid configuration: hosts.groupOrder: ["Orchestrators","Orchestrators","Nodes"] does not name each group of hosts.groups once (expected an order of Orchestrators, Endpoints; unknown or repeated: Orchestrators, Nodes; missing: Endpoints)',
        );
        assert.throws(() => withHosts({ converge: "yes" }), /hosts\.converge: "yes" is not/);
    });

    it("converge: off by default; on, the caller's run id (index.ts: new on every run), so the plan stays pure", () => {
        assert.equal(hostsPlan(withHosts({}), "run-1")!.runId, undefined);
        assert.equal(hostsPlan(withHosts({ converge: true }), "run-1")!.runId, "run-1");
        const cfg = withHosts({ converge: true });
        assert.deepEqual(hostsPlan(cfg, "run-1"), hostsPlan(cfg, "run-1"));
    });
});

/** The Kickstart of report 000, as the lab wrote it (copied from ../shared/seeds/000_*). */
function labKickstart(): string {
    return fs.readFileSync(path.join(__dirname, "fixtures", "lab-kickstart.cfg"), "utf8");
}

describe("Kickstart", () => {
    it("hashes with SHA-512-crypt as glibc and openssl do", () => {
        // The specification's own test vector.
        assert.equal(sha512Crypt("Hello world!", "saltstring"), "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
        assert.throws(() => sha512Crypt("x", "bad salt"), /salt "bad salt" is not 1 to 16 characters/);
        const openssl = spawnSync("openssl", ["passwd", "-6", "-salt", "abc./XYZ0123", "pieczon"], { encoding: "utf8" });
        if (openssl.status === 0) assert.equal(sha512Crypt("pieczon", "abc./XYZ0123"), openssl.stdout.trim());
    });

    it("passes pykickstart's own validator for Fedora 41, and its password hash verifies with the system's crypt", (t) => {
        // pykickstart r3.74 from the project's pinned sources (test/e2e/sources.sh finds and checks the tarball).
        const python = spawnSync("python3", ["-c", "import crypt, requests"], { encoding: "utf8" });
        const tarball = spawnSync("bash", [path.join(__dirname, "e2e", "sources.sh"), "pykickstart-r3.74.tar.gz"], { encoding: "utf8" });
        if (python.status !== 0 || tarball.status !== 0) {
            t.skip(`not here: ${python.status !== 0 ? "python3 with its crypt and requests modules (Debian's python3-requests)" : tarball.stderr.trim()}`);
            return;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-ks-"));
        try {
            execFileSync("tar", ["-xzf", tarball.stdout.trim(), "-C", dir]);
            const root = path.join(dir, "pykickstart-r3.74");
            const hash = sha512Crypt("pieczon-pw", kickstartSalt("pieczon-pw", "pieczons-server"));
            const ks = path.join(dir, "ks.cfg");
            fs.writeFileSync(ks, renderKickstart(KICKSTART, hash));
            const v = spawnSync("python3", [path.join(root, "tools", "ksvalidator.py"), "-v", "F41", ks], { encoding: "utf8", env: { ...process.env, PYTHONPATH: root } });
            assert.equal(v.status, 0, `ksvalidator: ${v.stdout}${v.stderr}`);
            assert.equal((v.stdout + v.stderr).trim(), `Checking kickstart file ${ks}`, "no warning either");
            // The broken file is refused by the same validator (the check is not a no-op).
            fs.writeFileSync(ks, renderKickstart(KICKSTART, hash).replace("rootpw --lock", "rootpw --lock --nonsense"));
            assert.notEqual(spawnSync("python3", [path.join(root, "tools", "ksvalidator.py"), "-v", "F41", ks], { env: { ...process.env, PYTHONPATH: root } }).status, 0);
            const crypt = spawnSync("python3", ["-W", "ignore", "-c", "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", "pieczon-pw", hash], { encoding: "utf8" });
            assert.equal(crypt.stdout.trim(), "True", crypt.stderr);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("has the lab's file as its fixture, unchanged from report 000", (t) => {
        const seeds = path.join(__dirname, "..", "..", "shared", "seeds");
        const report = fs.existsSync(seeds) ? fs.readdirSync(seeds).find((f) => f.startsWith("000_")) : undefined;
        if (report === undefined) {
            t.diagnostic("../shared/seeds is not beside this clone: the fixture is compared only where it is");
            return;
        }
        const text = fs.readFileSync(path.join(seeds, report), "utf8");
        const start = text.indexOf("# Generated by Anaconda");
        assert.equal(labKickstart(), text.slice(start, text.indexOf("```", start)));
    });

    it("keeps every directive of the lab's file, with the documented differences", () => {
        const directives = (text: string) =>
            text
                .split("\n")
                .map((l) => l.trim())
                .filter((l) => l && !l.startsWith("#"));
        const ours = new Set(directives(renderKickstart(KICKSTART, "$6$salt$hash")));
        // What the generated file does differently from the lab's, and why.
        const differences: Record<string, string> = {
            "network --hostname=pieczons-server": "network --bootproto=dhcp --hostname=pieczons-server",
            "rootpw --plaintext pieczon": "rootpw --lock", // no root password in a file; the wheel user has sudo
            "firstboot --enable": "firstboot --disable", // unattended: no setup agent
            "clearpart --all": "clearpart --all --initlabel --drives=sda", // a blank disk gets a label too
            "%post --nochroot": "%post --erroronfail", // the unit is written inside the installed system
            "systemctl enable docker": "systemctl enable docker.service nginx-container.service",
            "sleep 10": "", // the image is pulled when the unit first starts, not during the install
            "/usr/bin/docker pull peczyn/nginx-custom:1.1": "",
            "cat <<EOF > /mnt/sysimage/etc/systemd/system/nginx-container.service": "cat > /etc/systemd/system/nginx-container.service <<'UNIT'",
            EOF: "UNIT",
            "chroot /mnt/sysimage /bin/systemctl enable nginx-container.service": "systemctl enable docker.service nginx-container.service",
            "Description=Custom NGINX Container": "Description=nginx-container container (bare-metal-platform)",
            "ExecStart=/usr/bin/docker run --rm --name nginx-custom -p 80:80 peczyn/nginx-custom:1.1":
                "ExecStart=/usr/bin/docker run --rm --name nginx-container -p 80:80 docker.io/peczyn/nginx-custom:1.1",
            "ExecStop=/usr/bin/docker stop nginx-custom": "ExecStop=/usr/bin/docker stop nginx-container",
        };
        const missing = directives(labKickstart()).flatMap((line) => {
            if (line.startsWith("user ")) {
                // The lab's yescrypt hash becomes a SHA-512-crypt hash of the configured secret.
                return ours.has("user --groups=wheel --name=pieczon --password='$6$salt$hash' --iscrypted") ? [] : [line];
            }
            const want = line in differences ? differences[line] : line;
            return want === "" || ours.has(want) ? [] : [`${line} (expected ${JSON.stringify(want)})`];
        });
        assert.deepEqual(missing, []);
    });
});

describe("reachability script, run for real", () => {
    it("tells connection refused, naming the host, within one attempt's time", async () => {
        const server = net.createServer();
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as net.AddressInfo).port;
        execFileSync("bash", ["-c", reachScript({ name: "up", address: "127.0.0.1", port, user: "x" }, 2, 2)]);
        await new Promise((r) => server.close(r));
        const started = Date.now();
        // Dials of 30 s: had it waited for them instead of telling refused, it would take 61 s.
        const closed = spawnSync("bash", ["-c", reachScript({ name: "node1", address: "127.0.0.1", port, user: "x" }, 2, 30)], { encoding: "utf8" });
        assert.equal(closed.status, 1);
        assert.equal(
            closed.stderr,
            `host "node1" (127.0.0.1:${port}) is not reachable after 2 attempts: connection refused: the host answers but nothing listens on port ${port} (is sshd running?)\n`,
        );
        assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms: refused is immediate; only the 1 s pause between attempts counts`);
    });
});
