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
/** kubectl's kubeconfig when neither the stack nor $KUBECONFIG names one. */
const HOME_KUBECONFIG = path.join(os.homedir(), ".kube", "config");

// The stand-ins log one line per call: the arguments, then the backend and passphrase they were given.
// The stack's settings are STUB_CONFIG's `key=value` lines; `pulumi up` after `config set
// cluster.renderYamlTo` writes a manifest there, as render mode does.
const PULUMI = `#!/usr/bin/env bash
echo "pulumi $* | backend=\${PULUMI_BACKEND_URL-<project>} passphrase=\${PULUMI_CONFIG_PASSPHRASE-<none>}" >> "$STUB_LOG"
case "$1 $2" in
"stack select") [ -f "$STUB_STATE/$3" ] ;;
"stack init") touch "$STUB_STATE/$3" ;;
"config get") v=$(printf '%s\n' "\${STUB_CONFIG-}" | sed -n "s|^$4=||p"); [ -n "$v" ] && printf '%s\n' "$v" ;;
"config set") [ "$4" != cluster.renderYamlTo ] || echo "$5" > "$STUB_STATE/render-to" ;;
"preview "*) echo "Previewing update" ;;
"up "*)
    echo "Updating"
    if [ -f "$STUB_STATE/render-to" ]; then
        to=$(cat "$STUB_STATE/render-to")
        mkdir -p "$to/1-manifest" && echo "kind: Namespace" > "$to/1-manifest/v1-namespace-dev.yaml"
    fi
    ;;
"destroy "*) echo "Destroying" ;;
"stack export")
    while [ $# -gt 0 ]; do [ "$1" = --file ] && out=$2; shift; done
    cp "$STUB_STATE/export.json" "$out" 2>/dev/null || echo '{"deployment":{"resources":[]}}' > "$out"
    ;;
"stack import")
    while [ $# -gt 0 ]; do [ "$1" = --file ] && cp "$2" "$STUB_STATE/imported.json"; shift; done
    ;;
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
    delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
    delete base.KUBECONFIG;
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
        assert.match(r.stdout, new RegExp(`^deploy: stack dev → kube context 'kind-kind' of ${HOME_KUBECONFIG}$`, "m"));
        assert.match(r.stderr, /^deploy: warning: metallb\.addresses 172\.17\.255\.1-172\.17\.255\.255 is outside every node's network .*172\.18\.0\.2/m);
        assert.match(r.stderr, /deploy: preview only \(no terminal to ask on\); run again with --yes to apply it/);
        const pulumi = r.calls.filter((c) => c.startsWith("pulumi "));
        assert.deepEqual(
            pulumi.map((c) => c.split(" | ")[0]),
            [
                "pulumi stack select dev",
                "pulumi stack init dev",
                "pulumi config get --path hosts.enabled --stack dev",
                "pulumi config get --path cluster.kubeconfig --stack dev",
                "pulumi config get --path cluster.context --stack dev",
                "pulumi preview --stack dev --diff",
            ],
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
        assert.equal(
            down.stderr.trim(),
            `deploy: no Kubernetes cluster answers on context 'kind-kind' of ${HOME_KUBECONFIG}; start one (minikube start, kind create cluster) or run npm run render to write the manifests instead; on k3s, docs/getting-started.md#a-k3s-clusters-kubeconfig says what to set`,
        );
        assert.ok(!down.calls.some((c) => c.startsWith("pulumi preview")));
        const none = run(p, "deploy.sh", ["--stack", "staging"]);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /deploy: there is no Pulumi\.staging\.yaml \(stacks here: dev prod \)/);
    });
});

describe("npm run deploy: the cluster the stack targets (cluster.kubeconfig, cluster.context, hosts.k3s)", () => {
    const kubectl = (r: ReturnType<typeof run>) => r.calls.filter((c) => c.startsWith("kubectl "));

    it("cluster.kubeconfig naming a file: kubectl asks that file's cluster, as the provider will", () => {
        const p = project();
        const file = path.join(p, "k3s.yaml");
        fs.writeFileSync(file, "apiVersion: v1\nkind: Config\n");
        const r = run(p, "deploy.sh", [], { STUB_CONFIG: `cluster.kubeconfig=${file}\ncluster.context=default` });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stdout, new RegExp(`^deploy: stack dev → kube context 'default' of ${file}$`, "m"));
        assert.deepEqual(kubectl(r), [
            `kubectl --kubeconfig ${file} --context default cluster-info --request-timeout=5s`,
            `kubectl --kubeconfig ${file} --context default get nodes -o json --request-timeout=10s`,
        ]);
    });

    it("cluster.kubeconfig holding the file's contents: kubectl reads them from a private scratch file, removed afterwards", () => {
        const p = project();
        const r = run(p, "deploy.sh", [], { STUB_CONFIG: 'cluster.kubeconfig={"apiVersion":"v1","kind":"Config"}' });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stdout, /^deploy: stack dev → kube context 'kind-kind' of cluster\.kubeconfig's contents$/m);
        const scratch = kubectl(r)[0].split(" ")[2];
        assert.deepEqual(kubectl(r), [
            `kubectl --kubeconfig ${scratch} config current-context`,
            `kubectl --kubeconfig ${scratch} --context kind-kind cluster-info --request-timeout=5s`,
            `kubectl --kubeconfig ${scratch} --context kind-kind get nodes -o json --request-timeout=10s`,
        ]);
        assert.ok(!fs.existsSync(scratch), "the scratch kubeconfig is removed");
    });

    it("cluster.kubeconfig naming no file: stops with 1 before asking any cluster", () => {
        const p = project();
        const r = run(p, "deploy.sh", [], { STUB_CONFIG: "cluster.kubeconfig=~/no-such-kubeconfig.yaml" });
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim(), "deploy: cluster.kubeconfig ~/no-such-kubeconfig.yaml is not a file (expected the path of a kubeconfig, or its contents)");
        assert.deepEqual(kubectl(r), []);
    });

    it("$KUBECONFIG when the stack names no kubeconfig: kubectl's own, named in the first line", () => {
        const p = project();
        const r = run(p, "deploy.sh", [], { KUBECONFIG: "/home/me/k3s.yaml" });
        assert.match(r.stdout, /^deploy: stack dev → kube context 'kind-kind' of \/home\/me\/k3s\.yaml$/m);
        assert.equal(kubectl(r)[0], "kubectl config current-context");
    });

    it("the bare-VM path (hosts.enabled and hosts.k3s.enabled): no cluster to ask yet, the update makes it", () => {
        const p = project();
        const r = run(p, "deploy.sh", [], { STUB_CONFIG: "hosts.enabled=true\nhosts.k3s.enabled=true", STUB_CLUSTER: "down" });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stdout, /^deploy: stack dev → the k3s cluster this update installs on the hosts \(hosts\.k3s\)$/m);
        assert.deepEqual(kubectl(r), []);
        assert.ok(r.calls.some((c) => c.startsWith("pulumi preview --stack dev --diff |")));
    });
});

describe("the dev stack's public passphrase stays off every other stack (scripts/common.sh, scripts/passphrase.ts)", () => {
    const REFUSED =
        "PULUMI_CONFIG_PASSPHRASE is the dev stack's public passphrase, refused for stack prod (its secrets would be readable by anyone): unset PULUMI_CONFIG_PASSPHRASE, then give prod's own passphrase in PULUMI_CONFIG_PASSPHRASE_FILE (docs/stacks-and-state.md#creating-the-prod-stack)";

    it("deploy, preview, destroy and unlock of prod with the README's export: refused in one line, before any pulumi command", () => {
        const p = project();
        for (const [script, args, me] of [
            ["deploy.sh", ["--stack", "prod"], "deploy"],
            ["stack.sh", ["preview", "--stack", "prod"], "preview"],
            ["stack.sh", ["destroy", "--stack", "prod", "--yes"], "destroy"],
            ["stack.sh", ["unlock", "--stack", "prod"], "unlock"],
        ] as const) {
            // The README's export, with a passphrase file that would otherwise be read.
            const r = run(p, script, [...args], { PULUMI_CONFIG_PASSPHRASE: "bare-metal-lab", PULUMI_CONFIG_PASSPHRASE_FILE: path.join(p, "prod.passphrase") });
            assert.equal(r.code, 1, `${script} ${args.join(" ")}`);
            assert.equal(r.stderr.trim(), `${me}: ${REFUSED}`);
            assert.deepEqual(
                r.calls.filter((c) => c.startsWith("pulumi ")),
                [],
            );
        }
    });

    it("a passphrase file holding the dev passphrase: refused too; prod's own passphrase, or dev with the dev one: let through", () => {
        const p = project();
        const file = path.join(p, "prod.passphrase");
        fs.writeFileSync(file, "bare-metal-lab\n");
        const refused = run(p, "deploy.sh", ["--stack", "prod"], { PULUMI_CONFIG_PASSPHRASE_FILE: file });
        assert.equal(refused.code, 1);
        assert.equal(
            refused.stderr.trim(),
            `deploy: PULUMI_CONFIG_PASSPHRASE_FILE (${file}) holds the dev stack's public passphrase, refused for stack prod (its secrets would be readable by anyone): give prod's own passphrase in PULUMI_CONFIG_PASSPHRASE_FILE (docs/stacks-and-state.md#creating-the-prod-stack)`,
        );
        fs.writeFileSync(file, "correct horse battery staple\n");
        assert.ok(run(p, "stack.sh", ["preview", "--stack", "prod"], { PULUMI_CONFIG_PASSPHRASE_FILE: file }).calls.some((c) => c.startsWith("pulumi preview --stack prod")));
        assert.ok(run(p, "stack.sh", ["preview", "--stack", "prod"], { PULUMI_CONFIG_PASSPHRASE: "mine" }).calls.some((c) => c.startsWith("pulumi preview --stack prod")));
        assert.ok(run(p, "stack.sh", ["preview"], { PULUMI_CONFIG_PASSPHRASE: "bare-metal-lab" }).calls.some((c) => c.startsWith("pulumi preview --stack dev")));
    });

    it("a throwaway copy of dev named by BMP_DEV_PASSPHRASE_STACK may use it; any other stack still may not", () => {
        const p = project();
        fs.copyFileSync(path.join(p, "Pulumi.dev.yaml"), path.join(p, "Pulumi.scratch.yaml"));
        const env = { PULUMI_CONFIG_PASSPHRASE: "bare-metal-lab", BMP_DEV_PASSPHRASE_STACK: "scratch" };
        const allowed = run(p, "stack.sh", ["preview", "--stack", "scratch"], env);
        assert.ok(
            allowed.calls.some((c) => c.startsWith("pulumi preview --stack scratch")),
            allowed.stderr + allowed.calls.join("\n"),
        );
        const refused = run(p, "stack.sh", ["preview", "--stack", "prod"], env);
        assert.equal(refused.code, 1);
        assert.equal(refused.stderr.trim(), `preview: ${REFUSED}`);
    });

    it("scripts/set-secret.ts refuses it for any stack but dev, with the same line", () => {
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "scripts", "set-secret.ts"), "prod", "minioRootUser", "ops"], {
            cwd: project(),
            env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bare-metal-lab" },
            encoding: "utf8",
        });
        assert.equal(r.status, 1);
        assert.equal(r.stderr.trim(), `set-secret: ${REFUSED}`);
    });
});

describe("npm run render (scripts/render.sh)", () => {
    it("replaces the last render's manifests and keeps everything else in the folder, the Kickstart among it", () => {
        const p = project();
        const out = path.join(p, "rendered");
        fs.mkdirSync(path.join(out, "kickstart"), { recursive: true });
        fs.writeFileSync(path.join(out, "kickstart", "ks.cfg"), "# the Kickstart\n");
        fs.mkdirSync(path.join(out, "1-manifest"));
        fs.writeFileSync(path.join(out, "1-manifest", "v1-service-gone.yaml"), "kind: Service\n");
        const r = run(p, "render.sh", []);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^render: manifests in ${fs.realpathSync(p)}/rendered \\(1 files\\)$`, "m"));
        assert.equal(fs.readFileSync(path.join(out, "kickstart", "ks.cfg"), "utf8"), "# the Kickstart\n");
        assert.deepEqual(fs.readdirSync(out).sort(), ["1-manifest", "kickstart"]);
        assert.deepEqual(fs.readdirSync(path.join(out, "1-manifest")), ["v1-namespace-dev.yaml"]);
    });
});

describe("npm run checked -- <pulumi command>: the type check on every run", () => {
    /** A copy of the program (its own index.ts, everything else linked) with `extra` appended to index.ts. */
    function program(extra: string): string {
        const p = fs.mkdtempSync(path.join(dir, "checked-"));
        linkProject(p, [...PROJECT_FILES, "node_modules"], ["index.ts"]);
        fs.writeFileSync(path.join(p, "index.ts"), fs.readFileSync(path.join(__dirname, "..", "index.ts"), "utf8") + extra);
        return p;
    }
    function checked(p: string) {
        const log = path.join(p, "calls.log");
        fs.writeFileSync(log, "");
        const r = spawnSync("npm", ["run", "--silent", "checked", "--", "preview", "--stack", "dev"], {
            cwd: p,
            env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB_LOG: log, STUB_STATE: p },
            encoding: "utf8",
        });
        return { code: r.status, output: r.stdout + r.stderr, calls: fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
    }

    it("a type error stops it before pulumi runs", () => {
        const r = checked(program('\nexport const port: number = "80";\n'));
        assert.notEqual(r.code, 0);
        assert.match(r.output, /index\.ts\(\d+,14\): error TS2322: Type 'string' is not assignable to type 'number'\./);
        assert.deepEqual(r.calls, []);
    });

    it("a program that type-checks goes on to the pulumi command, with its arguments", () => {
        const r = checked(program(""));
        assert.equal(r.code, 0, r.output);
        assert.deepEqual(
            r.calls.map((c) => c.split(" | ")[0]),
            ["pulumi preview --stack dev"],
        );
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

    it("a checkpoint's sidecar a kill left empty: removed and named before anything else, with or without a lock; the checkpoint untouched", () => {
        const p = project();
        const stacks = path.join(p, ".pulumi-state", ".pulumi", "stacks", "bare-metal-platform");
        fs.mkdirSync(stacks, { recursive: true });
        fs.writeFileSync(path.join(stacks, "dev.json"), '{"version":3}');
        fs.writeFileSync(path.join(stacks, "dev.json.attrs"), "");
        const sidecarLine = `unlock: .pulumi-state/.pulumi/stacks/bare-metal-platform/dev.json.attrs is empty: a write of the state was interrupted there, and pulumi could not read dev.json; removed it: dev.json holds what it held before that write, and its next write makes a new sidecar`;
        const unlocked = run(p, "stack.sh", ["unlock"]);
        assert.equal(unlocked.code, 0, unlocked.stderr);
        assert.deepEqual(unlocked.stdout.trim().split("\n"), [sidecarLine, "unlock: stack dev is not locked; next: pulumi up --refresh --stack dev"]);
        assert.deepEqual(cancels(unlocked), []);
        assert.deepEqual(fs.readdirSync(stacks), ["dev.json"]);
        assert.equal(fs.readFileSync(path.join(stacks, "dev.json"), "utf8"), '{"version":3}');

        fs.writeFileSync(path.join(stacks, "dev.json.attrs"), "");
        lock(p, 4243, "gone-host");
        const locked = run(p, "stack.sh", ["unlock", "--force"]);
        assert.equal(locked.code, 0, locked.stderr);
        assert.equal(locked.stdout.split("\n")[0], sidecarLine);
        assert.deepEqual(cancels(locked), ["pulumi cancel --stack dev --yes"]);
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
        assert.deepEqual(
            r.calls.map((c) => c.split(" | ")[0].replace(/ --file \S+/, " --file F")).filter((c) => /^pulumi (stack (export|import)|refresh)/.test(c)),
            ["pulumi stack export --stack dev --file F"],
            "no create was in flight: the state is read, nothing imported or refreshed",
        );
    });

    it("creates left in flight: the state takes each kubernetes object by its ID (another provider's resource dropped), then a refresh reads them back", () => {
        const p = project();
        lock(p, 4243, "gone-host");
        const job = {
            urn: "urn:pulumi:dev::bare-metal-platform::platform:apps:Verify$kubernetes:batch/v1:Job::verify",
            type: "kubernetes:batch/v1:Job",
            inputs: { metadata: { name: "verify-1a2b3c4d", namespace: "platform-verify" } },
        };
        const step = { urn: "urn:pulumi:dev::bare-metal-platform::command:remote:Command::hosts-vm1-docker", type: "command:remote:Command", inputs: { create: "bash -s" } };
        const deployment = {
            resources: [{ urn: "urn:pulumi:dev::bare-metal-platform::pulumi:pulumi:Stack::bare-metal-platform-dev" }],
            pending_operations: [
                { type: "creating", resource: job },
                { type: "creating", resource: step },
                { type: "updating", resource: { urn: "u3", type: "kubernetes:apps/v1:Deployment" } },
            ],
        };
        fs.writeFileSync(path.join(p, ".stub-state", "export.json"), JSON.stringify({ version: 3, deployment }));
        const r = run(p, "stack.sh", ["unlock", "--force"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            r.calls.map((c) => c.split(" | ")[0].replace(/ --file \S+/, " --file F")).filter((c) => /^pulumi (cancel|stack (export|import)|refresh)/.test(c)),
            ["pulumi cancel --stack dev --yes", "pulumi stack export --stack dev --file F", "pulumi stack import --stack dev --file F", "pulumi refresh --stack dev --yes --skip-preview"],
        );
        assert.deepEqual(
            r.stdout.split("\n").filter((l) => l.startsWith("unlock: urn")),
            [
                `unlock: ${job.urn} was being created as platform-verify/verify-1a2b3c4d; the refresh keeps it if the cluster has it, and drops it if not`,
                `unlock: ${step.urn} was being created; dropped from the state: the next pulumi up creates it again`,
            ],
        );
        const imported = JSON.parse(fs.readFileSync(path.join(p, ".stub-state", "imported.json"), "utf8"));
        assert.deepEqual(imported, { version: 3, deployment: { resources: [...deployment.resources, { ...job, id: "platform-verify/verify-1a2b3c4d", outputs: {} }], pending_operations: [] } });
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
