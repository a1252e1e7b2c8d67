// The bench's reading of the CLI's log (test/e2e/engine-log.ts), on lines as Pulumi 3.259 writes them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineLogBreakdown, formatBreakdown } from "./e2e/engine-log";

const URN = "urn:pulumi:e2e::bare-metal-platform::platform:apps:CanaryRelease$platform:apps:ClockApp$kubernetes:apps/v1:Deployment::clock-stable";
const NS = "urn:pulumi:e2e::bare-metal-platform::platform:core:Namespaces$kubernetes:core/v1:Namespace::ns-canary";
const line = (time: string, msg: string) => JSON.stringify({ time: `2026-12-01T15:28:${time}Z`, level: "INFO", msg, v: 7 });
const LOG = [
    line("38.690796399", "Pulumi"),
    line("39.117651136", "langhost[nodejs].GetPluginInfo() executing"),
    line("39.121000000", "langhost[nodejs].About() executing"),
    line("39.983000000", "langhost[nodejs].About() success"),
    line("40.189000000", "langhost[nodejs].GetRequiredPackages(root=/p, program=/p, entryPoint=.) executing"),
    line("41.191000000", "Constructed NodeJS command to run: {Path:/usr/bin/node}"),
    "a provider's own output, not JSON",
    line("44.722000000", "Running program '/p/index.ts' in pwd '/p' w/ args: "),
    line("45.000000000", `StepExecutor worker(1): applying step create on ${NS} (preview false)`),
    line("45.100000000", `StepExecutor worker(2): applying step create on ${URN} (preview false)`),
    line("45.250000000", `StepExecutor worker(1): step create on ${NS} retired`),
    line("57.600000000", `StepExecutor worker(2): step create on ${URN} retired`),
    line("58.000000000", "deploymentExecutor.Execute(...): exiting provider canceller"),
].join("\n");

describe("engineLogBreakdown", () => {
    it("splits a run into its phases and its steps, longest first", () => {
        const b = engineLogBreakdown(LOG);
        const round = (x: number) => Math.round(x * 1000) / 1000;
        assert.equal(round(b.seconds), 19.31);
        assert.deepEqual(
            b.phases.map((p) => [p.phase, round(p.seconds)]),
            [
                ["CLI start to the language host", 0.431],
                ["language host About (npm, node and TypeScript versions)", 0.862],
                ["plugin discovery (the language host walks the project's folders and node_modules)", 1.208],
                ["Node.js and the SDK loaded, TypeScript registered", 3.531],
                ["the program: resources registered and their steps", 12.878],
                ["after the last step (outputs, state written, exit)", 0.4],
            ],
        );
        assert.deepEqual(
            b.steps.map((s) => [s.op, s.resource, round(s.seconds)]),
            [
                ["create", "kubernetes:apps/v1:Deployment::clock-stable", 12.5],
                ["create", "kubernetes:core/v1:Namespace::ns-canary", 0.25],
            ],
        );
    });

    it("leaves out a phase whose marks are missing instead of guessing it", () => {
        const b = engineLogBreakdown([line("38.000", "Pulumi"), line("39.000", "Running program '/p/index.ts'"), line("40.000", "done")].join("\n"));
        assert.deepEqual(b.phases, []);
        assert.deepEqual(b.steps, []);
        assert.equal(b.seconds, 2);
    });

    it("prints the phases and the longest steps", () => {
        assert.equal(
            formatBreakdown(engineLogBreakdown(LOG), 1),
            [
                "whole run 19.31 s (from the CLI's log)",
                "    0.43 s  CLI start to the language host",
                "    0.86 s  language host About (npm, node and TypeScript versions)",
                "    1.21 s  plugin discovery (the language host walks the project's folders and node_modules)",
                "    3.53 s  Node.js and the SDK loaded, TypeScript registered",
                "   12.88 s  the program: resources registered and their steps",
                "    0.40 s  after the last step (outputs, state written, exit)",
                "  longest of 2 steps:",
                "   12.50 s  create kubernetes:apps/v1:Deployment::clock-stable",
            ].join("\n"),
        );
    });
});
