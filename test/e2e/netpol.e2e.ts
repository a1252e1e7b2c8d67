// Who can reach what, enforced for real: the program's NetworkPolicies on k3s's enforcer (kube-router's
// policy controller, started by test/e2e/node.sh on the real node), measured with real connections
// from a pod in every namespace that matters and from the client host on the lab's LAN, and compared
// cell by cell with what the program's own rules say (docs/security.md), in three settings each
// reached by one `pulumi up`: the default policies, `security.extraSourceNamespaces: [monitoring]`,
// and `security.networkPolicies: false`. Every connection targets this machine's own cluster.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as YAML from "yaml";
import { networkPolicyPlan, parseConfig } from "../../config";
import { clientDns, clientGet, labDown, labUp, lbAddress, trafficOverrides } from "./lan";
import { eventually, kubectl, kubectlJson, REAL_NODE, run, shippedConfig, Stack, stepLines, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-netpol-"));
const BUSYBOX = "docker.io/library/busybox:1.37.0";
const PROBE = "netpol-probe";
/** The namespace the stack does not know (the lab's "another namespace"). */
const STRANGER = "bmp-stranger";
const MONITORING = "monitoring";
/** The ingress (Gateway) controller's namespace: k3s's Traefik, the data plane of the web release's Gateway. */
const CONTROLLER_NS = "kube-system";
const DNS = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, address: "10.96.0.10", port: 53 };
const DNS_NAME = "kubernetes.default.svc.cluster.local";

/**
 * The matrix's stack: the traffic stack (real MetalLB, Traefik's Gateway, CoreDNS, MinIO, the accounts'
 * namespaces) with the nginx release back (stable and canary behind one ClusterIP Service) and web
 * published by its Gateway only — so that nginx and web are open to their namespace and the Gateway's
 * data plane alone, while clock and MinIO are published (NodePort, LoadBalancer) and open to anywhere.
 */
function matrixOverrides(): Record<string, any> {
    const o = trafficOverrides(dev);
    const releases = o.releases as Record<string, any>;
    // The ClusterIP Service first: the Gateway's backend, copied beside the canary pods (canary/web-svc-cip).
    releases.web.services = dev("releases")
        .web.services.filter((s: any) => s.type !== "NodePort" && s.type !== "LoadBalancer")
        .sort((a: any, b: any) => (a.type === "ClusterIP" ? -1 : b.type === "ClusterIP" ? 1 : 0));
    releases.nginx = { ...dev("releases").nginx, stable: { ...dev("releases").nginx.stable, replicas: 1 }, canary: { ...dev("releases").nginx.canary, replicas: 1 } };
    // The verify step on, as by default: it runs inside each pulumi up of the file, under the policies.
    o.verify = { enabled: true };
    return o;
}

/** The stack's config as the program parses it (secrets do not decide any policy: placeholders). */
function parsedConfig(stack: Stack) {
    const doc = YAML.parse(fs.readFileSync(stack.configFile, "utf8")).config as Record<string, unknown>;
    const raw = Object.fromEntries(Object.entries(doc).map(([k, v]) => [k.replace(/^bare-metal-platform:/, ""), v]));
    return parseConfig({ ...raw, minioRootUser: "placeholder", minioRootPassword: "placeholder-password" });
}

// --- the expected matrix, from the program's rules ----------------------------------------------

/** A destination: a Service's address or a pod's, on one port, of pods with these labels. */
interface Destination {
    readonly column: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    /** The pod's port the connection ends on (a Service's target port). */
    readonly podPort: number;
    readonly protocol: "TCP" | "UDP";
    readonly probe: "http" | "dns-udp" | "dns-tcp";
    readonly host: string;
    readonly port: number;
}

const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Whether a pod in `source` (a namespace) reaches `d`, by the rules docs/security.md states and
 * config/security.ts's plan lists: an app namespace (one the plan opens anything in) denies
 * everything in and out by default; its pods may send DNS to kube-dns and reach their own
 * namespace's pods; a workload's port is open to the sources its opening names (anywhere; the
 * ingress controller's namespace; its own namespace; the extra source namespaces; a Gateway's data
 * plane). Any other namespace is neither restricted nor protected.
 */
function expected(cfg: ReturnType<typeof parseConfig>, plan: ReturnType<typeof networkPolicyPlan>, source: string, d: Destination): boolean {
    const egress = !(source in plan) || (d.namespace === DNS.namespace && selects(DNS.labels, d.labels) && d.podPort === DNS.port) || d.namespace === source;
    if (!egress) return false;
    if (!(d.namespace in plan)) return true;
    const controllerNs = cfg.ingressNginx.enabled ? cfg.ingressNginx.namespace : undefined;
    return plan[d.namespace].some(
        (o) =>
            selects(o.podSelector, d.labels) &&
            d.protocol === "TCP" &&
            o.ports.includes(d.podPort) &&
            (o.from.includes("anywhere") ||
                (o.from.includes("sameNamespace") && source === d.namespace) ||
                (o.from.includes("ingressController") && source === controllerNs) ||
                (o.fromNamespaces ?? []).includes(source) ||
                cfg.security.extraSourceNamespaces.includes(source)),
    );
}

// --- measuring -----------------------------------------------------------------------------------

/** The in-cluster destinations: each app's Service and one of its pods, kube-dns over UDP and TCP. */
async function destinations(): Promise<Destination[]> {
    const out: Destination[] = [];
    const app = async (column: string, namespace: string, service: string, selector: string) => {
        const svc = await kubectlJson("service", service, "-n", namespace);
        const pods = (await kubectlJson("pods", "-n", namespace, "-l", selector)).items.filter((p: any) => p.status.podIP && !p.metadata.deletionTimestamp);
        assert.ok(pods.length > 0, `a pod of ${namespace}/${selector}`);
        const pod = pods[0];
        const target = svc.spec.ports[0].targetPort;
        // A named target port is the container port of that name.
        const podPort: number = typeof target === "number" ? target : pod.spec.containers.flatMap((c: any) => c.ports ?? []).find((p: any) => p.name === target)?.containerPort;
        assert.ok(podPort, `${namespace}/${service}'s target port ${target} on ${pod.metadata.name}`);
        const labels = pod.metadata.labels;
        out.push({ column: `${column} svc`, namespace, labels, podPort, protocol: "TCP", probe: "http", host: svc.spec.clusterIP, port: svc.spec.ports[0].port });
        out.push({ column: `${column} pod`, namespace, labels, podPort, protocol: "TCP", probe: "http", host: pod.status.podIP, port: podPort });
    };
    await app("clock", "default", "clock-np", "app=clock-nginx");
    await app("nginx", "default", "nginx-svc", "app=nginx");
    await app("web", "default", "web-svc-cip", "app=web,track=stable");
    await app("web-canary", "canary", "web-svc-cip", "app=web,track=canary");
    await app("minio", "default", "minio-svc-lb", "app=minio");
    const dnsLabels = (await kubectlJson("pods", "-n", DNS.namespace, "-l", "k8s-app=kube-dns")).items[0].metadata.labels;
    for (const [probe, protocol] of [
        ["dns-udp", "UDP"],
        ["dns-tcp", "TCP"],
    ] as const) {
        out.push({ column: `kube-dns ${protocol.toLowerCase()}`, namespace: DNS.namespace, labels: dnsLabels, podPort: DNS.port, protocol, probe, host: DNS.address, port: DNS.port });
    }
    return out;
}

/** A DNS query for DNS_NAME over TCP (RFC 1035 4.2.2: length-prefixed), as printf's octal escapes. */
function tcpDnsQuery(): string {
    const name = Buffer.concat([...DNS_NAME.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    const msg = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, 1, 0, 1])]);
    const framed = Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
    return [...framed].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
}

/**
 * The shell script a probe pod runs: every destination at once, each line "<index> ok" or
 * "<index> no <what happened>", each bounded by `timeout` (Debian's busybox wget has no -T). HTTP: any HTTP answer is a reached port (MinIO answers 403 to an
 * anonymous GET). DNS: an answer naming DNS_NAME (UDP) or an answer of more than a header (TCP).
 */
function probeScript(ds: readonly Destination[]): string {
    const lines = [
        "probe() {",
        '  case "$2" in',
        '  http) out=$(timeout 4 wget -S -O /dev/null "http://$3:$4/" 2>&1); echo "$out" | grep -q "HTTP/1" && echo "$1 ok" || echo "$1 no $(echo "$out" | tail -1)" ;;',
        `  dns-udp) out=$(timeout 5 nslookup -type=a ${DNS_NAME} "$3" 2>&1); echo "$out" | grep -q "^Name:" && echo "$1 ok" || echo "$1 no $(echo "$out" | tail -1)" ;;`,
        `  dns-tcp) n=$(printf '${tcpDnsQuery()}' | timeout 4 nc -w 3 "$3" "$4" | wc -c); [ "$n" -gt 14 ] && echo "$1 ok" || echo "$1 no $n bytes" ;;`,
        "  esac",
        "}",
        ...ds.map((d, i) => `probe ${i} ${d.probe} ${d.host} ${d.port} &`),
        "wait",
    ];
    return lines.join("\n") + "\n";
}

/** One row: what a pod in `namespace` reaches, by column. */
async function measureRow(namespace: string, ds: readonly Destination[]): Promise<Map<string, { ok: boolean; detail: string }>> {
    const r = await run("kubectl", ["exec", "-i", "-n", namespace, PROBE, "--", "sh"], { input: probeScript(ds), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `probe in ${namespace}: ${r.stderr}`);
    const row = new Map<string, { ok: boolean; detail: string }>();
    for (const line of r.stdout.split("\n").filter(Boolean)) {
        const [i, verdict, ...rest] = line.split(" ");
        row.set(ds[Number(i)].column, { ok: verdict === "ok", detail: rest.join(" ") });
    }
    return row;
}

/** The probe pod of a namespace: busybox, as the restricted Pod Security level allows, on the real node. */
function probePod(namespace: string) {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: PROBE, namespace, labels: { app: PROBE } },
        spec: {
            nodeName: REAL_NODE,
            terminationGracePeriodSeconds: 0,
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "probe",
                    image: BUSYBOX,
                    imagePullPolicy: "Never",
                    command: ["sleep", "3600"],
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                },
            ],
        },
    };
}

/** The verify step's namespace (verify.namespace's default): let in to the unpublished apps. */
const VERIFY_NS = "platform-verify";
const SOURCES = ["default", "canary", "dev", "prometheus", MONITORING, CONTROLLER_NS, VERIFY_NS, STRANGER];

type Matrix = Map<string, Map<string, { ok: boolean; detail: string }>>;
/** Each setting's measured matrix, by name, for the cells that change between them. */
const matrices: Record<string, Matrix> = {};

async function measure(ds: readonly Destination[]): Promise<Matrix> {
    const rows = await Promise.all(SOURCES.map(async (s) => [s, await measureRow(s, ds)] as const));
    return new Map(rows);
}

/** The cells that differ from `cfg`'s rules, one line each. */
function differences(cfg: ReturnType<typeof parseConfig>, ds: readonly Destination[], m: Matrix): string[] {
    const out: string[] = [];
    const plan = networkPolicyPlan(cfg);
    for (const s of SOURCES) {
        for (const d of ds) {
            const want = expected(cfg, plan, s, d);
            const got = m.get(s)?.get(d.column);
            if (got?.ok !== want) out.push(`${s} → ${d.column} (${d.host}:${d.port}/${d.protocol}): expected ${want ? "✓" : "✗"}, measured ${got?.ok ? "✓" : `✗ ${got?.detail ?? "no answer"}`}`);
        }
    }
    return out;
}

function printMatrix(title: string, ds: readonly Destination[], m: Matrix): void {
    const width = Math.max(...SOURCES.map((s) => s.length));
    console.log(`# ${title}`);
    console.log(`# ${"".padEnd(width)}  ${ds.map((d) => d.column).join(" | ")}`);
    for (const s of SOURCES) {
        console.log(`# ${s.padEnd(width)}  ${ds.map((d) => (m.get(s)?.get(d.column)?.ok ? "✓" : "✗").padEnd(d.column.length)).join(" | ")}`);
    }
}

/**
 * The matrix measured until it matches the rules (the enforcer applies a change within seconds of
 * the API server's event; up to 60 s), printed; fails naming every cell that still differs.
 */
async function assertMatrix(key: string, title: string, cfg: ReturnType<typeof parseConfig>): Promise<Matrix> {
    const ds = await destinations();
    const t0 = Date.now();
    let m = await measure(ds);
    let diff = differences(cfg, ds, m);
    while (diff.length > 0 && Date.now() - t0 < 60_000) {
        await new Promise((r) => setTimeout(r, 3000));
        m = await measure(ds);
        diff = differences(cfg, ds, m);
    }
    matrices[key] = m;
    printMatrix(`${title} (${SOURCES.length} sources × ${ds.length} destinations, measured in ${((Date.now() - t0) / 1000).toFixed(1)} s)`, ds, m);
    assert.deepEqual(diff, [], `${title}: cells that differ from the program's rules`);
    return m;
}

/** The cells whose value differs between two matrices, as "source → column: ✗ → ✓". */
function changed(a: Matrix, b: Matrix): string[] {
    const out: string[] = [];
    for (const [s, row] of b) {
        for (const [c, cell] of row) {
            const before = a.get(s)?.get(c)?.ok;
            if (before !== cell.ok) out.push(`${s} → ${c}: ${before ? "✓" : "✗"} → ${cell.ok ? "✓" : "✗"}`);
        }
    }
    return out.sort();
}

// --- from outside --------------------------------------------------------------------------------

/** The published entry points from the client host (NodePort, LoadBalancer, the Gateway, CoreDNS's shared address): each must answer. */
async function outside(): Promise<string[]> {
    const node = (await kubectlJson("node", REAL_NODE)).status.addresses.find((a: any) => a.type === "InternalIP").address;
    const nodePort = (await kubectlJson("service", "clock-np", "-n", "default")).spec.ports[0].nodePort;
    const gateway = await lbAddress("kube-system", "traefik");
    const http: Array<[string, string, Record<string, string>?]> = [
        ["clock NodePort", `http://${node}:${nodePort}/`],
        ["clock LoadBalancer", `http://${await lbAddress("default", "clock-lb")}/`],
        ["web through the Gateway", `http://${gateway}/web`, { host: "app.local" }],
        ["web canary through the Gateway", `http://${gateway}/web`, { host: "app.local", canary: "always" }],
        ["MinIO LoadBalancer", `http://${await lbAddress("default", "minio-svc-lb")}:9000/`],
    ];
    const failed: string[] = [];
    for (const [what, url, headers] of http) {
        const [r] = await clientGet(url, { headers });
        const ok = r.status > 0 && r.status < 500;
        console.log(`#   outside → ${what} (${url}): ${ok ? "✓" : "✗"} ${r.status || r.error}`);
        if (!ok) failed.push(`outside → ${what}: ${r.status} ${r.error ?? ""}`.trim());
    }
    for (const protocol of ["udp", "tcp"] as const) {
        const server = await lbAddress("kube-system", `coredns-svc-lb-${protocol}`);
        const a = await clientDns(server, DNS_NAME, protocol).catch((e) => ({ rcode: -1, addresses: [String(e)] }));
        const ok = a.rcode === 0;
        console.log(`#   outside → CoreDNS ${server}:53/${protocol}: ${ok ? "✓" : "✗"} ${a.addresses.join(",")}`);
        if (!ok) failed.push(`outside → CoreDNS ${protocol}: ${JSON.stringify(a)}`);
    }
    return failed;
}

/** The lab's probe (report 004): `kubectl run busybox` in another namespace, `wget` a Service. */
async function labProbe(): Promise<{ code: number; out: string }> {
    const r = await run(
        "kubectl",
        [
            "run",
            `busybox-${Date.now()}`,
            "-n",
            STRANGER,
            `--image=${BUSYBOX}`,
            "--image-pull-policy=Never",
            "--restart=Never",
            "--rm",
            "-i",
            "--quiet",
            "--command",
            "--",
            "sh",
            "-c",
            // A second first, so that kubectl has attached before wget answers.
            "sleep 1; timeout 5 wget -q -O- http://web-svc-cip.default/",
        ],
        { timeoutMs: 90_000 },
    );
    return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

// --- the cases -----------------------------------------------------------------------------------

let stack: Stack;
let createdMonitoring = false;

before(async () => {
    await labUp();
    stack = await Stack.create("netpol", { from: "dev", base, overrides: matrixOverrides() });
    const r = await stack.up();
    timing("pulumi up from empty (the matrix's stack)", r.ms);
    createdMonitoring = (await run("kubectl", ["get", "namespace", MONITORING])).code !== 0;
    for (const ns of [MONITORING, STRANGER]) await run("kubectl", ["create", "namespace", ns]);
    for (const ns of SOURCES) await run("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(probePod(ns)) });
    for (const ns of SOURCES) await kubectl("wait", "--for=condition=Ready", `pod/${PROBE}`, "-n", ns, "--timeout=120s");
});

after(async () => {
    try {
        for (const ns of SOURCES) await run("kubectl", ["delete", "pod", PROBE, "-n", ns, "--ignore-not-found", "--wait=false"]);
        await run("kubectl", ["delete", "namespace", STRANGER, ...(createdMonitoring ? [MONITORING] : []), "--ignore-not-found", "--wait=false"]);
        if (stack) await stack.destroy();
        await labDown();
    } finally {
        stack?.remove();
        fs.rmSync(base, { recursive: true, force: true });
    }
});

describe("NetworkPolicies on a real enforcer (kube-router's policy controller, as k3s runs it)", () => {
    it("the enforcer runs on the real node and has programmed the app namespaces' policies", async () => {
        const rules = await run("iptables", ["-S"]);
        assert.match(rules.stdout, /-A FORWARD .*-j KUBE-ROUTER-FORWARD/, "kube-router's chain hooks FORWARD");
        const policies = (await kubectlJson("networkpolicies", "-A")).items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
        console.log(`# policies: ${policies.join(", ")}`);
        // One chain per policy (KUBE-NWPLCY-…), named from the policy's namespace and name.
        await eventually("a chain per policy", 30_000, async () => ((await run("iptables", ["-S"])).stdout.match(/^-N KUBE-NWPLCY-/gm)?.length ?? 0) >= policies.length || undefined);
    });

    it("the default policies: every cell as the program's rules say, from every namespace and from outside", async () => {
        await assertMatrix("default", "default policies", parsedConfig(stack));
        assert.deepEqual(await outside(), [], "from outside");
    });

    it("the lab's probe — kubectl run busybox in another namespace, wget a Service — is refused", async () => {
        const r = await labProbe();
        console.log(`# kubectl run busybox -n ${STRANGER} … wget http://web-svc-cip.default/: exit ${r.code}: ${r.out.split("\n").find((l) => /wget/.test(l))}`);
        // Refused by the enforcer (REJECT: "Connection refused"), not failed for another reason.
        assert.match(r.out, /can't connect to remote host \([0-9.]+\): Connection refused/, `exit ${r.code}: ${r.out}`);
    });

    it("security.extraSourceNamespaces: [monitoring], by one pulumi up: exactly monitoring's cells to the apps open", async () => {
        stack.setConfig({ security: { extraSourceNamespaces: [MONITORING] } });
        const { steps } = await stack.preview();
        console.log(`# preview: ${stepLines(steps).join("; ")}`);
        await stack.up();
        await assertMatrix("extra", "extraSourceNamespaces: [monitoring]", parsedConfig(stack));
        const change = changed(matrices.default, matrices.extra);
        console.log(`# changed cells: ${change.join("; ")}`);
        assert.ok(change.length > 0, "some cells change");
        assert.ok(
            change.every((c) => c.startsWith(`${MONITORING} → `) && c.endsWith("✗ → ✓")),
            change.join("\n"),
        );
        assert.deepEqual(await outside(), [], "from outside");
    });

    it("security.networkPolicies: false, by one pulumi up: every cell open; the lab's probe answered", async () => {
        stack.setConfig({ security: { networkPolicies: false } });
        await stack.up();
        assert.deepEqual((await kubectlJson("networkpolicies", "-A")).items, []);
        const cfg = parsedConfig(stack);
        await assertMatrix("open", "networkPolicies: false", cfg);
        for (const row of matrices.open.values()) for (const cell of row.values()) assert.ok(cell.ok);
        console.log(`# changed cells from the default policies: ${changed(matrices.default, matrices.open).length}`);
        const r = await labProbe();
        console.log(`# kubectl run busybox -n ${STRANGER} … wget http://web-svc-cip.default/: exit ${r.code}`);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /1\.0/, "the stable page");
        assert.deepEqual(await outside(), [], "from outside");
    });
});
