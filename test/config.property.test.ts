// The config guarantee, on generated configs: for every config generated from the schema's
// space — valid ones with names drawn from small pools, so that collisions are frequent, and mutated
// ones with a value replaced by junk — either the program refuses it with a config error and
// registers nothing, or, run on the mocks, it registers no URN twice and no two Kubernetes objects
// with one kind, namespace and name — and the Kubernetes objects it registers are exactly the plan's
// (plan/platform.ts: kind, namespace, name and Pulumi resource name), so that the plan the
// checks read cannot drift from what the components declare. Seeded: a failure prints its seed and
// the shrunk config, which then becomes a named case in config.crosschecks.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig, planOf, readStackConfig, type PlatformConfig } from "../config";
import { COMPONENT_NAMES, pulumiType } from "../plan";
import { config, mutatedConfig, stackText } from "./configs";
import { recorded, registeredObjects, registeredUrns, registrations, reset, settle } from "./harness";

/** Fixed so that a run is reproducible; BMP_PROPERTY_SEED explores others (a failure names its seed). */
const SEED = Number(process.env.BMP_PROPERTY_SEED ?? 20261123);
const RUNS = Number(process.env.BMP_PROPERTY_RUNS ?? 150);

/** Runs index.ts on the mocks with this raw config; returns the error it stopped with, if any. */
async function runProgram(raw: Record<string, unknown>): Promise<unknown> {
    reset();
    pulumi.runtime.setAllConfig(stackText(raw), ["bare-metal-platform:minioRootUser", "bare-metal-platform:minioRootPassword"]);
    delete require.cache[require.resolve("../index")];
    let error: unknown;
    try {
        require("../index");
    } catch (e) {
        error = e;
    }
    await settle();
    return error;
}

function duplicates(list: readonly string[]): string[] {
    const seen = new Set<string>();
    return [...new Set(list.filter((x) => seen.has(x) || !seen.add(x)))];
}

/** kind namespace/name of every Kubernetes object the program named (autonamed ones are unique by construction). */
function objectIds(): string[] {
    return recorded
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm") && r.inputs?.metadata?.name !== undefined)
        .map((r) => `${r.type} ${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);
}

/** The objects the plan says the program registers, as registeredObjects() writes them. */
export function plannedObjects(cfg: PlatformConfig): string[] {
    return planOf(cfg)
        .declared()
        .map((o) => `${pulumiType(o)} ${o.resource?.name} ${o.namespace ?? ""}/${o.name ?? "<named by Pulumi>"}`)
        .sort();
}

/** The components the program registered (`<Type> <name>`), the hosts' aside (they are no part of the cluster's plan). */
function registeredComponents(): string[] {
    return recorded
        .filter((r) => r.type.startsWith("platform:") && !r.type.startsWith("platform:hosts:"))
        .map((r) => `${r.type.split(":")[2]} ${r.name}`)
        .sort();
}

/** `Type name` of a URN (`…::platform:apps:CanaryRelease$kubernetes:apps/v1:Deployment::web-stable` → `Deployment web-stable`). */
const keyOf = (urn: string) => {
    const [, , types, name] = urn.split("::");
    return `${types.split("$").pop()!.split(":").pop()} ${name}`;
};

/**
 * The waits the program registered, per top-level component, against the plan's (plan.waits): the
 * namespaces and the components the component itself depends on, and the components its objects
 * depend on besides (its LoadBalancer Services', Ingresses', Gateway's parts). The verify step's
 * objects also read the releases' Services and the ingress's address (data, not waits: asserted in
 * program.dev.test.ts), so only its own waits are compared.
 */
function waitsHeld(cfg: PlatformConfig): void {
    const plan = planOf(cfg);
    const byUrn = new Map(registrations.map((r) => [r.urn, r]));
    /** The top-level component an URN belongs to (itself, for a top-level one). */
    const owner = (urn: string): string => {
        const parent = byUrn.get(urn)?.parent;
        return parent && byUrn.has(parent) && byUrn.get(parent)!.urn.includes("::platform:") ? owner(parent) : urn;
    };
    const namespaceUrn = registrations.find((r) => keyOf(r.urn) === `Namespaces ${COMPONENT_NAMES.namespaces}`)!.urn;
    /** The namespace a child of the Namespaces component makes or labels, by its metadata.name. */
    const namespaceOf = (urn: string) => recorded.find((r) => r.custom && `${r.type.split(":").pop()} ${r.name}` === keyOf(urn))!.inputs.metadata.name as string;
    const made = new Set(registrations.filter((r) => r.parent === namespaceUrn).map((r) => namespaceOf(r.urn)));
    const components = (deps: readonly string[], self: string) =>
        [
            ...new Set(
                deps
                    .map(owner)
                    .filter((o) => o !== self && o !== namespaceUrn)
                    .map(keyOf),
            ),
        ].sort();
    const tops = registrations.filter((r) => r.urn.includes("::platform:") && owner(r.urn) === r.urn && !r.urn.includes("::platform:hosts:") && r.urn !== namespaceUrn);
    for (const c of tops) {
        const [type, name] = keyOf(c.urn).split(" ");
        const w = plan.waits(type, name);
        const keys = (part: (p: string) => boolean) =>
            w.on
                .filter((x) => part(x.part))
                .map((x) => `${x.type} ${x.name}`)
                .sort();
        const namespaces = c.dependencies
            .filter((d) => owner(d) === namespaceUrn)
            .map(namespaceOf)
            .sort();
        assert.deepEqual(namespaces, [...new Set(w.namespaces.filter((ns) => made.has(ns)))].sort(), `${type} ${name} waits for its namespaces`);
        assert.deepEqual(
            components(c.dependencies, c.urn),
            keys((p) => p === "all"),
            `${type} ${name} waits as a whole for what the plan says`,
        );
        if (type === "Verify") continue;
        const objects = registrations.filter((r) => r.urn !== c.urn && owner(r.urn) === c.urn).flatMap((r) => r.dependencies);
        assert.deepEqual(
            components(objects, c.urn),
            keys((p) => p !== "all"),
            `${type} ${name}: its objects wait for what the plan says`,
        );
    }
}

async function holds(doc: Record<string, unknown>): Promise<void> {
    // What the program reads: the stack's text values, objects as JSON (a number or a word stays text).
    const raw = readStackConfig(stackText(doc));
    let refused: unknown;
    let cfg: PlatformConfig | undefined;
    try {
        cfg = parseConfig(raw);
    } catch (e) {
        refused = e;
    }
    if (refused !== undefined && !(refused instanceof ConfigError)) throw refused;
    const error = await runProgram(doc);
    if (refused !== undefined) {
        assert.ok(error instanceof pulumi.RunError, `the program should stop with the config error: ${String(error)}`);
        assert.equal((error as Error).message, (refused as Error).message);
        assert.deepEqual(recorded, [], "a refused config registers nothing");
        return;
    }
    assert.equal(error, undefined, `an accepted config runs: ${String(error)}`);
    assert.deepEqual(duplicates(registeredUrns), [], "no URN registered twice");
    assert.deepEqual(duplicates(objectIds()), [], "no Kubernetes object declared twice");
    assert.deepEqual(registeredObjects(), plannedObjects(cfg as PlatformConfig), "the registered Kubernetes objects are the plan's");
    const components = planOf(cfg as PlatformConfig).components.map((c) => `${c.type} ${c.name}`);
    assert.deepEqual(registeredComponents(), components.sort(), "the registered components are the plan's (index.ts names them by COMPONENT_NAMES)");
    waitsHeld(cfg as PlatformConfig);
}

describe("config: generated configs (fast-check)", () => {
    it(`valid-shaped configs with colliding names: refused, or no duplicate URN or object (seed ${SEED}, ${RUNS} runs)`, async () => {
        await fc.assert(fc.asyncProperty(config, holds), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    });
    it(`mutated configs: refused with a config error and nothing registered, or safe (seed ${SEED}, ${RUNS} runs)`, async () => {
        await fc.assert(fc.asyncProperty(mutatedConfig, holds), { seed: SEED + 1, numRuns: RUNS, endOnFailure: true });
    });
    it("the generator reaches both outcomes (a property that only ever refuses would prove nothing)", () => {
        const outcomes = fc.sample(config, { seed: SEED, numRuns: 200 }).map((doc) => {
            try {
                parseConfig(readStackConfig(stackText(doc)));
                return "accepted";
            } catch {
                return "refused";
            }
        });
        const accepted = outcomes.filter((o) => o === "accepted").length;
        assert.ok(accepted >= 40 && accepted <= 180, `accepted ${accepted} of 200`);
    });
});
