// Config on the real engine: a misspelt top-level key and a config whose entries would
// collide are refused by the program before the engine registers anything — not by the CLI, not by
// the engine's duplicate-URN check, not by the API server — and a seeded batch of generated configs
// that the program accepts is rendered by the program and accepted whole by the API server's
// server-side dry-run.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import * as YAML from "yaml";
import { parseConfig, readStackConfig } from "../../config";
import { config, stackText } from "../configs";
import { diagnostics, E2E_OVERRIDES, ensureGatewayApiCrds, ensureInstalledNamespaces, run, shippedConfig, Stack, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-config-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe("config refused on the engine, before anything is registered", () => {
    const cases: [string, Record<string, unknown>, string][] = [
        [
            "a misspelt top-level key (the CLI lets it through; the program names it)",
            { metalb: { addresses: ["172.17.255.1-172.17.255.255"] } },
            `metalb: unknown key (did you mean "metallb"? allowed: cluster, rolloutTimeoutSeconds, releases, metallb, ingressNginx, nginxGateway, coredns, dashboard, access, minio, nodeExporter, security, verify, hosts, hostsSshPrivateKey, kickstartPassword, minioRootUser, minioRootPassword)`,
        ],
        [
            "two releases whose Services flatten to one resource name (the engine would refuse the whole program)",
            {
                releases: {
                    a: { stable: {}, services: [{ name: "b-web" }] },
                    "a-b": { stable: {}, services: [{ name: "web" }] },
                },
            },
            `releases.a-b.services[0].name: "web" makes the Pulumi resource CanaryRelease/Service "a-b-web", as releases.a.services[0].name does (expected unique resource names, which the engine requires: rename one of them)`,
        ],
    ];
    for (const [title, overrides, expected] of cases) {
        it(title, async () => {
            const stack = await Stack.create("refused", { from: "dev", base, overrides: { ...E2E_OVERRIDES(dev), ...overrides } });
            try {
                const preview = await stack.pulumi("preview");
                const out = preview.stdout + preview.stderr;
                assert.notEqual(preview.code, 0);
                assert.doesNotMatch(out, /validating stack config|Duplicate resource URN|at parseConfig/, tail(out, 30));
                // The program's one line, said once.
                assert.equal(diagnostics(out)[0], `invalid configuration: ${expected}`);
                assert.equal(diagnostics(out).filter((l) => l.includes(expected)).length, 1, tail(out, 30));
                const up = await stack.pulumi("up", "--yes", "--skip-preview");
                assert.notEqual(up.code, 0);
                // The engine registers the stack itself before the program runs; the program registers nothing.
                assert.deepEqual(
                    (await stack.resources()).map((r) => r.type),
                    ["pulumi:pulumi:Stack"],
                );
            } finally {
                stack.remove();
            }
        });
    }
});

/** How many generated configs the dry-run batch renders (each is one `pulumi up` in render mode). */
const BATCH = Number(process.env.BMP_DRY_RUN_BATCH ?? 4);
const SEED = 20261123;

/**
 * BATCH generated configs with a release that the program accepts under the e2e stack's constraints:
 * the first with each split among them, then the first others.
 */
function acceptedBatch(): Record<string, unknown>[] {
    const accepted: Record<string, unknown>[] = [];
    for (const doc of fc.sample(config, { seed: SEED, numRuns: 400 })) {
        // MinIO's secrets come from the dev stack file (encrypted); the charts are not installed here.
        const keys = Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith("minioRoot")));
        // A batch of configs with at least one release each: the app objects are the most varied.
        if (Object.keys(keys.releases as object).length === 0) continue;
        const candidate = { ...keys, ...E2E_OVERRIDES((k) => keys[k]) };
        try {
            parseConfig(readStackConfig(stackText({ ...candidate, minioRootUser: "admin", minioRootPassword: "longenough" })));
        } catch {
            continue;
        }
        accepted.push(candidate);
    }
    // The first config of each split (replicas, ingress, gateway), then the first others.
    const splits = (c: Record<string, unknown>) => Object.values(c.releases as Record<string, { split?: string }>).map((r) => r.split ?? "replicas");
    const batch: Record<string, unknown>[] = [];
    for (const split of ["replicas", "ingress", "gateway"]) {
        const first = accepted.find((c) => !batch.includes(c) && splits(c).includes(split));
        if (first !== undefined && batch.length < BATCH) batch.push(first);
    }
    for (const c of accepted) if (batch.length < BATCH && !batch.includes(c)) batch.push(c);
    return batch;
}

/** The rendered manifests: every YAML document under `dir`, with its file. */
function renderedDocuments(dir: string): { file: string; doc: any }[] {
    return fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".yaml"))
        .flatMap((f) =>
            YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"))
                .map((d) => d.toJS())
                .filter((doc) => doc)
                .map((doc) => ({ file: path.join(dir, f), doc })),
        );
}

describe("generated configs, rendered by the program, accepted by the API server (server-side dry-run)", () => {
    const batch = acceptedBatch();
    it(`the batch is ${BATCH} accepted configs (seed ${SEED})`, () => assert.equal(batch.length, BATCH));
    batch.forEach((candidate, i) => {
        it(`config ${i + 1} of ${BATCH}: releases ${Object.entries(candidate.releases as Record<string, { split?: string }>)
            .map(([name, r]) => `${name} (${r.split ?? "replicas"})`)
            .join(", ")}`, async () => {
            await ensureInstalledNamespaces();
            await ensureGatewayApiCrds();
            const out = fs.mkdtempSync(path.join(base, "rendered-"));
            const stack = await Stack.create("dryrun", { from: "dev", base, overrides: { ...candidate, cluster: { renderYamlTo: out } } });
            const created: string[] = [];
            try {
                const up = await stack.up();
                timing(`render of generated config ${i + 1}`, up.ms);
                const docs = renderedDocuments(out);
                assert.ok(docs.length > 0, "the program rendered objects");
                // Namespaces are created for real (a dry-run object needs its namespace to exist).
                for (const { doc } of docs.filter((d) => d.doc.kind === "Namespace")) {
                    if ((await run("kubectl", ["get", "namespace", doc.metadata.name])).code !== 0) {
                        const r = await run("kubectl", ["create", "namespace", doc.metadata.name]);
                        assert.equal(r.code, 0, r.stderr);
                        created.push(doc.metadata.name);
                    }
                }
                const rest = docs.filter((d) => d.doc.kind !== "Namespace");
                const file = path.join(out, "all.json");
                fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: rest.map((d) => d.doc) }));
                const dry = await run("kubectl", ["apply", "--dry-run=server", "--validate=strict", "-f", file]);
                assert.equal(dry.code, 0, `the API server refused:\n${dry.stderr}\n${tail(dry.stdout, 20)}`);
                const accepted = dry.stdout.split("\n").filter((l) => /\((server dry run)\)$/.test(l.trim()));
                assert.equal(accepted.length, rest.length, dry.stdout);
                console.log(`# dry-run: ${rest.length} objects accepted (${[...new Set(rest.map((d) => d.doc.kind))].sort().join(", ")})`);
            } finally {
                for (const ns of created) await run("kubectl", ["delete", "namespace", ns, "--timeout=120s"]);
                stack.remove();
            }
        });
    });
});
