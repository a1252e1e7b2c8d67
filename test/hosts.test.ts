// The hosts over SSH, on mocks: the command graph (order, triggers, bounded connections, secrets),
// the rendered inventory, the Kickstart against the lab's own, and the reachability script for real.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { hashOf, Hosts, HostSteps, Inventory, kickstartSalt, reachScript, renderInventory, renderKickstart, sha512Crypt } from "../components/hosts";
import { hostStepsOf, inventoryOf, parseConfig } from "../config";
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
    it("runs each host's steps in order, reachability first, each after the one before", async () => {
        await labHosts();
        const order = ["reach", "inventory", "packages", "docker", "service", "artifact-copy", "artifact-run"];
        for (const host of ["fedora", "ansible-target-1", "ansible-target-2"]) {
            const names = order.map((s) => `hosts-${host}-${s}`);
            assert.deepEqual(
                names.map((n) => recorded.find((r) => r.name === n)?.type),
                [
                    "command:local:Command",
                    "command:remote:CopyToRemote",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:Command",
                    "command:remote:CopyToRemote",
                    "command:remote:Command",
                ],
                host,
            );
            names.forEach((n, i) => assert.deepEqual(seenOpts[n].dependsOn, i === 0 ? [] : [names[i - 1]], n));
            for (const n of names.slice(1)) assert.deepEqual(seenOpts[n].customTimeouts, { create: "600s", update: "600s" }, n);
        }
    });

    it("triggers each step on its own input only; reachability re-runs whenever any step will", async () => {
        await labHosts();
        const packages = inputsOf("hosts-fedora-packages");
        assert.deepEqual(packages.triggers, [hashOf(packages.create)]);
        const inventory = inputsOf("hosts-fedora-inventory");
        assert.deepEqual(inventory.triggers, [hashOf(renderInventory(LAB))]);
        assert.equal(inventory.remotePath, "inventory.ini");
        const reach = inputsOf("hosts-fedora-reach");
        assert.equal(reach.triggers.length, 1);
        assert.notEqual(reach.triggers[0], inputsOf("hosts-ansible-target-2-reach").triggers[0], "the hosts differ (port 2222)");
        assert.deepEqual(reach.interpreter, ["/bin/bash", "-c"]);
        assert.equal(reach.create, reachScript(LAB.Orchestrators[0], 3, 5));
    });

    it("connects with a secret key, bounded dials and the pinned host key", async () => {
        await labHosts();
        // The command provider marks the whole connection secret (it holds the key).
        const wrapped = inputsOf("hosts-ansible-target-1-docker").connection;
        assert.ok(isSecretValue(wrapped), "the connection, key included, is a secret");
        const c = wrapped.value;
        assert.deepEqual(
            { host: c.host, port: c.port, user: c.user, hostKey: c.hostKey, dialErrorLimit: c.dialErrorLimit, perDialTimeout: c.perDialTimeout },
            { host: "192.168.56.11", port: 22, user: "ansible", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample", dialErrorLimit: 3, perDialTimeout: 5 },
        );
        assert.equal(inputsOf("hosts-ansible-target-2-docker").connection.value.port, 2222);
        // No plaintext key anywhere outside a secret.
        assert.deepEqual(
            recorded.filter((r) => plainStrings(r.inputs).some((x) => x.includes("BEGIN OPENSSH"))).map((r) => r.name),
            [],
        );
    });

    it("bootstraps k3s without servicelb and traefik, reads the kubeconfig as a secret and joins the agents with a secret token", async () => {
        const hosts = await labHosts();
        const server = inputsOf("hosts-k3s-server");
        assert.match(server.create, /sh -s - server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san '192\.168\.56\.10'/);
        assert.match(server.create, /INSTALL_K3S_VERSION='v1\.34\.1\+k3s1'/);
        assert.deepEqual(seenOpts["hosts-k3s-server"].dependsOn, ["hosts-fedora-artifact-run"]);
        for (const id of ["hosts-k3s-kubeconfig", "hosts-k3s-token"]) {
            assert.ok(seenOpts[id].additionalSecretOutputs?.includes("stdout"), id);
            assert.equal(inputsOf(id).logging, "none", id);
        }
        assert.match(inputsOf("hosts-k3s-kubeconfig").create, /sed "s#https:\/\/127\.0\.0\.1:6443#https:\/\/192\.168\.56\.10:6443#"/);
        for (const agent of ["ansible-target-1", "ansible-target-2"]) {
            const a = inputsOf(`hosts-k3s-agent-${agent}`);
            assert.ok(isSecretValue(a.stdin), "the token goes on stdin, as a secret");
            assert.match(a.create, /K3S_URL='https:\/\/192\.168\.56\.10:6443' K3S_TOKEN="\$K3S_TOKEN" sh -s - agent/);
            assert.deepEqual(seenOpts[`hosts-k3s-agent-${agent}`].dependsOn.sort(), [`hosts-${agent}-artifact-run`, "hosts-k3s-token"].sort());
        }
        assert.equal(await new Promise((r) => hosts.kubeconfig!.apply(r)), "<stdout of hosts-k3s-kubeconfig>");
        assert.ok(await new Promise((r) => (hosts.kubeconfig as any).isSecret.then(r)), "the kubeconfig output is a secret");
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
        const run = inputsOf("hosts-fedora-artifact-run").create;
        assert.match(
            run,
            /docker run --rm --name 'supertux-container' -v '\/tmp\/supertux-build\.tar\.gz:\/supertux-build\.tar\.gz:ro' 'docker\.io\/library\/busybox:1\.37\.0' sh -c 'tar tzf \/supertux-build\.tar\.gz'/,
        );
        const copy = inputsOf("hosts-fedora-artifact-copy");
        assert.equal(copy.remotePath, "/tmp/supertux-build.tar.gz");
        const tarball = fs.readFileSync(path.join(__dirname, "fixtures", "artifact.tar.gz"));
        assert.deepEqual(copy.triggers, [crypto.createHash("sha256").update(tarball).digest("hex").slice(0, 16)], "re-copied when the tarball's content changes");
    });

    it("declares only the steps the config turns on", async () => {
        new Hosts("h", { inventory: { Endpoints: [LAB.Endpoints[0]] }, sshPrivateKey: "k", steps: { inventoryPath: "inventory.ini", docker: false }, reach: REACH });
        await settle();
        assert.deepEqual(
            recorded.filter((r) => r.custom).map((r) => r.name),
            ["h-ansible-target-1-reach", "h-ansible-target-1-inventory"],
        );
        one("command:remote:CopyToRemote", "h-ansible-target-1-inventory");
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
        const closed = spawnSync("bash", ["-c", reachScript({ name: "node1", address: "127.0.0.1", port, user: "x" }, 2, 2)], { encoding: "utf8" });
        assert.equal(closed.status, 1);
        assert.equal(
            closed.stderr,
            `host "node1" (127.0.0.1:${port}) is not reachable after 2 attempts: connection refused: the host answers but nothing listens on port ${port} (is sshd running?)\n`,
        );
        assert.ok(Date.now() - started < 4000, "refused is immediate; only the pause between attempts counts");
    });
});
