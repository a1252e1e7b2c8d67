// The lab's ingress for real: ingress-nginx's own controller (its chart from the controller's
// source, its image built from that source with its nginx, LuaJIT and Lua modules) on the real node
// behind the real MetalLB, and MinIO's own server; the lab's requests sent from the client host on
// the lab's LAN (test/e2e/lan.ts) to the dev stack's ingress address 172.17.255.3: the `/web`
// rewrite, the Dashboard's path rule (HTTPS to its proxy), the canary by header and by weight,
// ingress-nginx's own 404 and admission webhook, no failed request during a rollout and a
// promotion, and MinIO's object surviving its pod.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { canaryShare, CLIENT_NETNS, clientGet, clientLoop, clientS3, failures, ingressOverrides, labDown, labUp, lbAddress, minioCreds, podsOf } from "./lan";
import { eventually, kubectl, kubectlJson, REAL_NODE, ROOT, run, shippedConfig, sortedStepLines, Stack, stepLines, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-ingress-"));
const HOST = "app.local";
const CANARY = { canary: "always" };
/** The dev stack's ingress address (Pulumi.dev.yaml's ingressNginx.loadBalancerIP), which the README's curls use. */
const INGRESS = "172.17.255.3";

let stack: Stack;

function editWeb(edit: (web: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.web);
    stack.setConfig({ releases });
}

/** The Dashboard "already installed" (test/e2e/dashboard-standin.yaml): its proxy's Service, answered over HTTPS. */
const DASHBOARD = path.join(ROOT, "test", "e2e", "dashboard-standin.yaml");

async function dashboardUp(): Promise<void> {
    const tls = fs.mkdtempSync(path.join(base, "tls-"));
    await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kubernetes-dashboard-kong-proxy", "-keyout", `${tls}/tls.key`, "-out", `${tls}/tls.crt`]);
    await kubectl("apply", "-f", DASHBOARD);
    await kubectl("create", "secret", "tls", "dashboard-standin-tls", "-n", "kubernetes-dashboard", `--cert=${tls}/tls.crt`, `--key=${tls}/tls.key`);
}

before(async () => {
    await labUp({ traefik: false });
    await dashboardUp();
    // The dev stack's Dashboard (enabled there) published through the ingress; the chart is already installed.
    stack = await Stack.create("ingress", { from: "dev", base, overrides: { ...ingressOverrides(dev), dashboard: { ...dev("dashboard"), install: false } } });
    const r = await stack.up();
    timing("pulumi up from empty (real MetalLB and ingress-nginx, verify on)", r.ms);
});

after(async () => {
    try {
        if (stack) await stack.destroy();
        await run("kubectl", ["delete", "namespace", "kubernetes-dashboard", "--ignore-not-found", "--wait=true"]);
        await labDown();
    } finally {
        stack?.remove();
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("the lab's requests through the real ingress-nginx", () => {
    it("ingress-nginx's own controller runs on the real node, on the dev stack's address, with its admission webhook's certificate in place", async () => {
        const pods = (await kubectlJson("pods", "-n", "ingress-nginx", "-l", "app.kubernetes.io/component=controller")).items;
        assert.deepEqual(
            pods.map((p: any) => [p.spec.nodeName, p.status.phase, p.spec.containers[0].image]),
            [[REAL_NODE, "Running", "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1"]],
        );
        assert.equal(await lbAddress("ingress-nginx", "ingress-nginx-controller"), INGRESS);
        assert.equal((await stack.outputs()).ingressAddress, INGRESS);
        // The address on the Ingress is the controller's own (the suite's stand-in steps aside for it).
        const log = await kubectl("logs", "-n", "ingress-nginx", pods[0].metadata.name, "--tail", "-1");
        assert.match(log, /NGINX Ingress controller\s+Release:\s+v1\.15\.1/);
        assert.match(log, /"updating Ingress status" namespace="default" ingress="web" currentValue=null newValue=\[\{"ip":"172\.17\.255\.3"\}\]/, "the controller wrote the Ingress's status");
        const webhook = await kubectlJson("validatingwebhookconfiguration", "ingress-nginx-admission");
        assert.ok(webhook.webhooks[0].clientConfig.caBundle?.length > 0, "the patch Job put the CA into the webhook");
        assert.equal(webhook.webhooks[0].failurePolicy, "Fail");
    });

    it("GET /web with Host app.local: the stable page 1.0 from a stable pod, the app seeing / (the rewrite); a path the Ingress does not name is ingress-nginx's 404", async () => {
        const stable = await podsOf("default", "web", "stable");
        const replies = await clientGet(`http://${INGRESS}/web`, { headers: { host: HOST }, count: 20 });
        assert.deepEqual(failures(replies), []);
        for (const r of replies) {
            assert.equal(r.version, "1.0");
            assert.ok(r.pod && stable.has(r.pod), `pod ${r.pod} is a stable pod (${[...stable].join(", ")})`);
        }
        const probe = `probe-${Date.now()}`;
        const [one] = await clientGet(`http://${INGRESS}/web?${probe}`, { headers: { host: HOST } });
        assert.equal(one.status, 200);
        await eventually("the rewritten request in nginx's log", 15_000, async () =>
            (await kubectl("logs", "-n", "default", one.pod!, "-c", "nginx", "--tail", "-1")).includes(`"GET /?${probe} HTTP/1.1" 200`) ? true : undefined,
        );
        const [other] = await clientGet(`http://${INGRESS}/other`, { headers: { host: HOST } });
        assert.equal(other.status, 404, "only /web is routed");
        assert.match(other.body ?? "", /<center>nginx<\/center>/, "the 404 is ingress-nginx's own page");
    });

    it("/dashboard through the ingress's path rule, as the lab opens it (no Host): the Dashboard's Service answers over HTTPS, the prefix stripped", async () => {
        await kubectl("rollout", "status", "deployment/dashboard-standin", "-n", "kubernetes-dashboard", "--timeout=60s");
        const [login] = await clientGet(`http://${INGRESS}/dashboard/api/v1/login?probe=1`);
        assert.equal(login.status, 200);
        assert.equal(login.body, "dashboard stand-in over https: /api/v1/login?probe=1\n");
        const [root] = await clientGet(`http://${INGRESS}/dashboard`, { headers: { host: "dashboard.lab" } });
        assert.equal(root.status, 200, "the rule names no host: any host but the releases' own reaches it");
        assert.equal(root.body, "dashboard stand-in over https: /\n");
        // ingress-nginx serves a host named by an Ingress from that host's rules only.
        const [onAppHost] = await clientGet(`http://${INGRESS}/dashboard`, { headers: { host: HOST } });
        assert.equal(onAppHost.status, 404, "app.local has only /web");
    });

    it("with the canary header: the canary page, 100 times of 100", async () => {
        const canary = await podsOf("canary", "web", "canary");
        const replies = await clientGet(`http://${INGRESS}/web`, { headers: { host: HOST, ...CANARY }, count: 100, concurrency: 4 });
        assert.deepEqual(failures(replies), []);
        assert.equal(canaryShare(replies), 100);
        assert.ok(
            replies.every((r) => r.pod && canary.has(r.pod)),
            `every pod a canary pod (${[...canary].join(", ")})`,
        );
    });

    it("weight 50: between 35 % and 65 % canary over 200 requests; weight 0: none of 100; weight 100: all of 100 — each by pulumi up, seen within 10 s", async () => {
        const url = `http://${INGRESS}/web`;
        for (const weight of [50, 0, 100, 0]) {
            editWeb((w) => (w.canary.weight = weight));
            const { steps } = await stack.preview();
            // The canary Ingress, and the verify step, which runs again on every release change (shipped default).
            assert.deepEqual(stepLines(steps), sortedStepLines(["update kubernetes:networking.k8s.io/v1:Ingress web-canary-ingress", "replace kubernetes:batch/v1:Job verify"]));
            await stack.up();
            const t0 = Date.now();
            await eventually(`weight ${weight} in traffic`, 10_000, async () => {
                const share = canaryShare(await clientGet(url, { headers: { host: HOST }, count: 10 }));
                return (weight === 50 ? share > 0 && share < 10 : share === weight / 10) ? true : undefined;
            });
            console.log(`# weight ${weight} seen in traffic ${((Date.now() - t0) / 1000).toFixed(1)} s after pulumi up`);
            const count = weight === 50 ? 200 : 100;
            const replies = await clientGet(url, { headers: { host: HOST }, count, concurrency: 4 });
            assert.deepEqual(failures(replies), []);
            const share = canaryShare(replies);
            console.log(`# weight ${weight}: ${share} of ${count} canary`);
            if (weight === 50) assert.ok(share >= 70 && share <= 130, `${share} of 200 canary`);
            else assert.equal(share, (weight / 100) * count, `weight ${weight}`);
        }
    });

    it("ingress-nginx's admission webhook refuses a second Ingress for app.local/web, with its own message", async () => {
        const claim = {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name: "web-claim", namespace: "default" },
            spec: {
                ingressClassName: "nginx",
                rules: [{ host: HOST, http: { paths: [{ path: "/web", pathType: "Prefix", backend: { service: { name: "web-svc-cip", port: { number: 80 } } } }] } }],
            },
        };
        const r = await run("kubectl", ["create", "-f", "-"], { input: JSON.stringify(claim) });
        assert.notEqual(r.code, 0, "refused");
        console.log(`# ingress-nginx's answer: ${r.stderr.trim()}`);
        assert.match(r.stderr, /admission webhook "validate\.nginx\.ingress\.kubernetes\.io" denied the request: host "app\.local" and path "\/web" is already defined in ingress default\/web/);
        assert.equal((await run("kubectl", ["get", "ingress", "web-claim", "-n", "default"])).code, 1, "nothing was created");
    });

    it("MinIO's own server through its LoadBalancer address: an object PUT and read back with the stack's credentials, still there after its pod was deleted", async () => {
        const creds = await minioCreds();
        const endpoint = `http://${await lbAddress("default", "minio-svc-lb")}:9000`;
        assert.equal((await clientS3(endpoint, creds, "PUT", "/lab")).status, 200);
        const body = `written from ${CLIENT_NETNS} at ${new Date().toISOString()}`;
        assert.equal((await clientS3(endpoint, creds, "PUT", "/lab/note.txt", body)).status, 200);
        assert.deepEqual(await clientS3(endpoint, creds, "GET", "/lab/note.txt"), { status: 200, body });
        const wrong = await clientS3(endpoint, { user: creds.user, password: `${creds.password}x` }, "GET", "/lab/note.txt");
        assert.equal(wrong.status, 403, "a wrong secret is refused");
        assert.match(wrong.body, /<Code>SignatureDoesNotMatch<\/Code>/, "by MinIO's own S3 error");
        const before = (await kubectlJson("pod", "minio-0", "-n", "default")).metadata.uid;
        await kubectl("delete", "pod", "minio-0", "-n", "default", "--wait=true");
        await kubectl("rollout", "status", "statefulset/minio", "-n", "default", "--timeout=120s");
        assert.notEqual((await kubectlJson("pod", "minio-0", "-n", "default")).metadata.uid, before, "a new pod");
        const back = await eventually("the object read back from the new pod", 60_000, async () => {
            const got = await clientS3(endpoint, creds, "GET", "/lab/note.txt");
            return got.status === 200 ? got : undefined;
        });
        assert.deepEqual(back, { status: 200, body });
    });

    it("the lab's day-2 operations with the shipped defaults (verify on) on real pods: scale 2 → 4 → 10 → 1 → 0 → 3 (0 passes, its checks skipped), the broken 1.2 and its rollback", async () => {
        const DEPLOYMENT = "kubernetes:apps/v1:Deployment web-stable";
        const PDB = "kubernetes:policy/v1:PodDisruptionBudget web-stable-pdb";
        const VERIFY = "replace kubernetes:batch/v1:Job verify";
        // The track's budget: 25 % of its pods (at least 1) may go at once, only above one pod.
        const budget: Record<number, { steps: string[]; maxUnavailable?: number }> = {
            4: { steps: [], maxUnavailable: 1 },
            10: { steps: [`update ${PDB}`], maxUnavailable: 2 },
            1: { steps: [`delete ${PDB}`] },
            0: { steps: [] },
            3: { steps: [`create ${PDB}`], maxUnavailable: 1 },
        };
        for (const replicas of [4, 10, 1, 0, 3]) {
            editWeb((w) => (w.stable.replicas = replicas));
            assert.deepEqual(stepLines((await stack.preview()).steps), sortedStepLines([`update ${DEPLOYMENT}`, ...budget[replicas].steps, VERIFY]), `to ${replicas}`);
            const r = await stack.up();
            const d = await kubectlJson("deployment", "web", "-n", "default");
            assert.deepEqual([d.spec.replicas, d.status.readyReplicas ?? 0], [replicas, replicas]);
            const pdb = await run("kubectl", ["get", "pdb", "web", "-n", "default", "-o", "jsonpath={.spec.maxUnavailable}"]);
            assert.equal(pdb.code === 0 ? Number(pdb.stdout) : undefined, budget[replicas].maxUnavailable, `budget at ${replicas}`);
            const verified = await kubectl("logs", "-n", "platform-verify", "-l", "app=verify", "--tail", "-1").catch(() => "");
            console.log(`# scale to ${replicas}: pulumi up ${(r.ms / 1000).toFixed(1)} s; verify: ${verified.trim().split("\n").join(" | ")}`);
            if (replicas === 0) assert.match(r.stdout, /kubernetes:batch\/v1:Job verify replaced/);
        }
        // The lab's broken release: its pods never start, so the rollout times out (rolloutTimeoutSeconds,
        // 40 s here) and pulumi up fails naming the Deployment; the verify Job, beside the rollout, finds
        // only the old version answering within its 20 s and says so; the old pods keep answering meanwhile.
        stack.setConfig({ rolloutTimeoutSeconds: 40 });
        editWeb((w) => Object.assign(w.stable, { version: "1.2", broken: true }));
        const broken = await clientLoop(`http://${INGRESS}/web`, 200, stack.pulumi("up", "--yes", "--skip-preview"), { host: HOST });
        const said = broken.result.stdout + broken.result.stderr;
        assert.notEqual(broken.result.code, 0, tail(said, 30));
        assert.match(said, /kubernetes:apps\/v1:Deployment \(web-stable\):\s+error: /, tail(said, 30));
        assert.match(said, /release web, Service default\/\S+: expected version 1\.2, got version 1\.0/, tail(said, 30));
        assert.deepEqual(failures(broken.replies), [], `${broken.replies.length} requests while the broken release rolled`);
        assert.deepEqual([...new Set(broken.replies.map((r) => r.version))], ["1.0"], "only the old pods answered");
        editWeb((w) => {
            w.stable.version = "1.0";
            delete w.stable.broken;
        });
        stack.setConfig({ rolloutTimeoutSeconds: 180 });
        await stack.up();
        const back = await clientGet(`http://${INGRESS}/web`, { headers: { host: HOST }, count: 10 });
        assert.deepEqual(failures(back), []);
        assert.deepEqual([...new Set(back.map((r) => r.version))], ["1.0"]);
        assert.deepEqual(stepLines((await stack.preview()).steps), []);
    });

    it("no failed request through the ingress while web rolls 1.0 → 1.1 and while its canary is promoted", async () => {
        const url = `http://${INGRESS}/web`;
        editWeb((w) => (w.stable.version = "1.1"));
        const rollout = await clientLoop(url, 50, stack.up(), { host: HOST });
        timing("pulumi up of the rollout 1.0 → 1.1 under requests every 50 ms (verify on)", rollout.result.ms);
        assert.deepEqual(failures(rollout.replies), [], `${rollout.replies.length} requests`);
        assert.ok(rollout.replies.length >= 20, `${rollout.replies.length} requests during the rollout`);
        console.log(`# rollout: ${rollout.replies.length} requests, all 200; versions seen: ${[...new Set(rollout.replies.map((r) => r.version))].join(", ")}`);
        editWeb((w) => {
            w.stable.version = w.canary.version;
            delete w.canary;
        });
        const promotion = await clientLoop(url, 50, stack.up(), { host: HOST });
        assert.deepEqual(failures(promotion.replies), [], `${promotion.replies.length} requests`);
        console.log(`# promotion: ${promotion.replies.length} requests, all 200`);
        const after = await clientGet(url, { headers: { host: HOST, ...CANARY }, count: 20 });
        assert.ok(
            after.every((r) => r.status === 200 && r.version === "1.1"),
            "after the promotion, the header reaches the stable track (1.1)",
        );
        assert.deepEqual(stepLines((await stack.preview()).steps), []);
    });

    it("the usual drift check in CI on an unchanged cluster shows nothing, the finished verify Job included (it stays until it is replaced)", async () => {
        // Longer than the 30 s after which Kubernetes would delete a Job with a TTL: none is set.
        await new Promise((r) => setTimeout(r, 35_000));
        const jobs = (await kubectlJson("jobs", "-n", "platform-verify", "-l", "app=verify")).items;
        assert.deepEqual(
            jobs.map((j: any) => j.status.conditions?.find((c: any) => c.type === "Complete")?.status),
            ["True"],
            "one finished verify Job",
        );
        const r = await stack.pulumi("preview", "--refresh", "--expect-no-changes");
        assert.equal(r.code, 0, tail(r.stdout + r.stderr, 30));
    });
});
