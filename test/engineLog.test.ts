// The bench's reading of the CLI's log (test/e2e/engine-log.ts), on lines as Pulumi 3.259 writes them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { criticalPath, criticalPathSvg, engineLogBreakdown, formatBreakdown, formatCriticalPath, stepSpans } from "./e2e/engine-log";

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

describe("criticalPath", () => {
    // A namespace, MetalLB's chart (in its component) and a pool waiting for the chart, a release's
    // Deployment waiting for its namespace (through its component), and a Service waiting for MetalLB.
    const U = (path: string) => `urn:pulumi:e2e::bare-metal-platform::${path}`;
    const ns = U("platform:core:Namespaces$kubernetes:core/v1:Namespace::ns-default");
    const metallb = U("platform:network:MetalLB::metallb");
    const chart = U("platform:network:MetalLB$kubernetes:helm.sh/v4:Chart::metallb-chart");
    const pool = U("platform:network:MetalLB$kubernetes:metallb.io/v1beta1:IPAddressPool::metallb-pool");
    const release = U("platform:apps:CanaryRelease::web");
    const deployment = U("platform:apps:CanaryRelease$kubernetes:apps/v1:Deployment::web-stable");
    const lb = U("platform:apps:CanaryRelease$kubernetes:core/v1:Service::web-svc-lb");
    const at = (s: number) => `${String(Math.floor(s)).padStart(2, "0")}.${String(Math.round((s % 1) * 1e9)).padStart(9, "0")}`;
    const step = (from: number, to: number, urn: string, op = "create") => [
        [from, `StepExecutor worker(1): applying step ${op} on ${urn} (preview false)`],
        [to, `StepExecutor worker(1): step ${op} on ${urn} retired`],
    ];
    const events = [
        [10, "Running program '/p/index.ts' in pwd '/p' w/ args: "],
        ...step(10.1, 10.2, ns),
        ...step(10.2, 10.3, metallb),
        ...step(10.3, 30, chart),
        ...step(30, 31, pool),
        ...step(10.3, 10.4, release),
        ...step(10.4, 25, deployment),
        ...step(31, 40, lb),
    ] as [number, string][];
    const log = events
        .sort((a, b) => a[0] - b[0])
        .map(([t, msg]) => line(at(t), msg))
        .join("\n");
    const graph = {
        [chart]: { parent: metallb },
        [pool]: { parent: metallb, dependencies: [chart] },
        [metallb]: { dependencies: [ns] },
        [release]: { dependencies: [ns] },
        [deployment]: { parent: release },
        [lb]: { parent: release, dependencies: [chart, pool] },
    };

    it("follows what the step that ended last waited for, back to the start: the chart, the pool, the Service; the Deployment is off the path", () => {
        const path = criticalPath(stepSpans(log), graph).map((p) => [p.step, Math.round(p.start), Math.round(p.end), Math.round(p.waited)]);
        assert.deepEqual(path, [
            ["create kubernetes:core/v1:Namespace::ns-default", 100, 200, 100],
            ["create platform:network:MetalLB::metallb", 200, 300, 0],
            ["create kubernetes:helm.sh/v4:Chart::metallb-chart", 300, 20000, 0],
            ["create kubernetes:metallb.io/v1beta1:IPAddressPool::metallb-pool", 20000, 21000, 0],
            ["create kubernetes:core/v1:Service::web-svc-lb", 21000, 30000, 0],
        ]);
    });

    it("prints the chain and draws it as one bar per step", () => {
        const path = criticalPath(stepSpans(log), graph);
        assert.equal(
            formatCriticalPath(path),
            [
                "critical path, 5 steps, program start to its last step 30.0 s (start, duration, step):",
                "     0.1 s +  0.1 s  create kubernetes:core/v1:Namespace::ns-default",
                "     0.2 s +  0.1 s  create platform:network:MetalLB::metallb",
                "     0.3 s + 19.7 s  create kubernetes:helm.sh/v4:Chart::metallb-chart",
                "    20.0 s +  1.0 s  create kubernetes:metallb.io/v1beta1:IPAddressPool::metallb-pool",
                "    21.0 s +  9.0 s  create kubernetes:core/v1:Service::web-svc-lb",
            ].join("\n"),
        );
        const svg = criticalPathSvg("up from empty", path);
        assert.equal((svg.match(/<rect /g) ?? []).length, 5);
        assert.match(
            svg,
            /<text x="412" y="143" text-anchor="end">create kubernetes:core\/v1:Service::web-svc-lb<\/text><rect x="784.0" y="131" width="156.0" height="16" fill="#4878a8"\/>/,
            "the last bar from 21 s to 30 s of 30",
        );
    });
});
