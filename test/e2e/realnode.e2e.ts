// The lab's lessons proven with packets on the real node (test/e2e/node.sh): kubelet, containerd
// and kube-proxy run the e2e stack's pods, probes are really sent, requests really served. For this
// file the fake nodes are tainted and the real node untainted, so every pod of its stack lands on
// the real node (node-exporter, which tolerates everything, on every node); `after` puts it back.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as YAML from "yaml";
import { get, page, requestLoop, s3 } from "./http";
import {
    DEV_PASSPHRASE,
    E2E_OVERRIDES,
    ensureInstalledNamespaces,
    eventually,
    kubectl,
    kubectlJson,
    namespacesGone,
    onlyRealNode,
    REAL_NODE,
    ROOT,
    run,
    shippedConfig,
    Stack,
    tail,
    timing,
} from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-real-"));
let stack: Stack;
let nodeIp: string;

/** The e2e stack with one release: the clock app, 3 replicas, behind a ClusterIP and a NodePort Service. */
const overrides = {
    ...E2E_OVERRIDES(dev),
    releases: {
        clock: {
            app: "clock-nginx",
            stable: { name: "clock-deployment", version: "1.0", replicas: 3 },
            services: [
                { name: "my-service", port: 80 },
                { name: "clock-np", type: "NodePort", port: 80 },
            ],
        },
    },
};

async function service(name: string): Promise<any> {
    return kubectlJson("service", name, "-n", "default");
}

/** The clock pods that are not terminating. */
async function clockPods(): Promise<any[]> {
    return (await kubectlJson("pods", "-n", "default", "-l", "app=clock-nginx")).items.filter((p: any) => !p.metadata.deletionTimestamp);
}

function editRelease(edit: (r: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.clock);
    stack.setConfig({ releases });
}

// --- the real node's placement ------------------------------------------------------------------

before(async () => {
    await namespacesGone();
    const node = await kubectlJson("node", REAL_NODE);
    nodeIp = node.status.addresses.find((a: any) => a.type === "InternalIP").address;
    await onlyRealNode(true);
    await ensureInstalledNamespaces();
    // The dev stack's file (MinIO's credentials encrypted in it) with this file's overrides.
    stack = await Stack.create("real", { from: "dev", base, overrides });
    const r = await stack.up();
    timing("pulumi up from empty (real node)", r.ms);
});

after(async () => {
    try {
        if (stack) await stack.destroy();
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default", "--wait=false"]);
        await namespacesGone();
    } finally {
        stack?.remove();
        await onlyRealNode(false);
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("the real node", () => {
    it("the clock page through its Service's ClusterIP and NodePort shows the configured version and the pod's name", async () => {
        const pods = await clockPods();
        assert.deepEqual(
            pods.map((p) => [p.spec.nodeName, p.status.conditions.find((c: any) => c.type === "Ready")?.status]),
            [
                [REAL_NODE, "True"],
                [REAL_NODE, "True"],
                [REAL_NODE, "True"],
            ],
        );
        const names = new Set(pods.map((p) => p.metadata.name));
        const clusterIp = (await service("my-service")).spec.clusterIP;
        const nodePort = (await service("clock-np")).spec.ports[0].nodePort;
        let sent = 0;
        for (const url of [`http://${clusterIp}/`, `http://${nodeIp}:${nodePort}/`]) {
            const seen = new Set<string>();
            // kube-proxy programs a Service's endpoints a moment after its pods are Ready: past 12
            // requests, one every 250 ms (60 at most) until a second pod has answered.
            let n = 0;
            for (; n < 60 && (n < 12 || seen.size < 2); n++) {
                if (n >= 12) await new Promise((r) => setTimeout(r, 250));
                const a = await get(url);
                sent++;
                assert.equal(a.status, 200, url);
                const { version, pod } = page(a.body);
                assert.equal(version, "1.0", url);
                assert.ok(pod && names.has(pod), `${url}: pod ${pod} is one of ${[...names].join(", ")}`);
                seen.add(pod);
            }
            assert.ok(seen.size >= 2, `${url}: ${n} requests balanced over ${[...seen].join(", ")}`);
        }
        // nginx logged each request (the probes' /healthz is not logged), read through
        // the API server from the kubelet.
        // (The runtime writes container logs asynchronously: the last lines may take a moment.)
        const logged = async () => (await kubectl("logs", "-n", "default", "-l", "app=clock-nginx", "--tail", "-1", "--prefix")).match(/"GET \/ HTTP\/1\.1" 200 /g)?.length ?? 0;
        await eventually(`${sent} requests in nginx's logs`, 10_000, async () => {
            const n = await logged();
            if (n !== sent) throw new Error(`${n} logged`);
            return true;
        });
    });

    it("node-exporter runs on the real node and serves the host's metrics", async () => {
        const pod = (await kubectlJson("pods", "-n", "monitoring", "-l", "app=node-exporter", "--field-selector", `spec.nodeName=${REAL_NODE}`)).items[0];
        assert.equal(pod?.status.conditions.find((c: any) => c.type === "Ready")?.status, "True");
        const a = await get(`http://${nodeIp}:9100/metrics`);
        assert.equal(a.status, 200);
        assert.match(a.body, /^node_exporter_build_info\{.*version="1\.9\.1"/m);
        assert.match(a.body, new RegExp(`^node_uname_info\\{.*nodename="${os.hostname()}"`, "m"));
    });

    it("zero failed requests during a version rollout: every answer 200, versions switch from 1.0 to 1.1 only", async () => {
        const clusterIp = (await service("my-service")).spec.clusterIP;
        editRelease((r) => (r.stable.version = "1.1"));
        const { result: r, loop } = await requestLoop(`http://${clusterIp}/`, stack.pulumi("up", "--yes", "--skip-preview"));
        timing("pulumi up of 1.0 → 1.1 on the real node, requests every 50 ms", r.ms);
        assert.equal(r.code, 0, tail(r.stdout + r.stderr, 30));
        assert.deepEqual(loop.failures, [], `${loop.failures.length} of ${loop.ok + loop.failures.length} requests failed`);
        assert.ok(loop.ok >= 40, `${loop.ok} requests during the rollout`);
        assert.deepEqual([...new Set(loop.versions)].sort(), ["1.0", "1.1"]);
        assert.equal(loop.versions[0], "1.0");
        const switched = loop.versions.indexOf("1.1");
        console.log(`# rollout: ${loop.ok} requests, all 200; 1.1 first answered at request ${switched + 1}`);
        await eventually("only 1.1 answers", 10_000, async () => {
            for (let i = 0; i < 10; i++) if (page((await get(`http://${clusterIp}/`)).body).version !== "1.1") return undefined;
            return true;
        });
    });

    it("the broken release really crash-loops: pulumi up fails within the rollout timeout naming the Deployment and the pod's state, and the stable pods keep answering", async () => {
        const clusterIp = (await service("my-service")).spec.clusterIP;
        editRelease((r) => (r.stable.broken = true));
        const { result: r, loop } = await requestLoop(`http://${clusterIp}/`, stack.pulumi("up", "--yes", "--skip-preview"));
        timing("pulumi up of the broken release on the real node (fails)", r.ms);
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, tail(out, 30));
        // The upper bound proves the 60 s timeout ended it, not the provider's default of 10 min.
        assert.ok(r.ms > 55_000 && r.ms < 60_000 + 180_000, `failed after ${r.ms} ms (timeout 60 s)`);
        assert.match(out, /clock-deployment/);
        // Its error names the pod, its state and the container's exit, as the kubelet reported them.
        const why = out.split("\n").filter((l) => /^\s*\* \[Pod clock-deployment-.*\[CrashLoopBackOff\]|container "nginx" terminated at .*\(Error: exit code 1\)/.test(l));
        console.log(`# broken release, pulumi up says:\n${why.map((l) => `#   ${l.trim()}`).join("\n")}`);
        assert.match(out, /^\s*\* \[Pod clock-deployment-[a-z0-9-]+\]: containers with unready status: \[nginx\]\[CrashLoopBackOff\] back-off/m, tail(out, 30));
        assert.match(out, /container "nginx" terminated at \S+ \(Error: exit code 1\)/, tail(out, 30));
        // What the kubelet really reports: the container ran `false`, exited 1 and is backed off.
        const broken = (await clockPods()).filter((p) => p.spec.containers[0].command?.[0] === "false");
        assert.ok(broken.length >= 1, "a pod of the broken release exists");
        const status = broken[0].status.containerStatuses[0];
        assert.equal(status.ready, false);
        assert.ok(status.restartCount >= 2, `restarted ${status.restartCount} times`);
        assert.equal((status.lastState.terminated ?? status.state.terminated)?.exitCode, 1);
        assert.equal(status.state.waiting?.reason ?? status.state.terminated?.reason, status.state.waiting ? "CrashLoopBackOff" : "Error");
        // The stable pods answered every request while the broken one crash-looped.
        assert.deepEqual(loop.failures, [], `${loop.failures.length} of ${loop.ok + loop.failures.length} requests failed`);
        assert.deepEqual([...new Set(loop.versions)], ["1.1"]);
        assert.ok(loop.ok >= 100, `${loop.ok} requests while it crash-looped`);

        // Rollback: the config as it was, and the old ReplicaSet serves alone again.
        editRelease((r) => delete r.stable.broken);
        const back = await stack.pulumi("up", "--yes", "--skip-preview");
        assert.equal(back.code, 0, tail(back.stdout + back.stderr, 30));
        assert.deepEqual(
            (await clockPods()).map((p) => p.spec.containers[0].command ?? null),
            [null, null, null],
        );
    });

    it("MinIO: an object written through the S3 API with the Secret's credentials survives deleting the MinIO pod", async () => {
        const sts = await kubectlJson("statefulset", "minio", "-n", "default");
        const env = sts.spec.template.spec.containers[0].env;
        // The credentials reach the pod only through the Secret.
        assert.deepEqual(
            env.map((e: any) => [e.name, e.value, e.valueFrom?.secretKeyRef?.key]),
            [
                ["MINIO_ROOT_USER", undefined, "username"],
                ["MINIO_ROOT_PASSWORD", undefined, "password"],
            ],
        );
        const secret = await kubectlJson("secret", env[0].valueFrom.secretKeyRef.name, "-n", "default");
        const creds = { user: Buffer.from(secret.data.username, "base64").toString(), password: Buffer.from(secret.data.password, "base64").toString() };
        const lb = await service("minio-svc-lb");
        const endpoint = `http://${lb.spec.clusterIP}:9000`;
        // The stand-in provisioner made the volume's folder writable by the pod's user, as local-path does.
        const pv = await kubectlJson("pv", (await kubectlJson("pvc", "data-minio-0", "-n", "default")).spec.volumeName);
        assert.equal(fs.statSync(pv.spec.hostPath.path).mode & 0o777, 0o777);

        const pod0 = await kubectlJson("pod", "minio-0", "-n", "default");
        assert.equal(pod0.spec.nodeName, REAL_NODE);
        const object = Buffer.from(`written ${new Date().toISOString()} by the e2e suite\n`);
        const wrong = await s3(endpoint, { ...creds, password: `${creds.password}-wrong` }, "PUT", "/lab");
        assert.equal(wrong.status, 403, `a wrong password is refused: ${wrong.body}`);
        const bucket = await s3(endpoint, creds, "PUT", "/lab");
        assert.equal(bucket.status, 200, bucket.body);
        const put = await s3(endpoint, creds, "PUT", "/lab/note.txt", object);
        assert.equal(put.status, 200, put.body);
        assert.equal((await s3(endpoint, creds, "GET", "/lab/note.txt")).body, object.toString());

        await kubectl("delete", "pod", "minio-0", "-n", "default", "--wait=true");
        const pod1 = await eventually("minio-0 back and Ready", 90_000, async () => {
            const p = await kubectlJson("pod", "minio-0", "-n", "default");
            return p.metadata.uid !== pod0.metadata.uid && p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? p : undefined;
        });
        assert.equal(pod1.spec.nodeName, REAL_NODE);
        const again = await eventually("the object read back", 30_000, async () => {
            const a = await s3(endpoint, creds, "GET", "/lab/note.txt");
            return a.status === 200 ? a : undefined;
        });
        assert.equal(again.body, object.toString());
    });

    it("RBAC with real tokens: kubectl --token as bob, jane, ken, carol and dave does what the lab's matrix says", async () => {
        const kc = YAML.parse(fs.readFileSync(process.env.KUBECONFIG ?? "", "utf8"));
        const server: string = kc.clusters[0].cluster.server;
        const ca: string = kc.clusters[0].cluster["certificate-authority"];
        const as = async (account: string, ns: string, ...args: string[]) => {
            const token = (await kubectl("create", "token", account, "-n", ns, "--duration", "10m")).trim();
            return (...cmd: string[]) => run("kubectl", ["--kubeconfig", "/dev/null", "--server", server, "--certificate-authority", ca, "--token", token, ...args, ...cmd]);
        };
        const bob = await as("bob", "default");
        const jane = await as("jane", "dev");
        const ken = await as("ken", "dev");
        const carol = await as("carol", "prometheus");
        const dave = await as("dave", "default");
        const allowed = async (who: string, r: Promise<{ code: number; stderr: string }>) => {
            const x = await r;
            assert.equal(x.code, 0, `${who}: ${x.stderr}`);
        };
        const forbidden = async (who: string, r: Promise<{ code: number; stderr: string }>) => {
            const x = await r;
            assert.notEqual(x.code, 0, `${who} was allowed`);
            assert.match(x.stderr, /Forbidden|forbidden/, `${who}: ${x.stderr}`);
        };
        // bob: ClusterRole admin cluster-wide — namespaced objects anywhere, not nodes or namespaces.
        await allowed("bob lists pods in kube-system", bob("get", "pods", "-n", "kube-system"));
        await allowed("bob creates a ConfigMap in dev", bob("create", "configmap", "rbac-bob", "-n", "dev", "--from-literal", "k=v"));
        await allowed("bob deletes it", bob("delete", "configmap", "rbac-bob", "-n", "dev"));
        await forbidden("bob lists nodes", bob("get", "nodes"));
        await forbidden("bob creates a namespace", bob("create", "namespace", "rbac-bob"));
        // jane: admin in dev only.
        await allowed("jane creates a ConfigMap in dev", jane("create", "configmap", "rbac-jane", "-n", "dev", "--from-literal", "k=v"));
        await allowed("jane reads Secrets in dev", jane("get", "secrets", "-n", "dev"));
        await allowed("jane deletes the ConfigMap", jane("delete", "configmap", "rbac-jane", "-n", "dev"));
        await forbidden("jane lists pods in default", jane("get", "pods", "-n", "default"));
        // ken: view in dev — reads, no writes, no Secrets.
        await allowed("ken lists pods in dev", ken("get", "pods", "-n", "dev"));
        await forbidden("ken creates a ConfigMap in dev", ken("create", "configmap", "rbac-ken", "-n", "dev", "--from-literal", "k=v"));
        await forbidden("ken reads Secrets in dev", ken("get", "secrets", "-n", "dev"));
        await forbidden("ken lists pods in default", ken("get", "pods", "-n", "default"));
        // carol, as every ServiceAccount of prometheus: get/list/watch pods cluster-wide, nothing else.
        await allowed("carol lists pods in every namespace", carol("get", "pods", "-A"));
        await allowed("carol gets a pod", carol("get", "pod", "minio-0", "-n", "default"));
        await forbidden("carol lists Services", carol("get", "services", "-n", "default"));
        await forbidden("carol deletes a pod", carol("delete", "pod", "minio-0", "-n", "default", "--dry-run=server"));
        // dave: nothing.
        await forbidden("dave lists pods in default", dave("get", "pods", "-n", "default"));
    });

    it("a readiness probe on a port nothing listens on never becomes Ready, and pulumi up says so (the policy pack, which refuses it, is off)", async () => {
        // The lab's mistake (a probe on 80 while nginx listened on 8000) has no config key: the
        // program always probes the port nginx listens on. A scratch program uses its ClockApp
        // component and moves the probe with a transform, as a hand edit of the manifest would.
        const dir = fs.mkdtempSync(path.join(base, "probe-"));
        for (const entry of ["package.json", "tsconfig.json", "components", "node_modules"]) fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: probe-wrong-port\nruntime: nodejs\n");
        fs.writeFileSync(
            path.join(dir, "index.ts"),
            `import * as k8s from "@pulumi/kubernetes";
import { ClockApp } from "./components/apps/clockApp";
const provider = new k8s.Provider("local", { kubeconfig: ${JSON.stringify(process.env.KUBECONFIG)} });
new ClockApp("probe", { app: "probe", version: "1.0", replicas: 1, port: 8080, rolloutTimeoutSeconds: 30 }, {
    provider,
    transforms: [
        async ({ type, props, opts }) => {
            if (type !== "kubernetes:apps/v1:Deployment") return undefined;
            props.spec.template.spec.containers[0].readinessProbe.httpGet.port = 8081;
            return { props, opts };
        },
    ],
});
`,
        );
        fs.mkdirSync(path.join(dir, ".state"));
        const env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${dir}/.state`,
            PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
        const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", "probe", "--non-interactive"], { cwd: dir, env, timeoutMs: 300_000 });
        try {
            const init = await pulumi("stack", "init");
            assert.equal(init.code, 0, init.stderr);
            const refused = await pulumi("preview", "--policy-pack", path.join(ROOT, "policy"));
            assert.notEqual(refused.code, 0);
            assert.match(refused.stdout + refused.stderr, /probe-port-exposed/);
            assert.match(refused.stdout + refused.stderr, /targets port 8081/);

            const r = await pulumi("up", "--yes", "--skip-preview");
            timing("pulumi up with a readiness probe on the wrong port (fails)", r.ms);
            const out = r.stdout + r.stderr;
            assert.notEqual(r.code, 0, tail(out, 30));
            assert.ok(r.ms > 25_000 && r.ms < 30_000 + 180_000, `failed after ${r.ms} ms (timeout 30 s)`);
            assert.match(out, /probe/);
            assert.match(out, /containers with unready status: \[nginx\]|Minimum number of Pods to consider the application live was not attained/, tail(out, 30));
            // The kubelet really probed: the container runs (liveness on 8080 passes, no restart)
            // and has never been Ready.
            const pod = (await kubectlJson("pods", "-n", "default", "-l", "app=probe")).items[0];
            assert.equal(pod.spec.nodeName, REAL_NODE);
            const status = pod.status.containerStatuses[0];
            assert.deepEqual([Boolean(status.state.running), status.ready, status.restartCount], [true, false, 0]);
            const events = await kubectl("get", "events", "-n", "default", "--field-selector", `involvedObject.name=${pod.metadata.name},reason=Unhealthy`, "-o", "jsonpath={.items[*].message}");
            assert.match(events, /Readiness probe failed: Get "http:\/\/10\.245\.0\.\d+:8081\/healthz": dial tcp 10\.245\.0\.\d+:8081: connect: connection refused/);
        } finally {
            const d = await pulumi("destroy", "--yes", "--skip-preview");
            assert.equal(d.code, 0, tail(d.stdout + d.stderr, 20));
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
