// The client host of the lab's LAN: run inside the network namespace `bmp-client` (test/e2e/node.sh)
// by `ip netns exec`, it sends what a user's laptop on the lab's network sends — HTTP requests, DNS
// queries, S3 calls — to the load-balancer and node addresses, and prints what came back as JSON.
// It reads one job (JSON) from its first line of standard input:
//
//   {"get": {"url", "headers"?, "count", "concurrency"?}}   → [{status, version?, pod?, error?, body?, ms}]
//                                                             (body: the first 512 characters of an
//                                                             answer that is not the clock page)
//   {"loop": {"url", "headers"?, "intervalMs"}}             → the same, one request at a time every
//                                                             intervalMs until a line "stop" arrives
//   {"dns": {"server", "name", "protocol": "udp" | "tcp"}}  → {rcode, addresses}
//   {"s3": {"endpoint", "user", "password", "method", "key", "body"?}} → {status, body}
//
// Every request has a timeout and every loop a bound, so the client always ends by itself.
import * as readline from "node:readline";
import { dns, get, page, s3 } from "./http";

export interface Reply {
    readonly status: number;
    readonly version?: string;
    readonly pod?: string;
    readonly error?: string;
    /** The start of an answer that is not the clock app's page (an error page), to tell who answered. */
    readonly body?: string;
    readonly ms: number;
}

/** One request; a failure is a reply with status 0 and the error. */
async function request(url: string, headers: Record<string, string> | undefined, timeoutMs: number): Promise<Reply> {
    const t0 = performance.now();
    try {
        const a = await get(url, { headers, timeoutMs });
        const p = page(a.body);
        return { status: a.status, ...p, ...(p.version === undefined ? { body: a.body.slice(0, 512) } : {}), ms: performance.now() - t0 };
    } catch (e) {
        return { status: 0, error: String(e), ms: performance.now() - t0 };
    }
}

const MAX_LOOP_MS = 300_000;

async function main(): Promise<void> {
    const lines = readline.createInterface({ input: process.stdin });
    const iterator = lines[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw new Error("no job on standard input");
    const job = JSON.parse(first.value);
    let result: unknown;
    if (job.get) {
        const { url, headers, count, concurrency = 1 } = job.get;
        const replies: Reply[] = new Array(count);
        let next = 0;
        const worker = async () => {
            while (next < count) {
                const i = next++;
                replies[i] = await request(url, headers, 5000);
            }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
        result = replies;
    } else if (job.loop) {
        const { url, headers, intervalMs } = job.loop;
        let stop = false;
        void iterator.next().then(() => (stop = true)); // "stop", or the end of standard input
        const replies: Reply[] = [];
        const deadline = Date.now() + MAX_LOOP_MS;
        while (!stop && Date.now() < deadline) {
            replies.push(await request(url, headers, 3000));
            await new Promise((r) => setTimeout(r, intervalMs));
        }
        result = replies;
    } else if (job.dns) {
        result = await dns(job.dns.server, job.dns.name, job.dns.protocol);
    } else if (job.s3) {
        const { endpoint, user, password, method, key, body } = job.s3;
        result = await s3(endpoint, { user, password }, method, key, Buffer.from(body ?? ""));
    } else {
        throw new Error(`unknown job ${first.value}`);
    }
    lines.close();
    process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((e) => {
    process.stderr.write(`client: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
