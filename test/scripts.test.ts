// npm run deploy / preview / destroy (scripts/deploy.sh, scripts/stack.sh) with stand-in `pulumi` and
// `kubectl` commands that record how they are called: the flow, the messages and exit codes, and that
// the scripts leave the state's place to Pulumi.yaml (plain `pulumi` reaches the same stacks). The
// real CLI runs them in the e2e suite (test/e2e/platform.e2e.ts, "npm run deploy").
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { linkProject, PROJECT_FILES } from "./projectFiles";

let dir: string;
let bin: string;

// The stand-ins log one line per call: the arguments, then the backend and passphrase they were given.
const PULUMI = `#!/usr/bin/env bash
echo "pulumi $* | backend=\${PULUMI_BACKEND_URL-<project>} passphrase=\${PULUMI_CONFIG_PASSPHRASE-<none>}" >> "$STUB_LOG"
case "$1 $2" in
"stack select") [ -f "$STUB_STATE/$3" ] ;;
"stack init") touch "$STUB_STATE/$3" ;;
"config get") exit 1 ;;
"preview "*) echo "Previewing update" ;;
"up "*) echo "Updating" ;;
"destroy "*) echo "Destroying" ;;
esac
`;
const KUBECTL = `#!/usr/bin/env bash
echo "kubectl $*" >> "$STUB_LOG"
case "$*" in
*cluster-info*) [ "$STUB_CLUSTER" = up ] ;;
*"config current-context"*) echo kind-kind ;;
*"get nodes"*) echo '{"items":[{"status":{"addresses":[{"type":"InternalIP","address":"172.18.0.2"}]}}]}' ;;
esac
`;

function project(): string {
    const p = fs.mkdtempSync(path.join(dir, "project-"));
    linkProject(p, [...PROJECT_FILES, "scripts", "node_modules", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    fs.mkdirSync(path.join(p, ".stub-state"));
    return p;
}

function run(p: string, script: string, args: string[], env: Record<string, string> = {}) {
    const log = path.join(p, "calls.log");
    fs.writeFileSync(log, "");
    const base: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB_LOG: log, STUB_STATE: path.join(p, ".stub-state"), STUB_CLUSTER: "up" };
    delete base.PULUMI_BACKEND_URL;
    delete base.PULUMI_CONFIG_PASSPHRASE;
    const r = spawnSync("bash", [path.join(p, "scripts", script), ...args], { cwd: p, env: { ...base, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls: fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
}

before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-scripts-"));
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, text] of [
        ["pulumi", PULUMI],
        ["kubectl", KUBECTL],
        ["pulumi-language-nodejs", "#!/bin/sh\n"],
    ]) {
        fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run deploy (scripts/deploy.sh)", () => {
    it("with no terminal: creates the dev stack, names the context, warns about a pool on no node's network, previews and stops with 2", () => {
        const p = project();
        const r = run(p, "deploy.sh", []);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stdout, /^deploy: stack dev → kube context 'kind-kind'$/m);
        assert.match(r.stderr, /^deploy: warning: metallb\.addresses 172\.17\.255\.1-172\.17\.255\.255 is outside every node's network .*172\.18\.0\.2/m);
        assert.match(r.stderr, /deploy: preview only \(no terminal to ask on\); run again with --yes to apply it/);
        const pulumi = r.calls.filter((c) => c.startsWith("pulumi "));
        assert.deepEqual(
            pulumi.map((c) => c.split(" | ")[0]),
            ["pulumi stack select dev", "pulumi stack init dev", "pulumi config get --path cluster.context --stack dev", "pulumi preview --stack dev --diff"],
        );
        // The state's place is Pulumi.yaml's backend.url: the script sets no PULUMI_BACKEND_URL; the dev passphrase it does.
        for (const c of pulumi) assert.match(c, /\| backend=<project> passphrase=bare-metal-lab$/, c);
    });

    it("--yes applies after the preview and ends saying how to read the outputs with plain pulumi", () => {
        const p = project();
        const r = run(p, "deploy.sh", ["--yes"]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.indexOf("Previewing update") < r.stdout.indexOf("Updating"), r.stdout);
        assert.ok(r.calls.some((c) => c.startsWith("pulumi up --stack dev --yes --skip-preview --continue-on-error |")));
        assert.match(r.stdout, /deploy: done; pulumi stack output --stack dev shows the addresses and the curl lines \(export PULUMI_CONFIG_PASSPHRASE=bare-metal-lab first\)$/m);
    });

    it("keeps a PULUMI_BACKEND_URL and a passphrase given to it, and another stack brings its own passphrase", () => {
        const p = project();
        const given = run(p, "deploy.sh", [], { PULUMI_BACKEND_URL: "file:///elsewhere", PULUMI_CONFIG_PASSPHRASE: "mine" });
        assert.ok(
            given.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.endsWith("| backend=file:///elsewhere passphrase=mine")),
            given.calls.join("\n"),
        );
        const prod = run(p, "deploy.sh", ["--stack", "prod"]);
        assert.ok(
            prod.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.endsWith("passphrase=<none>")),
            prod.calls.join("\n"),
        );
    });

    it("stops with 1 when no cluster answers, or for a stack without a stack file", () => {
        const p = project();
        const down = run(p, "deploy.sh", [], { STUB_CLUSTER: "down" });
        assert.equal(down.code, 1);
        assert.match(down.stderr, /deploy: no Kubernetes cluster answers on context 'kind-kind'; start one/);
        assert.ok(!down.calls.some((c) => c.startsWith("pulumi preview")));
        const none = run(p, "deploy.sh", ["--stack", "staging"]);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /deploy: there is no Pulumi\.staging\.yaml \(stacks here: dev prod \)/);
    });
});

describe("npm run preview / npm run destroy (scripts/stack.sh)", () => {
    it("preview: the dev stack (created when missing), pulumi preview --diff, nothing applied", () => {
        const p = project();
        const r = run(p, "stack.sh", ["preview"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            r.calls.filter((c) => c.startsWith("pulumi ")).map((c) => c.split(" | ")[0]),
            ["pulumi stack select dev", "pulumi stack init dev", "pulumi preview --stack dev --diff"],
        );
    });

    it("destroy: refuses a stack never deployed, asks for --yes with no terminal, then names MinIO's claim", () => {
        const p = project();
        const never = run(p, "stack.sh", ["destroy"]);
        assert.equal(never.code, 1);
        assert.match(never.stderr, /destroy: stack dev was never deployed here/);
        fs.writeFileSync(path.join(p, ".stub-state", "dev"), "");
        const unasked = run(p, "stack.sh", ["destroy"]);
        assert.equal(unasked.code, 2);
        assert.match(unasked.stderr, /destroy: no terminal to ask on; run again with --yes to destroy stack dev/);
        assert.ok(!unasked.calls.some((c) => c.startsWith("pulumi destroy")));
        const yes = run(p, "stack.sh", ["destroy", "--yes"]);
        assert.equal(yes.code, 0, yes.stderr);
        assert.ok(yes.calls.some((c) => c.startsWith("pulumi destroy --stack dev --yes |")));
        assert.match(yes.stdout, /destroy: MinIO's volume claim default\/data-minio-0 stays, as Kubernetes keeps a StatefulSet's claims; kubectl delete pvc data-minio-0 -n default deletes its data/);
    });
});

describe("npm run unlock (scripts/stack.sh): after an interrupted pulumi up", () => {
    /** A lock file as the CLI writes one into the folder backend (Pulumi.yaml's backend.url). */
    function lock(p: string, pid: number, hostname = os.hostname()): void {
        const dir = path.join(p, ".pulumi-state", ".pulumi", "locks", "organization", "bare-metal-platform", "dev");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "0b1e.json"), JSON.stringify({ pid, username: "root", hostname, timestamp: "2026-12-07T04:08:18Z" }));
    }
    const cancels = (r: ReturnType<typeof run>) => r.calls.filter((c) => c.startsWith("pulumi cancel")).map((c) => c.split(" | ")[0]);

    it("no lock: says so and changes nothing", () => {
        const r = run(project(), "stack.sh", ["unlock"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), "unlock: stack dev is not locked; nothing to do");
        assert.deepEqual(cancels(r), []);
    });

    it("a lock whose update still runs here: refused, naming its process; once it has ended: pulumi cancel, then what comes next", async () => {
        const p = project();
        const live = spawn("bash", ["-c", "exec -a pulumi sleep 60"], { stdio: "ignore" });
        try {
            lock(p, live.pid!);
            const refused = run(p, "stack.sh", ["unlock"]);
            assert.equal(refused.code, 1);
            assert.equal(refused.stderr.trim(), `unlock: an update of stack dev is still running here (pulumi, pid ${live.pid}): wait for it, or stop it (Ctrl-C once lets it finish its steps)`);
            assert.deepEqual(cancels(refused), []);
        } finally {
            live.kill("SIGKILL");
            await new Promise((r) => live.on("exit", r));
        }
        const r = run(p, "stack.sh", ["unlock"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(cancels(r), ["pulumi cancel --stack dev --yes"]);
        assert.match(r.stdout, /^unlock: done; next: pulumi up --refresh --stack dev \(it reads back what the interrupted update changed in the cluster, then goes on\)$/m);
    });

    it("a lock from another host: refused unless --force", () => {
        const p = project();
        lock(p, 4242, "laptop");
        const refused = run(p, "stack.sh", ["unlock"]);
        assert.equal(refused.code, 1);
        assert.equal(refused.stderr.trim(), "unlock: stack dev is locked from host laptop (pid 4242), which cannot be checked from here; run again with --force once no update runs there");
        assert.deepEqual(cancels(refused), []);
        assert.deepEqual(cancels(run(p, "stack.sh", ["unlock", "--force"])), ["pulumi cancel --stack dev --yes"]);
    });
});
