// Deployment strategy presets from the lab (rolling, recreate, blue-green, reverse) as Kubernetes
// DeploymentStrategy objects.
import * as k8s from "@pulumi/kubernetes";

/** The value of a strategy's maxSurge/maxUnavailable string: "25%" → 25n; undefined when not a percentage (the API server's intstr grammar). */
export function percentValue(s: string): bigint | undefined {
    return /^[0-9]+%$/.test(s) ? BigInt(s.slice(0, -1)) : undefined;
}

/** A strategy preset. Rolling takes maxSurge/maxUnavailable (not both zero); the others are fixed shapes. */
export type StrategyPreset =
    | { readonly type: "rolling"; readonly maxSurge: number | string; readonly maxUnavailable: number | string }
    | { readonly type: "recreate" }
    | { readonly type: "blueGreen" }
    | { readonly type: "reverse" };

/**
 * Why the API server would refuse these rolling-update numbers, or undefined when it accepts them:
 * maxUnavailable above 100 % (maxSurge may exceed it), or both zero ("0", "0%", "00%").
 */
export function rollingProblem(maxSurge: number | string, maxUnavailable: number | string): string | undefined {
    const unavailable = typeof maxUnavailable === "string" ? percentValue(maxUnavailable) : undefined;
    if (unavailable !== undefined && unavailable > 100n) {
        return `maxUnavailable ${JSON.stringify(maxUnavailable)} is above 100% (the API server rejects this: expected at most "100%"; maxSurge may exceed it)`;
    }
    const zero = (v: number | string) => v === 0 || (typeof v === "string" && percentValue(v) === 0n);
    return zero(maxSurge) && zero(maxUnavailable)
        ? `maxSurge ${JSON.stringify(maxSurge)} and maxUnavailable ${JSON.stringify(maxUnavailable)} are both zero (the API server rejects this: expected at least one above zero)`
        : undefined;
}

/**
 * The Kubernetes strategy for a preset and replica count:
 * - rolling: as given (Kubernetes' default is 25%/25%);
 * - recreate: every old pod goes before any new one starts;
 * - blueGreen: a full new set first (maxSurge = replicas, maxUnavailable 0), the lab's analogue of blue-green;
 * - reverse: one new and one old at a time (maxSurge 1, maxUnavailable 1).
 */
export function deploymentStrategy(preset: StrategyPreset, replicas: number): k8s.types.input.apps.v1.DeploymentStrategy {
    switch (preset.type) {
        case "rolling":
            // The numbers are config/apps.ts's to check (rollingProblem), before anything is registered.
            return { type: "RollingUpdate", rollingUpdate: { maxSurge: preset.maxSurge, maxUnavailable: preset.maxUnavailable } };
        case "recreate":
            return { type: "Recreate" };
        case "blueGreen":
            // maxSurge must be above zero even for a zero-replica Deployment.
            return { type: "RollingUpdate", rollingUpdate: { maxSurge: Math.max(replicas, 1), maxUnavailable: 0 } };
        case "reverse":
            return { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    }
}

/**
 * The `maxUnavailable` of a track's PodDisruptionBudget: what its rollout takes down at most, so a
 * drain never takes more than a rollout would. Rolling: maxUnavailable resolved against the replicas
 * and rounded down, as the Deployment controller does (a PodDisruptionBudget would round a
 * percentage up). blueGreen, reverse and recreate: 1 (recreate's rollout takes every pod, a drain
 * should not). At least 1 always: a budget of 0 lets no eviction through and every drain would wait
 * for ever.
 */
export function drainBudget(preset: StrategyPreset, replicas: number): number {
    if (preset.type !== "rolling") {
        return 1;
    }
    const v = preset.maxUnavailable;
    const percent = typeof v === "string" ? percentValue(v) : undefined;
    const resolved = typeof v === "number" ? v : percent === undefined ? 0 : Number((percent * BigInt(replicas)) / 100n);
    return Math.max(1, resolved);
}
