// The checks on the plan as a whole (plan/platform.ts), before anything is registered: every object
// declared once, every Pulumi resource name once, names built from config values within their kind's
// grammar, and no two workloads selecting each other's pods. Two config entries that make the same
// object, resource name or selector are refused here, naming both — the API server, the engine or the
// controllers would only find out later.
import { APP_LABEL } from "../components/core/constants";
import { objectId, type PlannedObject, type PlatformPlan, type Source } from "../plan";
import { isDns1035Label, isDns1123Subdomain } from "./grammar";
import { formatPath, renderValue, Report } from "./primitives";

/** Why the API server would refuse `name` for an object of `kind`, or undefined (Services: DNS-1035 labels; the rest here: DNS subdomains). */
function derivedNameProblem(kind: string, name: string): string | undefined {
    if (kind === "Service") {
        if (name.length > 63) return `${name.length} characters (expected at most 63: shorten it)`;
        return isDns1035Label(name) ? undefined : "not a Service name (expected a DNS-1035 label: a lowercase letter first, then letters, digits and '-')";
    }
    if (name.length > 253) return `${name.length} characters (expected at most 253: shorten it)`;
    return isDns1123Subdomain(name) ? undefined : "not a DNS name (expected lowercase letters, digits and '-', in labels separated by '.')";
}

/** The workloads whose pods a Service of the config may select. */
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/** Every object and resource name made once; derived names within the DNS limits; selectors apart. */
export function planChecks(plan: PlatformPlan, add: Report): void {
    // `add` keeps one line per setting (crossChecks): the first rule a setting breaks is the one reported.
    // Selectors: one `app` label in one namespace, set by two config entries, would join their pods.
    const selectors = new Map<string, Source>();
    for (const o of plan.all()) {
        const app = o.selector?.labels[APP_LABEL];
        if (!WORKLOADS.has(o.kind) || o.namespace === undefined || o.selector === undefined || app === undefined) continue;
        const id = `${o.namespace}/${app}`;
        const before = selectors.get(id);
        if (before === undefined) {
            selectors.set(id, o.selector.source);
        } else if (formatPath(before.path) !== formatPath(o.selector.source.path)) {
            add(
                o.selector.source.path,
                `${renderValue(app)} is the app label of ${formatPath(before.path)} too in namespace "${o.namespace}" (expected one app label per workload: their Services and Deployments would select each other's pods)`,
            );
        }
    }

    const once = <T>(list: readonly T[], id: (x: T) => string, source: (x: T) => Source, what: (x: T) => string, expectation: string) => {
        const first = new Map<string, Source>();
        for (const x of list) {
            const before = first.get(id(x));
            if (before === undefined) {
                first.set(id(x), source(x));
                continue;
            }
            const { path, value } = source(x);
            const where = formatPath(before.path) === formatPath(path) ? "and again from the same setting" : `as ${formatPath(before.path)} does`;
            add(path, `${renderValue(value)} makes ${what(x)}, ${where} (${expectation})`);
        }
    };
    // A chart's objects are named by the chart, not checked here; a name Pulumi gives is unique by construction.
    const named = plan.all().filter((o): o is PlannedObject & { name: string } => o.by !== "chart" && o.name !== undefined);
    once(named, objectId, (o) => o.source, objectId, "expected each Kubernetes object declared once: rename one of them");
    once(
        plan.resources(),
        (r) => `${r.type} "${r.name}"`,
        (r) => r.source,
        (r) => `the Pulumi resource ${r.type} "${r.name}"`,
        "expected unique resource names, which the engine requires: rename one of them",
    );

    for (const o of named) {
        const problem = o.derived ? derivedNameProblem(o.kind, o.name) : undefined;
        if (problem !== undefined) {
            add(o.source.path, `${renderValue(o.source.value)} makes the ${o.kind} name ${renderValue(o.name)}, ${problem}`);
        }
    }
}
