// HTTP, S3 and DNS as a client sends them, shared by the e2e files that talk to the platform from
// this machine and by the client host in the lab's LAN (test/e2e/client.ts).
import * as crypto from "node:crypto";
import * as dgram from "node:dgram";
import * as http from "node:http";
import * as net from "node:net";

export interface Answer {
    readonly status: number;
    readonly body: string;
}

/** One GET on a new connection (no keep-alive: every request is balanced by kube-proxy afresh). */
export function get(url: string, opts: { timeoutMs?: number; headers?: Record<string, string>; method?: string; body?: Buffer } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { agent: false, method: opts.method ?? "GET", headers: opts.headers, timeout: opts.timeoutMs ?? 5000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000} ms`)));
        req.on("error", reject);
        req.end(opts.body);
    });
}

/** The version and pod name the clock page shows. */
export function page(body: string): { version?: string; pod?: string } {
    return { version: /<p id="version">Version: ([^<]+)<\/p>/.exec(body)?.[1], pod: /<p id="pod">Pod: ([^<]+)<\/p>/.exec(body)?.[1] };
}

// --- S3 (AWS Signature Version 4), enough for a bucket and an object --------------------------

function hmac(key: Buffer | string, data: string): Buffer {
    return crypto.createHmac("sha256", key).update(data).digest();
}

/** A signed S3 request against `endpoint` (http://host:port) with path-style addressing. */
export async function s3(endpoint: string, creds: { user: string; password: string }, method: string, key: string, body: Buffer = Buffer.alloc(0)): Promise<Answer> {
    const url = new URL(key, endpoint);
    const now = new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "");
    const day = now.slice(0, 8);
    const region = "us-east-1";
    const payloadHash = crypto.createHash("sha256").update(body).digest("hex");
    const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": payloadHash, "x-amz-date": now };
    const signed = Object.keys(headers).sort();
    const canonicalHeaders = signed.map((h) => `${h}:${headers[h]}\n`).join("");
    const canonical = [method, url.pathname, "", canonicalHeaders, signed.join(";"), payloadHash].join("\n");
    const scope = `${day}/${region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", now, scope, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${creds.password}`, day), region), "s3"), "aws4_request");
    const signature = crypto.createHmac("sha256", signingKey).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.user}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`;
    if (body.length) headers["content-length"] = String(body.length);
    return get(url.toString(), { method, headers, body, timeoutMs: 10_000 });
}

// --- DNS (RFC 1035), enough for an A query over UDP or TCP -------------------------------------

export interface DnsAnswer {
    /** The response code (0: no error, 3: no such name). */
    readonly rcode: number;
    /** The A records of the answer section. */
    readonly addresses: string[];
}

function dnsQuery(name: string, id: number): Buffer {
    const labels = name
        .replace(/\.$/, "")
        .split(".")
        .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")]));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x0100, 2); // a standard query, recursion desired
    header.writeUInt16BE(1, 4); // one question
    return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]); // root; type A, class IN
}

/** Skips a (possibly compressed) name at `at`; returns the offset after it. */
function skipName(msg: Buffer, at: number): number {
    for (;;) {
        const len = msg[at];
        if (len === 0) return at + 1;
        if ((len & 0xc0) === 0xc0) return at + 2;
        at += 1 + len;
    }
}

function dnsParse(msg: Buffer, id: number): DnsAnswer {
    if (msg.readUInt16BE(0) !== id) throw new Error(`DNS answer for query ${msg.readUInt16BE(0)}, not ${id}`);
    const rcode = msg.readUInt16BE(2) & 0xf;
    const answers = msg.readUInt16BE(6);
    let at = skipName(msg, 12) + 4;
    const addresses: string[] = [];
    for (let i = 0; i < answers; i++) {
        at = skipName(msg, at);
        const type = msg.readUInt16BE(at);
        const length = msg.readUInt16BE(at + 8);
        if (type === 1 && length === 4) addresses.push([...msg.subarray(at + 10, at + 14)].join("."));
        at += 10 + length;
    }
    return { rcode, addresses };
}

/** An A query for `name` to `server` on port 53, over UDP or TCP, with a timeout. */
export function dns(server: string, name: string, protocol: "udp" | "tcp", timeoutMs = 3000): Promise<DnsAnswer> {
    const id = crypto.randomInt(1, 0xffff);
    const query = dnsQuery(name, id);
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`DNS over ${protocol} to ${server}: no answer after ${timeoutMs} ms`)), timeoutMs);
        let close = () => {};
        const done = (err: Error | undefined, msg?: Buffer) => {
            clearTimeout(timer);
            close();
            if (err) reject(err);
            else {
                try {
                    resolve(dnsParse(msg!, id));
                } catch (e) {
                    reject(e);
                }
            }
        };
        if (protocol === "udp") {
            const socket = dgram.createSocket("udp4");
            close = () => socket.close();
            socket.on("message", (msg) => done(undefined, msg));
            socket.on("error", (e) => done(e));
            socket.send(query, 53, server);
        } else {
            const socket = net.connect(53, server);
            close = () => socket.destroy();
            let buf = Buffer.alloc(0);
            socket.on("connect", () => socket.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
            socket.on("data", (d) => {
                buf = Buffer.concat([buf, d]);
                if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
            });
            socket.on("error", (e) => done(e));
        }
    });
}

export interface LoopResult {
    readonly ok: number;
    readonly failures: string[];
    readonly versions: string[];
}

/** Sequential GETs of `url` every 50 ms until `until` settles; every answer recorded. */
export async function requestLoop<T>(url: string, until: Promise<T>): Promise<{ result: T; loop: LoopResult }> {
    let done = false;
    const failures: string[] = [];
    const versions: string[] = [];
    let ok = 0;
    const loop = (async () => {
        while (!done) {
            try {
                const a = await get(url, { timeoutMs: 3000 });
                if (a.status === 200) ok++;
                else failures.push(`HTTP ${a.status}`);
                versions.push(page(a.body).version ?? "?");
            } catch (e) {
                failures.push(String(e));
            }
            await new Promise((r) => setTimeout(r, 50));
        }
    })();
    const result = await until;
    done = true;
    await loop;
    return { result, loop: { ok, failures, versions } };
}
