// The components' arguments, made of the config once: index.ts gives them to the constructors and
// platformPlan to the components' plans, so that what is registered is what is planned.
import type { CanaryReleaseArgs } from "../components/apps/canaryReleasePlan";
import type { EphemeralStorage, TopologySpread } from "../components/core/placement";
import type { PlanInput } from "./input";
import { gatewayOf, routersOf } from "./names";

/** The components' disruptionBudget argument: null when turned off. */
export function budgetOf(b: { readonly enabled: boolean; readonly maxUnavailable?: number | string }): { maxUnavailable?: number | string } | null {
    return b.enabled ? { maxUnavailable: b.maxUnavailable } : null;
}

/** The components' topologySpread argument: null when turned off. */
export function spreadOf(s: { readonly enabled: boolean; readonly whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule"; readonly maxSkew: number; readonly zone: boolean }): TopologySpread | null {
    return s.enabled ? { whenUnsatisfiable: s.whenUnsatisfiable, maxSkew: s.maxSkew, zone: s.zone } : null;
}

/** The components' ephemeralStorage argument: null when turned off. */
export function ephemeralOf(e: { readonly enabled: boolean; readonly request: string; readonly limit: string }): EphemeralStorage | null {
    return e.enabled ? { request: e.request, limit: e.limit } : null;
}

/** MinIO's loadBalancer argument: null when turned off. */
export function loadBalancerOf<T extends { readonly enabled: boolean }>(lb: T): T | null {
    return lb.enabled ? lb : null;
}

/** The arguments of release `name`'s CanaryRelease, but for what it waits for (resources index.ts holds). */
export function releaseArgs(cfg: PlanInput, name: string): CanaryReleaseArgs {
    const r = cfg.releases[name];
    return {
        ...r,
        gateway: gatewayOf(routersOf(cfg), r),
        ingressClassName: cfg.ingressNginx.className,
        readOnlyRootFilesystem: cfg.security.readOnlyRootFilesystem,
        rolloutTimeoutSeconds: cfg.rolloutTimeoutSeconds,
        disruptionBudget: budgetOf(r.disruptionBudget),
        topologySpread: spreadOf(r.topologySpread),
        ephemeralStorage: ephemeralOf(r.ephemeralStorage),
    };
}
