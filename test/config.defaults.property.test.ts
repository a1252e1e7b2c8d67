// Partial overrides of nested config objects: setting one key of an object with defaults changes that
// key alone, and every other key keeps the default of that part (MinIO's resources keep MinIO's
// defaults, not a release's). Checked for every leaf of every nested object the schema fills in,
// on the schema itself (config/), so a new object with defaults is covered without a new case.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { configSchema, parseConfig } from "../config";
import { SECRETS } from "./configs";

type Tree = Record<string, unknown>;
const isObject = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A stack whose optional parts are present with only their required keys, so that their nested
 * defaults are filled in too: a release with a canary, an Ingress and a Gateway, the Kickstart, the
 * artifact and the package mirror. Checked by the schema alone (the rules across keys are not the
 * point here: a Gateway without split `gateway` is one of them).
 */
const BASE: Tree = {
    releases: { web: { stable: {}, canary: {}, services: [{ name: "web-svc" }], ingress: {}, gateway: {} } },
    hosts: {
        kickstart: { hostname: "node-1" },
        artifact: { source: "artifact.tar.gz", image: "docker.io/library/alpine:3.20", command: "ls" },
        packages: { mirror: {} },
    },
};

function parse(raw: Tree): Tree {
    const result = configSchema.safeParse(raw);
    assert.ok(result.success, `refused: ${JSON.stringify(result.error?.issues)}`);
    return result.data as Tree;
}

const DEFAULTS = parse(BASE);

/** Every leaf path under a nested object (lists are leaves; a top-level key on its own is not nested). */
function leaves(tree: Tree, at: string[] = []): string[][] {
    return Object.entries(tree).flatMap(([k, v]) => (isObject(v) ? leaves(v, [...at, k]) : at.length > 0 ? [[...at, k]] : []));
}

function get(tree: Tree, path: readonly string[]): unknown {
    return path.reduce<unknown>((t, k) => (isObject(t) ? t[k] : undefined), tree);
}

/** A copy of `tree` with `path` set to `value`, the objects on the way made as needed. */
function set(tree: Tree, path: readonly string[], value: unknown): Tree {
    const [head, ...rest] = path;
    const inner = isObject(tree[head]) ? (tree[head] as Tree) : {};
    return { ...tree, [head]: rest.length === 0 ? value : set(inner, rest, value) };
}

/**
 * The stack with one leaf set. A strategy is a union of presets chosen by its `type`, so a key of a
 * preset comes with its `type` (the preset's other keys still keep their defaults).
 */
function withLeaf(path: readonly string[], value: unknown): Tree {
    const raw = set(BASE, path, value);
    const strategy = path.indexOf("strategy");
    return strategy >= 0 && path[strategy + 1] !== "type" ? set(raw, [...path.slice(0, strategy + 1), "type"], get(DEFAULTS, [...path.slice(0, strategy + 1), "type"])) : raw;
}

const LEAVES = leaves(DEFAULTS);

/** A value for a leaf: any boolean for a switch, the default otherwise (a default given explicitly is still a partial override). */
const leafAndValue = fc.constantFrom(...LEAVES).chain((path) => {
    const value = get(DEFAULTS, path);
    return (typeof value === "boolean" ? fc.boolean() : fc.constant(value)).map((v) => [path, v] as const);
});

describe("config: a partial override of a nested object keeps the other keys' defaults of that part", () => {
    it("the schema has nested objects with defaults to check (MinIO's resources among them)", () => {
        assert.ok(LEAVES.length > 100, `${LEAVES.length} leaves`);
        assert.ok(LEAVES.some((p) => p.join(".") === "minio.resources.limits.memory"));
        assert.ok(LEAVES.some((p) => p.join(".") === "releases.web.resources.requests.cpu"));
    });

    it("every leaf set alone to its default: the whole config is the defaults", () => {
        for (const path of LEAVES) {
            assert.deepEqual(parse(withLeaf(path, get(DEFAULTS, path))), DEFAULTS, path.join("."));
        }
    });

    it("any one leaf set (switches to either value): every other key keeps its part's default (fast-check)", () => {
        fc.assert(
            fc.property(leafAndValue, ([path, value]) => {
                assert.deepEqual(parse(withLeaf(path, value)), set(DEFAULTS, path, value), path.join("."));
            }),
            { seed: 20261124, numRuns: 400 },
        );
    });

    it("minio.resources with only limits.memory: MinIO's own requests and CPU limit stay", () => {
        const cfg = parseConfig({ ...SECRETS, minio: { resources: { limits: { memory: "2Gi" } } } });
        assert.deepEqual(cfg.minio.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "2Gi" } });
    });

    it("minio.resources with only requests: MinIO's own limits stay", () => {
        const cfg = parseConfig({ ...SECRETS, minio: { resources: { requests: { cpu: "500m" } } } });
        assert.deepEqual(cfg.minio.resources, { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } });
    });

    it("a release's resources with only limits.memory: the clock app's own defaults stay", () => {
        const cfg = parseConfig({ ...SECRETS, releases: { web: { stable: {}, services: [{ name: "web-svc" }], resources: { limits: { memory: "128Mi" } } } } });
        assert.deepEqual(cfg.releases.web.resources, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "128Mi" } });
    });

    it("a partial override that puts a request above a default limit is refused by name", () => {
        assert.throws(
            () => parseConfig({ ...SECRETS, minio: { resources: { requests: { memory: "2Gi" } } } }),
            (e: Error) => e.message === 'invalid configuration: minio.resources.requests.memory: "2Gi" is above limits.memory "1Gi" (expected a request at most its limit)',
        );
    });
});
