// The lab's traffic for real: MetalLB's own controller and speaker (installed by the program from
// its chart), CoreDNS and Traefik (the cluster's, as k3s has them) on the real node, and a client
// host on the lab's LAN (test/e2e/lan.ts) sending the lab's requests to the load-balancer
// addresses: the Gateway's header and weight split with its rewrite, CoreDNS on its shared address,
// MinIO's S3 API, the clock app's NodePort and LoadBalancer Services; no failed request during a
// rollout and a promotion; and no packet of the pools on this machine's own interfaces.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    canaryShare,
    Capture,
    CLIENT_NETNS,
    clientDns,
    clientGet,
    clientLoop,
    clientS3,
    defaultRouteInterfaces,
    failures,
    LAN_LINK,
    labDown,
    labUp,
    lbAddress,
    minioCreds,
    podsOf,
    trafficOverrides,
} from "./lan";
import { s3 } from "./http";
import { changedSteps, eventually, kubectl, kubectlJson, REAL_NODE, run, shippedConfig, Stack, stepLines, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-traffic-"));
/** The load-balancer ranges cluster.sh keeps `unreachable` on this machine: none may appear on its interfaces. */
const POOL_NETS = (process.env.BMP_LB_RANGES ?? "172.17.255.0/24 192.168.56.0/24").split(" ");
const HOST = "app.local";
const CANARY = { canary: "always" };
/** A pool of addresses no route leads to (TEST-NET-3), held by a pool that is not the program's. */
const FOREIGN_POOL = "203.0.113.0/24";

let stack: Stack;
let leaks: Capture[] = [];
let lan: Capture;
let gateway: string;

function editWeb(edit: (web: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.web);
    stack.setConfig({ releases });
}

before(async () => {
    // Nothing of the pools may appear on the machine's own interfaces (from here to the end), while
    // the LAN link shows the speaker's ARP answers (the capture's positive control).
    leaks = await Promise.all((await defaultRouteInterfaces()).map((i) => Capture.start(i, POOL_NETS.map((n) => `net ${n}`).join(" or "))));
    lan = await Capture.start(LAN_LINK, "arp");
    await labUp();
    stack = await Stack.create("traffic", { from: "dev", base, overrides: trafficOverrides(dev) });
    const r = await stack.up();
    timing("pulumi up from empty (real MetalLB, Traefik's Gateway)", r.ms);
    gateway = (await stack.outputs()).gatewayAddresses.web;
});

after(async () => {
    try {
        if (stack) await stack.destroy();
        await run("kubectl", ["delete", "ipaddresspool", "-n", "metallb-system", "foreign", "--ignore-not-found"]);
        await labDown();
    } finally {
        stack?.remove();
        for (const c of [...leaks, lan]) await c?.stop();
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("the lab's traffic through the real MetalLB, CoreDNS and Traefik", () => {
    it("MetalLB's own controller assigned every LoadBalancer address and its speaker announces them from the real node", async () => {
        const pods = (await kubectlJson("pods", "-n", "metallb-system")).items;
        assert.deepEqual(pods.map((p: any) => [p.metadata.labels["app.kubernetes.io/component"], p.spec.nodeName, p.status.phase]).sort(), [
            ["controller", REAL_NODE, "Running"],
            ["speaker", REAL_NODE, "Running"],
        ]);
        const l2 = await kubectlJson("l2advertisement", "default", "-n", "metallb-system");
        assert.deepEqual(l2.spec.interfaces, [LAN_LINK]);
        const services: Array<[string, string]> = [
            ["default", "clock-lb"],
            ["default", "web-svc-lb"],
            ["default", "minio-svc-lb"],
            ["kube-system", "coredns-svc-lb-tcp"],
            ["kube-system", "coredns-svc-lb-udp"],
            ["kube-system", "traefik"],
        ];
        const events = (await kubectlJson("events", "-A", "--field-selector", "involvedObject.kind=Service")).items;
        for (const [ns, name] of services) {
            const ip = await lbAddress(ns, name);
            // The controller's and the speaker's own events: no stand-in writes them.
            const of = events.filter((e: any) => e.involvedObject.namespace === ns && e.involvedObject.name === name);
            assert.ok(
                of.some((e: any) => e.reason === "IPAllocated" && e.source?.component === "metallb-controller"),
                `${ns}/${name} (${ip}): MetalLB's controller allocated it: ${of.map((e: any) => e.reason).join(", ")}`,
            );
            await eventually(`${ns}/${name} announced`, 30_000, async () => {
                const ev = (await kubectlJson("events", "-n", ns, "--field-selector", `involvedObject.name=${name}`)).items;
                return ev.some((e: any) => e.reason === "nodeAssigned" && /announcing from node "real-node" with protocol "layer2"/.test(e.message)) ? true : undefined;
            });
        }
        assert.equal(await lbAddress("kube-system", "coredns-svc-lb-udp"), "172.17.255.2");
        assert.equal(await lbAddress("kube-system", "coredns-svc-lb-tcp"), "172.17.255.2");
        assert.equal(gateway, await lbAddress("kube-system", "traefik"), "the Gateway reports Traefik's address");
    });

    it("GET /web with Host app.local through the Gateway: the stable page, rewritten to /", async () => {
        const stable = await podsOf("default", "web", "stable");
        const replies = await clientGet(`http://${gateway}/web`, { headers: { host: HOST }, count: 20 });
        assert.deepEqual(failures(replies), []);
        for (const r of replies) {
            assert.equal(r.version, "1.0");
            assert.ok(r.pod && stable.has(r.pod), `pod ${r.pod} is a stable pod (${[...stable].join(", ")})`);
        }
        // The app saw "/" (the HTTPRoute's URLRewrite), with the query kept: nginx's own log says so.
        const probe = `probe-${Date.now()}`;
        const [one] = await clientGet(`http://${gateway}/web?${probe}`, { headers: { host: HOST } });
        assert.equal(one.status, 200);
        await eventually("the rewritten request in nginx's log", 15_000, async () =>
            (await kubectl("logs", "-n", "default", one.pod!, "-c", "nginx", "--tail", "-1")).includes(`"GET /?${probe} HTTP/1.1" 200`) ? true : undefined,
        );
        const other = await clientGet(`http://${gateway}/other`, { headers: { host: HOST } });
        assert.equal(other[0].status, 404, "only /web is routed");
    });

    it("with the canary header: the canary page, 100 times of 100", async () => {
        const canary = await podsOf("canary", "web", "canary");
        const replies = await clientGet(`http://${gateway}/web`, { headers: { host: HOST, ...CANARY }, count: 100, concurrency: 4 });
        assert.deepEqual(failures(replies), []);
        assert.equal(canaryShare(replies), 100);
        assert.ok(
            replies.every((r) => r.pod && canary.has(r.pod)),
            `every pod a canary pod (${[...canary].join(", ")})`,
        );
    });

    it("weight 50: between 35 % and 65 % canary over 200 requests; weight 0: none of 100; weight 100: all of 100 — each by pulumi up, seen within 10 s", async () => {
        const url = `http://${gateway}/web`;
        for (const weight of [50, 0, 100, 0]) {
            editWeb((w) => (w.canary.weight = weight));
            const { steps } = await stack.preview();
            assert.deepEqual(stepLines(steps), ["update kubernetes:gateway.networking.k8s.io/v1:HTTPRoute web-route"]);
            await stack.up();
            const t0 = Date.now();
            // Seen: a sample of 10 fits the weight (50: both tracks answer).
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

    it("the verify step, turned on, fails pulumi up naming a Service that selects no pod and a route sent to the wrong backend, where every other await passed; a release change and pulumi up --refresh repair both", async () => {
        // Drift behind Pulumi's back, which no await sees: a Service whose selector matches no pod, and the
        // header rule of the HTTPRoute sent to the stable Service.
        await kubectl("patch", "service", "web-svc-cip", "-n", "default", "--type=merge", "-p", JSON.stringify({ spec: { selector: { app: "nothing" } } }));
        const route = (await kubectlJson("httproute", "-n", "default", "-l", "app=web")).items[0];
        const rules = route.spec.rules;
        const stableRef = rules[1].backendRefs.find((b: any) => b.namespace === undefined);
        rules[0].backendRefs = [{ ...stableRef, weight: undefined }];
        await kubectl("patch", "httproute", route.metadata.name, "-n", "default", "--type=merge", "-p", JSON.stringify({ spec: { rules } }));
        // The checks are asked again until rolloutTimeoutSeconds less 20 s before they fail: 90 s here,
        // not the file's 180 s (room for rollouts on a loaded machine), so the failure comes 90 s
        // sooner; the repair below scales by one replica, well within 90 s.
        stack.setConfig({ verify: { enabled: true }, rolloutTimeoutSeconds: 90 });
        const r = await stack.pulumi("up", "--yes", "--skip-preview");
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, tail(out, 40));
        const lines = [
            ...new Set(
                out
                    .split("\n")
                    .filter((l) => /^\s*(\* \[Pod [^\]]*\]: \[Error\] )?release web, /.test(l))
                    .map((l) => l.replace(/^.*?release web, /, "release web, ").trim()),
            ),
        ];
        console.log(`# verify's lines:\n${lines.map((l) => `#   ${l}`).join("\n")}`);
        assert.ok(
            lines.some((l) => /^release web, Service default\/web-svc-cip: expected version 1\.0, got no answer/.test(l)),
            tail(out, 40),
        );
        assert.ok(
            lines.some((l) => l === "release web, route app.local/web (canary: always): expected version 1.1, got version 1.0"),
            tail(out, 40),
        );
        assert.equal(lines.length, 2, "nothing else failed");
        // Repaired by the usual moves: a release change (the stable track's replicas) runs the step again,
        // and `pulumi up --refresh` sees the drift and puts the Service and the route back first.
        editWeb((w) => (w.stable.replicas = 3));
        await stack.up("--refresh");
        assert.deepEqual(stepLines((await stack.preview()).steps), []);
        assert.deepEqual((await kubectlJson("service", "web-svc-cip", "-n", "default")).spec.selector, { app: "web", track: "stable" });
        stack.setConfig({ verify: { enabled: false }, rolloutTimeoutSeconds: 180 });
        await stack.up();
    });

    it("CoreDNS on the shared address 172.17.255.2 answers over UDP and TCP", async () => {
        for (const protocol of ["udp", "tcp"] as const) {
            const answer = await clientDns("172.17.255.2", "kubernetes.default.svc.cluster.local", protocol);
            assert.deepEqual(answer, { rcode: 0, addresses: ["10.96.0.1"] }, protocol);
        }
        const missing = await clientDns("172.17.255.2", "nothing.default.svc.cluster.local", "udp");
        assert.equal(missing.rcode, 3, "no such name");
    });

    it("MinIO through its LoadBalancer address: an object PUT and read back", async () => {
        const creds = await minioCreds();
        const endpoint = `http://${await lbAddress("default", "minio-svc-lb")}:9000`;
        assert.equal((await clientS3(endpoint, creds, "PUT", "/traffic")).status, 200);
        const body = `written from ${CLIENT_NETNS} at ${new Date().toISOString()}`;
        assert.equal((await clientS3(endpoint, creds, "PUT", "/traffic/note.txt", body)).status, 200);
        assert.deepEqual(await clientS3(endpoint, creds, "GET", "/traffic/note.txt"), { status: 200, body });
    });

    it("the state moved off this machine into a MinIO bucket as docs/stacks-and-state.md says: export, init, import, then a preview with no changes", async () => {
        // The commands of the page, on the real CLI, against this stack's MinIO (its S3 API at the Service's
        // cluster address, which this machine reaches through kube-proxy) and a bucket made for it.
        const endpoint = `http://${(await kubectlJson("service", "minio-svc-lb", "-n", "default")).spec.clusterIP}:9000`;
        const creds = await minioCreds();
        assert.equal((await s3(endpoint, creds, "PUT", "/pulumi-state")).status, 200);
        const checkpoint = path.join(stack.dir, "dev.checkpoint.json");
        await stack.pulumiOk("stack", "export", "--file", checkpoint);
        const bucket = {
            AWS_ACCESS_KEY_ID: creds.user,
            AWS_SECRET_ACCESS_KEY: creds.password,
            PULUMI_BACKEND_URL: `s3://pulumi-state?endpoint=${endpoint}&s3ForcePathStyle=true&region=us-east-1`,
        };
        const ok = async (...args: string[]) => {
            const r = await stack.pulumiWith(bucket, ...args);
            assert.equal(r.code, 0, `pulumi ${args.join(" ")}: ${tail(r.stdout + r.stderr, 30)}`);
            return r;
        };
        await ok("stack", "init");
        await ok("stack", "import", "--file", checkpoint);
        fs.rmSync(checkpoint);
        const preview = await ok("preview", "--json");
        assert.deepEqual(stepLines(changedSteps(JSON.parse(preview.stdout))), [], "no changes: the same resources, from the bucket");
        // The state is in the bucket now: the stack's checkpoint object, encrypted secrets and all.
        const object = await s3(endpoint, creds, "GET", `/pulumi-state/.pulumi/stacks/bare-metal-platform/${stack.name}.json`);
        assert.equal(object.status, 200, "the stack's checkpoint in the bucket");
        assert.equal(JSON.parse(object.body).checkpoint.stack, `organization/bare-metal-platform/${stack.name}`);
        console.log(`# state moved to s3://pulumi-state (${endpoint}): preview from the bucket proposes nothing`);
    });

    it("the clock app through its NodePort and its LoadBalancer Service", async () => {
        const pods = await podsOf("default", "clock-nginx", "stable");
        const node = (await kubectlJson("node", REAL_NODE)).status.addresses.find((a: any) => a.type === "InternalIP").address;
        const nodePort = (await kubectlJson("service", "clock-np", "-n", "default")).spec.ports[0].nodePort;
        for (const url of [`http://${node}:${nodePort}/`, `http://${await lbAddress("default", "clock-lb")}/`]) {
            const replies = await clientGet(url, { count: 10 });
            assert.deepEqual(failures(replies), [], url);
            assert.ok(
                replies.every((r) => r.version === "1.0" && pods.has(r.pod!)),
                `${url}: ${JSON.stringify(replies.map((r) => [r.version, r.pod]))}`,
            );
        }
    });

    it("an IPAddressPool that overlaps another is refused by MetalLB's own webhook, through pulumi up", async () => {
        const foreign = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "foreign", namespace: "metallb-system" }, spec: { addresses: [FOREIGN_POOL], autoAssign: false } };
        const created = await run("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(foreign) });
        assert.equal(created.code, 0, created.stderr);
        const metallb = stack.config("metallb");
        stack.setConfig({ metallb: { ...metallb, addresses: [...metallb.addresses, "203.0.113.16/28"] } });
        try {
            const r = await stack.pulumi("up", "--yes", "--skip-preview");
            const out = r.stdout + r.stderr;
            assert.notEqual(r.code, 0);
            console.log(`# MetalLB's answer: ${/admission webhook[^\n]*/.exec(out)?.[0]}`);
            assert.match(out, /admission webhook "ipaddresspoolvalidationwebhook\.metallb\.io" denied the request: [^\n]*overlaps/, tail(out, 30));
        } finally {
            stack.setConfig({ metallb });
        }
        const pool = await kubectlJson("ipaddresspool", "default", "-n", "metallb-system");
        assert.ok(!pool.spec.addresses.includes("203.0.113.16/28"), "the pool is unchanged");
        await kubectl("delete", "ipaddresspool", "-n", "metallb-system", "foreign");
        // The engine keeps the refused inputs as the pool's last attempt: with the config put back,
        // the next preview updates the pool back to them (a no-op in the cluster), then nothing.
        assert.deepEqual(stepLines((await stack.preview()).steps), ["update kubernetes:metallb.io/v1beta1:IPAddressPool metallb-pool"]);
        await stack.up();
        assert.deepEqual((await kubectlJson("ipaddresspool", "default", "-n", "metallb-system")).spec, pool.spec);
        assert.deepEqual(stepLines((await stack.preview()).steps), []);
    });

    it("no failed request through the Gateway while web rolls 1.0 → 1.1 and while its canary is promoted", async () => {
        const url = `http://${gateway}/web`;
        editWeb((w) => (w.stable.version = "1.1"));
        const rollout = await clientLoop(url, 50, stack.up(), { host: HOST });
        timing("pulumi up of the rollout 1.0 → 1.1 under requests every 50 ms", rollout.result.ms);
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
    });

    it("nothing of the pools left through the machine's own interfaces; the LAN link carried the speaker's ARP answers", async () => {
        const arp = lan.packets.filter((p) => /is-at/.test(p) && POOL_NETS.some((n) => p.includes(n.split(".").slice(0, 3).join("."))));
        assert.ok(arp.length > 0, `the speaker answered ARP on ${LAN_LINK}:\n${lan.packets.slice(0, 10).join("\n")}`);
        console.log(`# ${LAN_LINK}: ${arp.length} ARP answers for pool addresses, e.g. ${arp[0]}`);
        for (const c of leaks) {
            assert.deepEqual(c.packets, [], `packets of the pools on ${c.iface}`);
            console.log(`# ${c.iface} (a default route's interface): 0 packets matching "${c.filter}"`);
        }
    });
});
