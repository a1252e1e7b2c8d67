// The verify step: its Job on mocks, the checks a release makes, and its script run for
// real by sh against a stand-in wget — a Service whose selector matches no pod and a route to the
// wrong backend each fail with one line, while every other request passes.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { reset, settle, one } from "./harness";
import { checkSeconds, CLOCK_INIT_IMAGE, releaseChecks, Verify, VERIFY_SCRIPT, verifyEnvironment, VerifyCheck } from "../components/apps";

const JOB = "kubernetes:batch/v1:Job";

/** The value of an Output (mocks resolve them). */
function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

const SCRIPT = path.join(__dirname, "..", "components", "apps", "verify.sh");

/**
 * Runs verify.sh by sh with `wget` and `sleep` stand-ins first on PATH: wget answers from `pages`
 * (URL, then the headers it was given, → the page; absent: connection refused, as a ClusterIP with
 * no endpoint answers). A page list answers its pages in turn, its last one from then on (a rollout
 * under way). Returns the exit code, stdout, the termination message and the requests made.
 */
function runScript(checks: VerifyCheck[], pages: Record<string, string | string[]>, seconds = 0): { code: number; stdout: string; message: string; requests: number } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-verify-"));
    try {
        const table = Object.entries(pages)
            .map(([key, answer], i) => {
                const list = (Array.isArray(answer) ? answer : [answer]).map((p) => `'${p.replace(/'/g, `'\\''`)}'`);
                return `  ${JSON.stringify(key)}) n=$(cat "$dir/n${i}" 2>/dev/null || echo 0); echo $((n + 1)) > "$dir/n${i}"; set -- ${list.join(" ")}; [ "$n" -lt $# ] && shift "$n" || shift $(($# - 1)); printf '%s' "$1"; exit 0 ;;`;
            })
            .join("\n");
        fs.writeFileSync(
            path.join(dir, "wget"),
            `#!/bin/sh\ndir=${JSON.stringify(dir)}\necho x >> "$dir/requests"\nkey=''\nwhile [ $# -gt 1 ]; do case "$1" in --header) key="$key|$2"; shift 2 ;; *) shift ;; esac; done\ncase "$1$key" in\n${table}\nesac\necho "wget: can't connect to remote host: Connection refused" >&2\nexit 1\n`,
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const log = path.join(dir, "termination-log");
        const env = Object.fromEntries(verifyEnvironment(checks, seconds).map((e) => [e.name, e.value]));
        const r = spawnSync("sh", [SCRIPT], { env: { ...process.env, ...env, VERIFY_TERMINATION_LOG: log, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
        const requests = fs.existsSync(path.join(dir, "requests")) ? fs.readFileSync(path.join(dir, "requests"), "utf8").split("\n").length - 1 : 0;
        return { code: r.status ?? -1, stdout: r.stdout + r.stderr, message: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "", requests };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const page = (version: string) => `<html>\n<p id="version">Version: ${version}</p>\n<p id="pod">Pod: web-1</p>\n</html>\n`;

describe("the verify script (sh, a stand-in wget)", () => {
    const checks: VerifyCheck[] = [
        { release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.0"] },
        { release: "web", target: "Service default/web-orphan", url: "http://10.96.0.11:80/", versions: ["1.0"] },
        { release: "web", target: "route app.local/web", url: "http://172.17.255.3/web", headers: { Host: "app.local" }, versions: ["1.0", "1.1"] },
        { release: "web", target: "route app.local/web (canary: always)", url: "http://172.17.255.3/web", headers: { Host: "app.local", canary: "always" }, versions: ["1.1"] },
    ];

    it("passes when every page names an expected version", () => {
        const r = runScript(checks, {
            "http://10.96.0.10:80/": page("1.0"),
            "http://10.96.0.11:80/": page("1.0"),
            "http://172.17.255.3/web|Host: app.local": page("1.1"),
            "http://172.17.255.3/web|Host: app.local|canary: always": page("1.1"),
        });
        assert.deepEqual(r, { code: 0, stdout: "verified: 4 requests, each answered by the expected version\n", message: "", requests: 4 });
    });

    it("fails with one line each for a Service whose selector matches no pod and a route to the wrong backend", () => {
        const r = runScript(checks, {
            "http://10.96.0.10:80/": page("1.0"),
            // web-orphan: no endpoint, nothing answers.
            "http://172.17.255.3/web|Host: app.local": page("1.0"),
            // The header rule sends to the stable Service.
            "http://172.17.255.3/web|Host: app.local|canary: always": page("1.0"),
        });
        const lines = [
            "release web, Service default/web-orphan: expected version 1.0, got no answer (wget: can't connect to remote host: Connection refused)",
            "release web, route app.local/web (canary: always): expected version 1.1, got version 1.0",
        ];
        assert.deepEqual(r, { code: 1, stdout: lines.map((l) => `${l}\n`).join(""), message: lines.map((l) => `${l}\n`).join(""), requests: 4 });
    });

    it("reports a page that names no version, and quotes what the config gives", () => {
        const odd: VerifyCheck[] = [{ release: "it's", target: "Service default/x", url: "http://10.96.0.12:80/", versions: ["1.0"] }];
        const r = runScript(odd, { "http://10.96.0.12:80/": "<html>welcome to nginx</html>" });
        assert.equal(r.message, "release it's, Service default/x: expected version 1.0, got a page naming no version\n");
    });

    it("prints a skipped check with its reason and requests nothing for it", () => {
        const skipped: VerifyCheck[] = [
            { release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.0"] },
            { release: "web", target: "Service canary/web-svc", url: "http://10.96.0.12:80/", versions: ["1.1"], skip: "version 1.1 has no pod (replicas 0)" },
        ];
        const r = runScript(skipped, { "http://10.96.0.10:80/": page("1.0") });
        assert.deepEqual(r, {
            code: 0,
            stdout: "skipped: release web, Service canary/web-svc: version 1.1 has no pod (replicas 0)\nverified: 1 requests, each answered by the expected version; 1 skipped (no pod to answer)\n",
            message: "",
            requests: 1,
        });
    });

    it("requests a check again, beside a rollout, until its page names the version", () => {
        const rolling: VerifyCheck[] = [{ release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.1"] }];
        const r = runScript(rolling, { "http://10.96.0.10:80/": [page("1.0"), "", page("1.0"), page("1.1")] }, 60);
        assert.deepEqual(r, { code: 0, stdout: "verified: 1 requests, each answered by the expected version\n", message: "", requests: 4 });
    });

    it("stops requesting once its time is up, naming the last answer", () => {
        const rolling: VerifyCheck[] = [{ release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.1"] }];
        const r = runScript(rolling, { "http://10.96.0.10:80/": [page("1.0"), page("1.1")] }, 0);
        const line = "release web, Service default/web-svc: expected version 1.1, got version 1.0\n";
        assert.deepEqual(r, { code: 1, stdout: line, message: line, requests: 1 });
    });

    it("gives the checks all of the step's time but 20 s, and at least 10 s", () => {
        assert.deepEqual([300, 60, 40, 25, 5].map(checkSeconds), [280, 40, 20, 10, 10]);
    });

    it("is valid for sh as far as sh -n can tell", () => {
        execFileSync("sh", ["-n", SCRIPT]);
    });
});

describe("the verify Job (mocks)", () => {
    beforeEach(reset);

    it("one Job in its namespace: busybox, restricted, no token, no retry, kept once finished (no TTL: its deletion would be drift), re-run by the trigger's hash", async () => {
        const checks: VerifyCheck[] = [{ release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.0"] }];
        new Verify("verify", { namespace: "platform-verify", checks, trigger: { web: { version: "1.0" } }, timeoutSeconds: 60 });
        await settle();
        const job = one(JOB, "verify").inputs;
        assert.deepEqual(job.metadata, { namespace: "platform-verify", labels: { app: "verify" } });
        const { template, ...spec } = job.spec;
        assert.deepEqual(spec, { backoffLimit: 0, activeDeadlineSeconds: 60 });
        assert.match(template.metadata.annotations["bmp.local/verify-trigger"], /^[0-9a-f]{12}$/);
        assert.deepEqual(template.spec.securityContext, { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
        const [c] = template.spec.containers;
        assert.equal(c.image, CLOCK_INIT_IMAGE);
        assert.equal(CLOCK_INIT_IMAGE, "docker.io/library/busybox:1.37.0");
        assert.deepEqual(c.command, ["sh", "-c", VERIFY_SCRIPT]);
        assert.deepEqual(c.env, [
            { name: "VERIFY_CHECKS", value: "web\x1fService default/web-svc\x1fhttp://10.96.0.10:80/\x1f1.0\x1f" },
            { name: "VERIFY_SECONDS", value: "40" },
        ]);
        assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError");
        assert.deepEqual(c.securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual([template.spec.restartPolicy, template.spec.automountServiceAccountToken], ["Never", false]);
    });

    it("a changed release changes the pod template (so the Job is replaced and runs again); the same one does not", async () => {
        const checks: VerifyCheck[] = [{ release: "web", target: "Service default/web-svc", url: "http://10.96.0.10:80/", versions: ["1.0"] }];
        const hash = async (trigger: unknown, name: string) => {
            new Verify(name, { namespace: "v", checks, trigger });
            await settle();
            return one(JOB, name).inputs.spec.template.metadata.annotations["bmp.local/verify-trigger"];
        };
        const a = await hash({ web: { replicas: 3 } }, "a");
        assert.equal(await hash({ web: { replicas: 3 } }, "b"), a);
        assert.notEqual(await hash({ web: { replicas: 4 } }, "c"), a);
    });
});

describe("the checks of a release", () => {
    beforeEach(reset);
    const svc = (name: string, namespace: string, spec: any) => new k8s.core.v1.Service(`${namespace}-${name}`, { metadata: { name, namespace }, spec: { ports: [{ port: 80 }], ...spec } });

    it("split ingress with a canary: each Service its track's version (a headless one by name, on the pods' port), the route by weight and by header", async () => {
        const services = [
            svc("web-svc", "default", { clusterIP: "None", selector: { app: "web", track: "stable" } }),
            svc("web-svc-cip", "default", { clusterIP: "10.96.0.20", selector: { app: "web", track: "stable" } }),
            svc("web-svc", "canary", { clusterIP: "None", selector: { app: "web", track: "canary" } }),
        ];
        const r = {
            split: "ingress" as const,
            port: 8000,
            stable: { version: "1.0", replicas: 2 },
            canary: { version: "1.1", replicas: 2, weight: 50, header: "canary" },
            ingress: { host: "app.local", path: "/web" },
        };
        assert.deepEqual(await value(releaseChecks("web", r, services, "172.17.255.3")), [
            { release: "web", target: "Service default/web-svc", url: "http://web-svc.default.svc:8000/", versions: ["1.0"] },
            { release: "web", target: "Service default/web-svc-cip", url: "http://10.96.0.20:80/", versions: ["1.0"] },
            { release: "web", target: "Service canary/web-svc", url: "http://web-svc.canary.svc:8000/", versions: ["1.1"] },
            { release: "web", target: "route app.local/web", url: "http://172.17.255.3/web", headers: { Host: "app.local" }, versions: ["1.0", "1.1"] },
            { release: "web", target: "route app.local/web (canary: always)", url: "http://172.17.255.3/web", headers: { Host: "app.local", canary: "always" }, versions: ["1.1"] },
        ]);
    });

    it("split replicas: one Service answers with either version; no route without an address", async () => {
        const services = [svc("nginx-svc", "default", { clusterIP: "10.96.0.30", selector: { app: "nginx" } })];
        const r = { split: "replicas" as const, port: 8080, stable: { version: "1.0", replicas: 3 }, canary: { version: "1.1", replicas: 1, weight: 0, header: "canary" } };
        assert.deepEqual(await value(releaseChecks("nginx", r, services, undefined)), [
            { release: "nginx", target: "Service default/nginx-svc", url: "http://10.96.0.30:80/", versions: ["1.0", "1.1"] },
        ]);
    });

    it("split gateway at weight 0: the plain route the stable version, on the listener's port", async () => {
        const r = {
            split: "gateway" as const,
            port: 8080,
            stable: { version: "2.0", replicas: 1 },
            canary: { version: "2.1", replicas: 1, weight: 0, header: "x-canary" },
            ingress: { host: "web.lab", path: "/" },
            gateway: { port: 8000 },
        };
        assert.deepEqual(await value(releaseChecks("web", r, [], "172.17.255.4")), [
            { release: "web", target: "route web.lab/", url: "http://172.17.255.4:8000/", headers: { Host: "web.lab" }, versions: ["2.0"] },
            { release: "web", target: "route web.lab/ (x-canary: always)", url: "http://172.17.255.4:8000/", headers: { Host: "web.lab", "x-canary": "always" }, versions: ["2.1"] },
        ]);
    });

    it("split gateway on a shared controller (k3s's Traefik, dataPlaneNamespace set): the route on its Service's port 80, not the entry point", async () => {
        const r = {
            split: "gateway" as const,
            port: 8080,
            stable: { version: "2.0", replicas: 1 },
            ingress: { host: "web.lab", path: "/web" },
            gateway: { port: 8000, dataPlaneNamespace: "kube-system" },
        };
        assert.deepEqual(await value(releaseChecks("web", r, [], "172.17.255.1")), [
            { release: "web", target: "route web.lab/web", url: "http://172.17.255.1/web", headers: { Host: "web.lab" }, versions: ["2.0"] },
        ]);
    });

    it("a track scaled to 0: its Service and the header route skipped with the reason, the plain route expects the other track only; both at 0: every check skipped", async () => {
        const services = [
            svc("web-svc-cip", "default", { clusterIP: "10.96.0.20", selector: { app: "web", track: "stable" } }),
            svc("web-svc", "canary", { clusterIP: "10.96.0.21", selector: { app: "web", track: "canary" } }),
        ];
        const r = {
            split: "ingress" as const,
            port: 8000,
            stable: { version: "1.0", replicas: 3 },
            canary: { version: "1.1", replicas: 0, weight: 50, header: "canary" },
            ingress: { host: "app.local", path: "/web" },
        };
        const skip = "version 1.1 has no pod (replicas 0)";
        assert.deepEqual(await value(releaseChecks("web", r, services, "172.17.255.3")), [
            { release: "web", target: "Service default/web-svc-cip", url: "http://10.96.0.20:80/", versions: ["1.0"] },
            { release: "web", target: "Service canary/web-svc", url: "http://10.96.0.21:80/", versions: ["1.1"], skip },
            { release: "web", target: "route app.local/web", url: "http://172.17.255.3/web", headers: { Host: "app.local" }, versions: ["1.0"] },
            { release: "web", target: "route app.local/web (canary: always)", url: "http://172.17.255.3/web", headers: { Host: "app.local", canary: "always" }, versions: ["1.1"], skip },
        ]);
        const none = { split: "replicas" as const, port: 8080, stable: { version: "1.0", replicas: 0 } };
        assert.deepEqual(await value(releaseChecks("nginx", none, [svc("nginx-svc", "default", { clusterIP: "10.96.0.30", selector: { app: "nginx" } })], undefined)), [
            { release: "nginx", target: "Service default/nginx-svc", url: "http://10.96.0.30:80/", versions: ["1.0"], skip: "version 1.0 has no pod (replicas 0)" },
        ]);
    });

    it("split ingress with the stable track at 0: both route checks skipped (ingress-nginx answers 503 without a main backend), the canary's Service still checked", async () => {
        const services = [svc("web-svc", "canary", { clusterIP: "10.96.0.21", selector: { app: "web", track: "canary" } })];
        const r = {
            split: "ingress" as const,
            port: 8000,
            stable: { version: "1.0", replicas: 0 },
            canary: { version: "1.1", replicas: 2, weight: 50, header: "canary" },
            ingress: { host: "app.local", path: "/web" },
        };
        const skip = "ingress-nginx answers 503 while the stable track (version 1.0) has no pod (replicas 0)";
        assert.deepEqual(await value(releaseChecks("web", r, services, "172.17.255.3")), [
            { release: "web", target: "Service canary/web-svc", url: "http://10.96.0.21:80/", versions: ["1.1"] },
            { release: "web", target: "route app.local/web", url: "http://172.17.255.3/web", headers: { Host: "app.local" }, versions: ["1.1"], skip },
            { release: "web", target: "route app.local/web (canary: always)", url: "http://172.17.255.3/web", headers: { Host: "app.local", canary: "always" }, versions: ["1.1"], skip },
        ]);
    });
});
