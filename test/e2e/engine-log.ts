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

/** A resource's steps in one run: from its first `applying step` to its last `retired`, in ms since the log's first step. */
export interface StepSpan {
    readonly urn: string;
    /** The steps' operations, in order (a replacement has several). */
    readonly ops: readonly string[];
    readonly start: number;
    readonly end: number;
}

/** Every resource's steps in one logged run, by URN (times in ms from the program's start, or from the first step where it comes earlier). */
export function stepSpans(text: string): StepSpan[] {
    const ls = lines(text);
    // The program's start, or the first step where one comes earlier (the stack's own resource).
    const marks = [ls.find((l) => /^Running program '/.test(l.msg))?.t, ls.find((l) => STEP.test(l.msg))?.t].filter((t): t is number => t !== undefined);
    const origin = marks.length > 0 ? Math.min(...marks) : 0;
    const spans = new Map<string, { ops: string[]; start: number; end: number }>();
    for (const l of ls) {
        const m = STEP.exec(l.msg);
        if (!m) continue;
        const [, kind, op, urn] = m;
        const t = l.t - origin;
        const s = spans.get(urn) ?? { ops: [], start: t, end: t };
        if (kind === "applying step") {
            if (!s.ops.includes(op)) s.ops.push(op);
            s.start = Math.min(s.start, t);
        } else s.end = Math.max(s.end, t);
        spans.set(urn, s);
    }
    return [...spans].map(([urn, s]) => ({ urn, ...s })).sort((a, b) => a.start - b.start || a.urn.localeCompare(b.urn));
}

/** One resource on the critical path: its step's span and how long it waited after the one before it ended. */
export interface PathStep {
    /** `op Type::name`. */
    readonly step: string;
    readonly start: number;
    readonly end: number;
    /** ms between the end of the step before it on the path (or the program's start) and this step's start. */
    readonly waited: number;
}

/**
 * The chain of steps whose waits add up to the whole run: from the step that ended last, back through
 * what each one waited for — of its dependencies, its parent's and its ancestors' (a child registers
 * once its parent has, and the parent once its own dependencies are done), the one that ended last
 * before it started. `graph` is the state's view: each URN's `dependencies` and `parent`
 * (`pulumi stack export`). Components' spans count as theirs; a step with nothing before it starts the chain.
 */
export function criticalPath(spans: readonly StepSpan[], graph: Readonly<Record<string, { dependencies?: readonly string[]; parent?: string }>>): PathStep[] {
    const byUrn = new Map(spans.map((s) => [s.urn, s]));
    if (spans.length === 0) return [];
    const before = (urn: string): string[] => {
        const out: string[] = [];
        for (let u: string | undefined = urn; u !== undefined; u = graph[u]?.parent) {
            out.push(...(graph[u]?.dependencies ?? []));
            if (u !== urn) out.push(u);
        }
        return out;
    };
    const slack = 50; // the log's lines of one moment are a few ms apart
    let cur = spans.reduce((a, b) => (b.end > a.end ? b : a));
    const chain: StepSpan[] = [cur];
    for (;;) {
        const candidates = before(cur.urn)
            .map((u) => byUrn.get(u))
            .filter((s): s is StepSpan => s !== undefined && s.end <= cur.start + slack && !chain.includes(s));
        if (candidates.length === 0) break;
        cur = candidates.reduce((a, b) => (b.end > a.end ? b : a));
        chain.push(cur);
    }
    chain.reverse();
    return chain.map((s, i) => ({ step: `${s.ops.join("+")} ${resourceOf(s.urn)}`, start: s.start, end: s.end, waited: Math.max(0, s.start - (i === 0 ? 0 : chain[i - 1].end)) }));
}

/** The critical path as lines: each step's start, duration and wait, and what the chain adds up to. */
export function formatCriticalPath(path: readonly PathStep[]): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const out = path.map((p) => `  ${s(p.start).padStart(8)} +${s(p.end - p.start).padStart(7)}  ${p.step}${p.waited > 500 ? ` (started ${s(p.waited)} after the step before)` : ""}`);
    const end = path.length > 0 ? path[path.length - 1].end : 0;
    return [`critical path, ${path.length} steps, program start to its last step ${s(end)} (start, duration, step):`, ...out].join("\n");
}

/** The critical path as an SVG bar chart: one bar per step, on a time axis in seconds from the program's start. */
export function criticalPathSvg(title: string, path: readonly PathStep[]): string {
    const end = Math.max(1, ...path.map((p) => p.end));
    const [left, width, row, top] = [420, 520, 22, 40];
    const x = (ms: number) => left + (ms / end) * width;
    const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const height = top + path.length * row + 30;
    const bars = path.map((p, i) => {
        const y = top + i * row;
        const w = Math.max(1, x(p.end) - x(p.start));
        return [
            `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(p.step)}</text>`,
            `<rect x="${x(p.start).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="#4878a8"/>`,
            `<text x="${(x(p.start) + w + 4).toFixed(1)}" y="${y + 15}">${((p.end - p.start) / 1000).toFixed(1)} s</text>`,
        ].join("");
    });
    const ticks: string[] = [];
    const step = end > 60_000 ? 20_000 : end > 20_000 ? 5_000 : 1_000;
    for (let t = 0; t <= end; t += step)
        ticks.push(
            `<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${height - 26}" stroke="#ddd"/><text x="${x(t).toFixed(1)}" y="${height - 10}" text-anchor="middle">${t / 1000} s</text>`,
        );
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
        `<text x="10" y="20" font-weight="bold">${esc(title)}</text>`,
        ...ticks,
        ...bars,
        "</svg>",
        "",
    ].join("\n");
}
