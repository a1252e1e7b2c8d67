// A bad stack config stops the whole program before its first resource is registered.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { recorded, settle, stackConfig } from "./harness";

const { config: dev, secretKeys } = stackConfig("dev", "bare-metal-lab");

function runProgram(overrides: Record<string, string | undefined>): unknown {
    const config = { ...dev };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete config[`bare-metal-platform:${k}`];
        else config[`bare-metal-platform:${k}`] = v;
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    delete require.cache[require.resolve("../index")];
    try {
        require("../index");
    } catch (e) {
        return e;
    }
    return undefined;
}

describe("program: a bad config registers nothing", () => {
    const cases: [string, Record<string, string | undefined>, string][] = [
        ["a pool that is not a range", { metallb: JSON.stringify({ addresses: ["172.17.255.1-172.17.300.1"] }) }, 'metallb.addresses[0]: "172.17.255.1-172.17.300.1" is not an IPv4 range'],
        [
            "both-zero strategy",
            { releases: JSON.stringify({ clock: { stable: {}, services: [{ name: "s" }], strategy: { type: "rolling", maxSurge: 0, maxUnavailable: 0 } } }) },
            "releases.clock.strategy: maxSurge 0 and maxUnavailable 0 are both zero",
        ],
        ["no MinIO password", { minioRootPassword: undefined }, "minioRootPassword: is required when minio.enabled is true"],
        ["a timeout that is not a number", { rolloutTimeoutSeconds: "sixty" }, 'rolloutTimeoutSeconds: "sixty" is not a whole number from 10 to 3600'],
    ];
    for (const [title, overrides, message] of cases) {
        it(title, async () => {
            const error = runProgram(overrides) as Error;
            assert.ok(error, "the program should refuse the config");
            assert.ok(error.message.includes(message), error.message);
            await settle();
            assert.equal(recorded.length, 0);
        });
    }
});
