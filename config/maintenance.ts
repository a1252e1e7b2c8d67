// Settings for node maintenance: the releases' disruption budgets and spread across nodes,
// and the ephemeral-storage requests and limits of every workload. Read by apps.ts, storage.ts and
// observability.ts; turned into component arguments by the *Of functions below.
import { z } from "zod";
import type { EphemeralStorage } from "../components/core/placement";
import { compareQuantities, INT32_MAX, parseQuantity, percentValue } from "./grammar";
import { bool, expected, intIn, intOrPercent, quantity, renderValue, strict, withDefaults } from "./primitives";

/** A budget's maxUnavailable: above 0 (0 blocks every drain) and at most 100 %, as the API server requires. */
const budgetMaxUnavailable = intOrPercent.superRefine((v, ctx) => {
    const percent = typeof v === "string" ? percentValue(v) : undefined;
    if (v === 0 || percent === 0n) {
        ctx.addIssue({
            code: "custom",
            message: `${renderValue(v)} lets no pod be evicted, so every drain of a node holding one would wait for ever (expected at least 1 or "1%"; disruptionBudget.enabled false for no budget)`,
        });
    } else if (percent !== undefined && percent > 100n) {
        ctx.addIssue({ code: "custom", message: `${renderValue(v)} is above 100% (expected at most "100%", as the API server requires)` });
    }
});

export const disruptionBudgetSchema = withDefaults(
    strict({
        enabled: bool
            .default(true)
            .describe(
                "A PodDisruptionBudget for each track with more than one replica, named as its Deployment: a drain (`kubectl drain`, a k3s upgrade) evicts at most maxUnavailable of its pods at once.",
            ),
        maxUnavailable: budgetMaxUnavailable
            .optional()
            .describe(
                "Pods of a track a drain may evict at once: a number, or a percentage of the replicas (which the budget rounds up). Not set: what the rollout takes down — rolling: its maxUnavailable of the replicas, rounded down as the Deployment does; blueGreen, reverse, recreate: 1 — and at least 1.",
            ),
    }),
).describe("The tracks' PodDisruptionBudgets (docs/operations.md#node-maintenance).");

export const topologySpreadSchema = withDefaults(
    strict({
        enabled: bool.default(true).describe("Spread each track's pods across nodes (topologySpreadConstraints on kubernetes.io/hostname, one revision at a time)."),
        whenUnsatisfiable: z
            .enum(["ScheduleAnyway", "DoNotSchedule"], expected('"ScheduleAnyway" (soft) or "DoNotSchedule" (strict)'))
            .default("ScheduleAnyway")
            .describe(
                "`ScheduleAnyway`: soft, the scheduler prefers the node with the fewest of the track's pods and still places every pod where only one node fits. `DoNotSchedule`: strict, a pod that would put a node more than maxSkew above the emptiest usable one stays Pending (nodes the pods cannot use — cordoned, tainted — do not count).",
            ),
        maxSkew: intIn(1, INT32_MAX).default(1).describe("Largest difference in a track's pods between two nodes."),
        zone: bool
            .default(false)
            .describe(
                "Also spread across zones (topology.kubernetes.io/zone, always soft). Only where every node carries the label: the scheduler leaves a node without it out of the soft spread's scoring altogether.",
            ),
    }),
).describe("How each track's pods spread across nodes (docs/operations.md#node-maintenance).");

/** Ephemeral-storage settings of one workload, with its own defaults. */
export function ephemeralStorageSchema(defaults: EphemeralStorage, what: string) {
    return withDefaults(
        strict({
            enabled: bool.default(true).describe(`Set ephemeral-storage requests and limits on ${what}. false: none (the kubelet then evicts by disk pressure alone, any pod).`),
            request: quantity.default(defaults.request).describe("Node-local disk the scheduler reserves for each container (its logs, writable layer and emptyDir volumes)."),
            limit: quantity.default(defaults.limit).describe("Node-local disk a container may fill before the kubelet evicts its pod; at least the request."),
        }).superRefine((e, ctx) => {
            const [request, limit] = [parseQuantity(e.request), parseQuantity(e.limit)];
            // Only between two valid quantities (above 0): a refused one draws no second line.
            const valid = (q: typeof request): q is NonNullable<typeof request> => q !== undefined && !q.negative && q.digits !== 0n;
            if (valid(request) && valid(limit) && compareQuantities(request, limit) > 0) {
                ctx.addIssue({ code: "custom", path: ["request"], message: `${renderValue(e.request)} is above limit ${renderValue(e.limit)} (expected a request at most its limit)` });
            }
        }),
    ).describe(`Ephemeral storage of ${what} (docs/operations.md#node-maintenance).`);
}

// The components' arguments of these settings are made in plan/args.ts.
export { budgetOf, ephemeralOf, spreadOf } from "../plan";
