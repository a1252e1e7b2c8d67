// The lab's LAN of the e2e suite (test/e2e/node.sh): the client host `bmp-client`, a network
// namespace whose only routes lead to the load-balancer pools and to the node, and the node's link
// to it. Requests go from there through test/e2e/client.ts; captures prove where packets went.
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Reply } from "./client";
import { INGRESS_NGINX_CHART_DEFAULT, METALLB_CHART_DEFAULT } from "../../components/network";
import type { DnsAnswer } from "./http";
import { ensureGatewayApiCrds, ensureInstalledNamespaces, eventually, INSTALLED_NAMESPACES, kubectl, kubectlJson, namespacesGone, onlyRealNode, ROOT, run } from "./lib";

export type { Reply };
/** The client host's network namespace and the node's link to it (node.sh's CLIENT_NETNS and LAN_LINK). */
export const CLIENT_NETNS = "bmp-client";
export const LAN_LINK = "bmp-lan0";

const CLIENT = ["ip", "netns", "exec", CLIENT_NETNS, process.execPath, "--import", "tsx", path.join(ROOT, "test", "e2e", "client.ts")];

/** Starts the client with `job`; `stop` (when given) is written later as its second line. */
function startClient(job: object): { stop: () => void; result: Promise<unknown> } {
    const child = spawn(CLIENT[0], CLIENT.slice(1), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.stdin.write(JSON.stringify(job) + "\n");
    const result = new Promise<unknown>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the client in ${CLIENT_NETNS} failed (${code}): ${err.trim()}`))));
    });
    return { stop: () => child.stdin.end("stop\n"), result };
}

/** `count` GETs of `url` from the client host, `concurrency` at a time. */
export async function clientGet(url: string, opts: { headers?: Record<string, string>; count?: number; concurrency?: number } = {}): Promise<Reply[]> {
    const c = startClient({ get: { url, headers: opts.headers, count: opts.count ?? 1, concurrency: opts.concurrency ?? 1 } });
    c.stop();
    return (await c.result) as Reply[];
}

/** GETs of `url` from the client host every `intervalMs`, one at a time, until `until` settles. */
export async function clientLoop<T>(url: string, intervalMs: number, until: Promise<T>, headers?: Record<string, string>): Promise<{ result: T; replies: Reply[] }> {
    const c = startClient({ loop: { url, headers, intervalMs } });
    try {
        const result = await until;
        c.stop();
        return { result, replies: (await c.result) as Reply[] };
    } catch (e) {
        c.stop();
        await c.result.catch(() => undefined);
        throw e;
    }
}

/** An A query from the client host. */
export async function clientDns(server: string, name: string, protocol: "udp" | "tcp"): Promise<DnsAnswer> {
    const c = startClient({ dns: { server, name, protocol } });
    c.stop();
    return (await c.result) as DnsAnswer;
}

/** A signed S3 call from the client host. */
export async function clientS3(endpoint: string, creds: { user: string; password: string }, method: string, key: string, body?: string): Promise<{ status: number; body: string }> {
    const c = startClient({ s3: { endpoint, user: creds.user, password: creds.password, method, key, body } });
    c.stop();
    return (await c.result) as { status: number; body: string };
}

/** A LoadBalancer Service's address once MetalLB has assigned it (up to 60 s). */
export async function lbAddress(namespace: string, name: string): Promise<string> {
    return eventually(`${namespace}/${name}'s address`, 60_000, async () => (await kubectlJson("service", name, "-n", namespace)).status.loadBalancer?.ingress?.[0]?.ip);
}

/** The interfaces of this machine's default routes: where a packet would leave it. */
export async function defaultRouteInterfaces(): Promise<string[]> {
    const r = await run("ip", ["-j", "route", "show", "default"]);
    return [...new Set((JSON.parse(r.stdout || "[]") as { dev: string }[]).map((route) => route.dev))];
}

/** A packet capture (tcpdump) on one interface with a filter, one line per packet. */
export class Capture {
    private readonly child;
    private out = "";
    private err = "";
    private readonly closed: Promise<void>;

    private constructor(
        readonly iface: string,
        readonly filter: string,
    ) {
        // -n: no name lookups (which would themselves send packets); -l: line-buffered.
        this.child = spawn("tcpdump", ["-i", iface, "-n", "-l", "-e", filter], { stdio: ["ignore", "pipe", "pipe"] });
        this.child.stdout.on("data", (d) => (this.out += d));
        this.child.stderr.on("data", (d) => (this.err += d));
        this.closed = new Promise((resolve) => this.child.on("close", () => resolve()));
    }

    /** Starts capturing; resolves once tcpdump listens. */
    static async start(iface: string, filter: string): Promise<Capture> {
        const c = new Capture(iface, filter);
        const deadline = Date.now() + 30_000;
        while (!/listening on/.test(c.err)) {
            if (Date.now() > deadline || c.child.exitCode !== null) throw new Error(`tcpdump on ${iface} did not start: ${c.err.trim()}`);
            await new Promise((r) => setTimeout(r, 100));
        }
        return c;
    }

    /** The packets so far, one line each. */
    get packets(): string[] {
        return this.out.split("\n").filter(Boolean);
    }

    /** Stops the capture; returns every packet it saw. */
    async stop(): Promise<string[]> {
        this.child.kill("SIGINT");
        await this.closed;
        return this.packets;
    }
}

// --- the platform the client reaches ------------------------------------------------------------

const TRAEFIK = path.join(ROOT, "test", "e2e", "addons", "traefik.yaml");

/** k3s's Traefik as the cluster's Gateway controller (test/e2e/addons/traefik.yaml), ready. */
export async function installTraefik(): Promise<void> {
    await kubectl("apply", "--server-side", "-f", TRAEFIK);
    await kubectl("rollout", "status", "-n", "kube-system", "deployment/traefik", "--timeout=180s");
}

export async function removeTraefik(): Promise<void> {
    await run("kubectl", ["delete", "-f", TRAEFIK, "--ignore-not-found", "--wait=true"]);
}

const METALLB_CRDS = path.join(ROOT, "test", "e2e", "fixtures", "metallb-crds.yaml");

/**
 * The cluster as the lab's for a stack of {@link trafficOverrides} or {@link ingressOverrides}: every
 * pod on the real node, the Gateway API CRDs and (`traefik`, default true) k3s's Traefik installed,
 * and MetalLB and ingress-nginx never installed — the fixture's MetalLB CRDs (for the other files'
 * stacks with `install: false`) and the "already installed" namespaces go first, as the program
 * installs the charts itself. {@link labDown} puts them back.
 */
export async function labUp(opts: { traefik?: boolean } = {}): Promise<void> {
    await namespacesGone();
    await onlyRealNode(true);
    await ensureGatewayApiCrds();
    await kubectl("delete", "-f", METALLB_CRDS, "--ignore-not-found", "--wait=true");
    await kubectl("delete", "namespace", ...INSTALLED_NAMESPACES, "--ignore-not-found", "--wait=true", "--timeout=120s");
    if (opts.traefik ?? true) await installTraefik();
}

/** Back as {@link labUp} found it, once the stack is destroyed. */
export async function labDown(): Promise<void> {
    try {
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default", "--wait=false"]);
        await removeTraefik();
        await ensureInstalledNamespaces();
        await kubectl("apply", "-f", METALLB_CRDS);
        await kubectl("wait", "--for=condition=Established", "crd/ipaddresspools.metallb.io", "crd/l2advertisements.metallb.io", "--timeout=60s");
        await namespacesGone();
    } finally {
        await onlyRealNode(false);
    }
}

/**
 * The e2e stack for traffic: the dev stack's lab (MinIO, CoreDNS on 172.17.255.2, the accounts) with
 * MetalLB's chart installed by the program and announcing on the LAN link only, the web release
 * split at a Gateway of k3s's Traefik (listener on its `web` entry point, 8000; canary weight 0 at
 * first), and the clock app
 * on a NodePort and a LoadBalancer Service. ingress-nginx (no controller can run here) is off.
 */
export function trafficOverrides(dev: (key: string) => any): Record<string, unknown> {
    return {
        rolloutTimeoutSeconds: 180,
        metallb: {
            ...dev("metallb"),
            install: true,
            chart: { repo: process.env.BMP_CHART_REPO, version: METALLB_CHART_DEFAULT.version },
            interfaces: [LAN_LINK],
        },
        // The verify step (on by default) runs again on every release change: off here, where the weight
        // and rollout cases change the release often; traffic.e2e.ts's verify case and netpol.e2e.ts turn it on.
        verify: { enabled: false },
        ingressNginx: { enabled: false },
        nginxGateway: { enabled: false },
        dashboard: { enabled: false },
        nodeExporter: { enabled: false },
        releases: {
            clock: {
                app: "clock-nginx",
                stable: { name: "clock-deployment", version: "1.0", replicas: 2 },
                services: [
                    { name: "clock-np", type: "NodePort", port: 80 },
                    { name: "clock-lb", type: "LoadBalancer", port: 80 },
                ],
            },
            web: {
                ...dev("releases").web,
                split: "gateway",
                gateway: { className: "traefik", port: 8000, dataPlaneNamespace: "kube-system" },
                stable: { ...dev("releases").web.stable, replicas: 2 },
                // Weight 0 to start with: without the header every request reaches the stable track.
                canary: { ...dev("releases").web.canary, replicas: 2, weight: 0 },
            },
        },
    };
}

/**
 * The e2e stack for the lab's ingress: {@link trafficOverrides}'s lab with the web release split at
 * ingress-nginx as the dev stack has it (app.local/web, the canary by header and weight; weight 0 at
 * first), the controller's chart installed by the program from the suite's chart repository on the
 * dev stack's address 172.17.255.3, and the verify step at its default (on).
 */
export function ingressOverrides(dev: (key: string) => any): Record<string, unknown> {
    const traffic = trafficOverrides(dev) as Record<string, any>;
    delete traffic.verify;
    return {
        ...traffic,
        ingressNginx: { ...dev("ingressNginx"), install: true, chart: { repo: process.env.BMP_CHART_REPO, version: INGRESS_NGINX_CHART_DEFAULT.version } },
        releases: {
            clock: traffic.releases.clock,
            web: {
                ...dev("releases").web,
                stable: { ...dev("releases").web.stable, replicas: 2 },
                canary: { ...dev("releases").web.canary, replicas: 2, weight: 0 },
            },
        },
    };
}

/** Ready pods of a track (their names, as the page shows them). */
export async function podsOf(namespace: string, app: string, track: string): Promise<Set<string>> {
    const pods = (await kubectlJson("pods", "-n", namespace, "-l", `app=${app},track=${track}`)).items;
    return new Set(pods.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.metadata.name));
}

/** The answers that failed, as "status error". */
export function failures(replies: Reply[]): string[] {
    return replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.error ?? ""}`.trim());
}

/** How many answers came from the canary track (version 1.1). */
export const canaryShare = (replies: Reply[]): number => replies.filter((r) => r.version === "1.1").length;

/** MinIO's root user, from the Secret its StatefulSet reads. */
export async function minioCreds(): Promise<{ user: string; password: string }> {
    const sts = await kubectlJson("statefulset", "minio", "-n", "default");
    const secret = await kubectlJson("secret", sts.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name, "-n", "default");
    return { user: Buffer.from(secret.data.username, "base64").toString(), password: Buffer.from(secret.data.password, "base64").toString() };
}
