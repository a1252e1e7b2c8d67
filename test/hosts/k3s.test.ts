// npm run test:hosts, part 3 — the k3s bootstrap through the real Pulumi engine, as far as it can go
// here: the program's k3s steps run on the test hosts against the stand-ins of k3s.ts (an install
// script served from this machine; a real kube-apiserver in vm1's network namespace as the "k3s
// server"), and the kubeconfig read back over SSH must reach the kubernetes.Provider in the same up:
// the Kubernetes objects of the stack are created through it on that API server. Runs whenever the
// Pulumi toolchain is installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEV_PASSPHRASE, ROOT, run, Stack } from "../e2e/lib";
import { controlPlaneBin, K3sServer, registerK3sServer, serveInstaller } from "./k3s";
import { baseImage, create, destroy, ensureTools, Lab, leftovers } from "./lab";

const log = (s: string) => process.stderr.write(`# ${s}\n`);
const toolchain = spawnSync("bash", [path.join(ROOT, "test", "e2e", "toolchain.sh"), "check"], { encoding: "utf8" });
const missing = toolchain.status === 0 ? undefined : toolchain.stdout.trim() || toolchain.stderr.trim();

let lab: Lab;
let stack: Stack;
let installer: { server: http.Server; port: number };
let k3s: K3sServer;
let kubectl: (...args: string[]) => { status: number | null; stdout: string; stderr: string };

before(async () => {
    if (missing) return;
    ensureTools();
    const bin = controlPlaneBin(ROOT);
    lab = await create(2, baseImage(log));
    installer = await serveInstaller();
    k3s = registerK3sServer(lab.hosts[0], bin, path.join(lab.dir, "k3s-server"));
    kubectl = (...args) => spawnSync(path.join(bin, "kubectl"), ["--kubeconfig", k3s.kubeconfig, "--request-timeout=10s", ...args], { encoding: "utf8" });
    const keys = lab.hosts.map((h) =>
        fs
            .readFileSync(path.join(h.rootfs, "etc", "ssh", "ssh_host_ed25519_key.pub"), "utf8")
            .split(" ")
            .slice(0, 2)
            .join(" "),
    );
    const overrides = {
        // No cluster.*: with hosts.k3s on, the provider's kubeconfig is the one read from the server.
        metallb: { enabled: false },
        ingressNginx: { enabled: false },
        minio: { enabled: false },
        // The stand-in k3s server runs no node: the verify Job's pod would never be scheduled.
        verify: { enabled: false },
        // One object for the provider to create on the k3s server.
        access: { accounts: [{ name: "k3s-proof", namespace: "default", grant: { clusterRole: "view" } }] },
        hosts: {
            enabled: true,
            converge: true,
            groups: {
                Orchestrators: [{ name: "vm1", address: "10.231.1.2", hostKey: keys[0] }],
                Endpoints: [{ name: "vm2", address: "10.231.2.2", hostKey: keys[1] }],
            },
            groupOrder: ["Orchestrators", "Endpoints"],
            reach: { attempts: 2, perDialTimeoutSeconds: 2, commandTimeoutSeconds: 180 },
            packages: { enabled: false },
            docker: { enabled: false },
            service: { enabled: false },
            k3s: { enabled: true, installScriptUrl: `http://10.231.1.1:${installer.port}/install.sh` },
        },
    };
    stack = await Stack.create("k3s", { overrides, base: lab.dir });
    const set = await run("node", ["--import", "tsx", "scripts/set-secret.ts", "k3s", "hostsSshPrivateKey", fs.readFileSync(lab.keyFile, "utf8")], {
        cwd: stack.dir,
        env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE, BMP_DEV_PASSPHRASE_STACK: "k3s" },
    });
    assert.equal(set.code, 0, set.stderr);
});

after(() => {
    installer?.server.close();
    if (lab) destroy(lab);
});

/** A secret's value in `pulumi stack export --show-secrets`. */
function plain(value: any): any {
    return value && typeof value === "object" && "plaintext" in value ? JSON.parse(value.plaintext) : value;
}

describe("k3s bootstrap through the real Pulumi engine (stand-ins for the installer and the server)", { skip: missing ? `the Pulumi toolchain is not installed: ${missing}` : false }, () => {
    it("one up: the server installed and read back over SSH, the agent joined with its token, and the provider creates the stack's objects on that server", async () => {
        const r = await stack.pulumi("up", "--yes", "--skip-preview");
        log(`k3s up ${(r.ms / 1000).toFixed(1)} s`);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /changed: installed k3s server v1\.34\.1\+k3s1/);
        assert.match(r.stdout, /changed: installed k3s agent v1\.34\.1\+k3s1/);
        const vm1 = lab.hosts[0].rootfs;
        const vm2 = lab.hosts[1].rootfs;
        assert.equal(
            fs.readFileSync(path.join(vm1, "etc", "rancher", "k3s", "server-install.env"), "utf8"),
            "INSTALL_K3S_VERSION=v1.34.1+k3s1\nARGS=server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san 10.231.1.2\n",
        );
        const token = fs.readFileSync(path.join(vm1, "var", "lib", "rancher", "k3s", "server", "node-token"), "utf8").trim();
        assert.equal(
            fs.readFileSync(path.join(vm2, "etc", "rancher", "k3s", "agent-join.env"), "utf8"),
            `K3S_URL=https://10.231.1.2:6443\nK3S_TOKEN=${token}\nINSTALL_K3S_VERSION=v1.34.1+k3s1\nARGS=agent\n`,
        );
        // The provider got the server's kubeconfig, pointed at the server's address.
        const state = JSON.parse((await stack.pulumiOk("stack", "export", "--show-secrets")).stdout).deployment.resources;
        const provider = state.find((x: any) => x.type === "pulumi:providers:kubernetes" && x.urn.endsWith("::cluster"));
        const served = fs.readFileSync(path.join(vm1, "etc", "rancher", "k3s", "k3s.yaml"), "utf8");
        assert.equal(plain(provider.inputs.kubeconfig), served.replace("https://127.0.0.1:6443", "https://10.231.1.2:6443").replace(/\n$/, ""));
        // …and used it, in the same up: the stack's ServiceAccount is on the k3s server's API.
        const sa = kubectl("get", "serviceaccount", "k3s-proof", "-n", "default", "-o", "jsonpath={.metadata.name}");
        assert.equal(sa.stdout, "k3s-proof", sa.stderr);
        assert.equal(JSON.parse((await stack.pulumiOk("stack", "output", "--json")).stdout).hostsRecap.vm1.reach, "ok");
    });

    it("a second up installs nothing again and keeps the objects", async () => {
        const r = await stack.pulumi("up", "--yes", "--skip-preview");
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout, /changed: installed k3s/);
        assert.equal(kubectl("get", "serviceaccount", "k3s-proof", "-n", "default", "-o", "name").stdout, "serviceaccount/k3s-proof\n");
    });

    it("destroy removes the objects through the same provider; nothing is left on this machine", async () => {
        await stack.destroy();
        assert.match(kubectl("get", "serviceaccount", "k3s-proof", "-n", "default").stderr, /NotFound/);
        stack.remove();
        installer.server.close();
        destroy(lab);
        // etcd and kube-apiserver name the lab's folder in their arguments: leftovers would list them.
        assert.deepEqual(leftovers(lab), { netns: [], links: [], processes: [], files: false });
    });
});
