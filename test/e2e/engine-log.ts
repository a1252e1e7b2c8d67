// Where a `pulumi preview` or `pulumi up` spends its time, read from the CLI's own log
// (`-v=7 --logtostderr --logflow`: one JSON line per event, nanosecond timestamps, the language
// host's and the engine's lines together). Used by the bench (test/e2e/bench.ts) to print what the
// engine does between the command's start and its end; pure, so test/engineLog.test.ts pins it.

/** One phase of a run, in seconds, from the first of its lines to the last. */
export interface LogPhase {
    readonly phase: string;
    readonly seconds: number;
}

/** One resource's step, from `applying step` to `retired`. */
export interface LogStep {
    readonly op: string;
    /** `Type::name` of the URN's last part, e.g. `kubernetes:apps/v1:Deployment::clock-stable`. */
    readonly resource: string;
    readonly seconds: number;
}

export interface LogBreakdown {
    /** The whole log, first line to last. */
    readonly seconds: number;
    /** The run in order: CLI start, language host's About, plugin discovery, Node.js with the SDK, the program, after its last step. */
    readonly phases: readonly LogPhase[];
    /** Every step with its duration, longest first. */
    readonly steps: readonly LogStep[];
}

interface Line {
    readonly t: number;
    readonly msg: string;
}

function lines(text: string): Line[] {
    const out: Line[] = [];
    for (const raw of text.split("\n")) {
        if (!raw.startsWith("{")) continue;
        try {
            const j = JSON.parse(raw) as { time?: string; msg?: string };
            if (typeof j.time === "string" && typeof j.msg === "string") out.push({ t: Date.parse(j.time), msg: j.msg });
        } catch {
            // a provider's own output between the JSON lines
        }
    }
    return out;
}

const STEP = /^StepExecutor worker\(-?\d+\): (applying step|step) (\S+) on (urn:\S+)(?: retired| \()/;

/** The URN's last part, `Type::name` of the resource itself (the parent chain left out). */
function resourceOf(urn: string): string {
    const parts = urn.split("::");
    const type = parts[parts.length - 2].split("$").pop() ?? "";
    return `${type}::${parts[parts.length - 1]}`;
}

/**
 * The phases and steps of one logged run. A phase whose marks are missing from the log (an older or
 * newer CLI words them otherwise) is left out rather than guessed.
 */
export function engineLogBreakdown(text: string): LogBreakdown {
    const ls = lines(text);
    if (ls.length === 0) return { seconds: 0, phases: [], steps: [] };
    const first = ls[0].t;
    const last = ls[ls.length - 1].t;
    const at = (re: RegExp) => ls.find((l) => re.test(l.msg))?.t;

    const aboutStart = at(/^langhost\[nodejs\]\.About\(\) executing/);
    const aboutEnd = at(/^langhost\[nodejs\]\.About\(\) (success|failed)/);
    const packagesStart = at(/^langhost\[nodejs\]\.GetRequiredPackages\(/);
    const nodeStart = at(/^Constructed NodeJS command to run/);
    const programStart = at(/^Running program '/);

    // Each step from its `applying step` line to its `retired` line; the last retired line ends the program's phase.
    const open = new Map<string, number>();
    const steps: LogStep[] = [];
    let lastRetired: number | undefined;
    for (const l of ls) {
        const m = STEP.exec(l.msg);
        if (!m) continue;
        const [, kind, op, urn] = m;
        if (kind === "applying step") {
            open.set(`${op} ${urn}`, l.t);
            continue;
        }
        lastRetired = l.t;
        const started = open.get(`${op} ${urn}`);
        if (started === undefined) continue;
        open.delete(`${op} ${urn}`);
        steps.push({ op, resource: resourceOf(urn), seconds: (l.t - started) / 1000 });
    }
    steps.sort((a, b) => b.seconds - a.seconds || a.resource.localeCompare(b.resource));

    const phases: LogPhase[] = [];
    const phase = (name: string, from: number | undefined, to: number | undefined) => {
        if (from !== undefined && to !== undefined && to >= from) phases.push({ phase: name, seconds: (to - from) / 1000 });
    };
    phase("CLI start to the language host", first, aboutStart ?? packagesStart);
    phase("language host About (npm, node and TypeScript versions)", aboutStart, aboutEnd);
    phase("plugin discovery (the language host walks the project's folders and node_modules)", aboutEnd ?? packagesStart, nodeStart);
    phase("Node.js and the SDK loaded, TypeScript registered", nodeStart, programStart);
    phase("the program: resources registered and their steps", programStart, lastRetired);
    phase("after the last step (outputs, state written, exit)", lastRetired, last);
    return { seconds: (last - first) / 1000, phases, steps };
}

/** The breakdown as a few lines: the phases, then the `top` longest steps. */
export function formatBreakdown(b: LogBreakdown, top = 5): string {
    const s = (x: number) => `${x.toFixed(2)} s`;
    const out = [`whole run ${s(b.seconds)} (from the CLI's log)`];
    for (const p of b.phases) out.push(`  ${s(p.seconds).padStart(8)}  ${p.phase}`);
    const longest = b.steps.slice(0, top);
    if (longest.length > 0) {
        out.push(`  longest of ${b.steps.length} steps:`);
        for (const st of longest) out.push(`  ${s(st.seconds).padStart(8)}  ${st.op} ${st.resource}`);
    }
    return out.join("\n");
}
