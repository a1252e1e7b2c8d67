// Where the platform's pods sit and what local disk they may fill: replicas spread across
// nodes, and ephemeral-storage requests and limits, shared by every workload the platform declares.
import * as k8s from "@pulumi/kubernetes";

/** The node label of each node's own domain (the kubelet sets it on every node). */
export const HOSTNAME_KEY = "kubernetes.io/hostname";
/** The node label of a zone: set by a cloud provider or by hand, absent on many bare-metal clusters. */
export const ZONE_KEY = "topology.kubernetes.io/zone";
/** The label the Deployment controller puts on each revision's pods: spread counts one revision at a time. */
const REVISION_KEY = "pod-template-hash";

/** How a workload's replicas are spread across nodes. */
export interface TopologySpread {
    /**
     * "ScheduleAnyway": a soft preference, so a pod is placed even where only one node fits.
     * "DoNotSchedule": strict, so a pod that would make the spread exceed maxSkew stays Pending.
     * Defaults to "ScheduleAnyway".
     */
    readonly whenUnsatisfiable?: "ScheduleAnyway" | "DoNotSchedule";
    /** Largest allowed difference of replicas between two nodes. Defaults to 1. */
    readonly maxSkew?: number;
    /**
     * Also spread across zones (`topology.kubernetes.io/zone`, always soft). Only where every node
     * carries the label: the scheduler leaves a node without it out of the soft spread's scoring
     * altogether, and without zone labels anywhere the spread across nodes would score nothing.
     * Defaults to false.
     */
    readonly zone?: boolean;
}

/**
 * The pod template's `topologySpreadConstraints`: the pods `selector` selects, spread across nodes (and
 * zones when asked). Nodes whose taints the pods do not tolerate (cordoned ones, a tainted control
 * plane) are no domain (`nodeTaintsPolicy: Honor`), so that a strict spread never waits for a node
 * the pods cannot use. Only pods of the same revision count (`matchLabelKeys: [pod-template-hash]`),
 * so a rollout spreads the new pods among themselves.
 */
export function topologySpreadConstraints(selector: Record<string, string>, spread: TopologySpread): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    const common = { maxSkew: spread.maxSkew ?? 1, labelSelector: { matchLabels: selector }, matchLabelKeys: [REVISION_KEY], nodeTaintsPolicy: "Honor" };
    return [
        { ...common, topologyKey: HOSTNAME_KEY, whenUnsatisfiable: spread.whenUnsatisfiable ?? "ScheduleAnyway" },
        ...(spread.zone ? [{ ...common, topologyKey: ZONE_KEY, whenUnsatisfiable: "ScheduleAnyway" }] : []),
    ];
}

/** A container's request and limit of node-local disk: its writable layer, its logs and its emptyDir volumes. */
export interface EphemeralStorage {
    readonly request: string;
    readonly limit: string;
}

/** CPU and memory requests and limits, as every container of the platform has them. */
export interface CpuMemory {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/** A container's `resources`: cpu and memory, plus `ephemeral-storage` when `storage` is given. */
export function containerResources(resources: CpuMemory, storage: EphemeralStorage | null | undefined): k8s.types.input.core.v1.ResourceRequirements {
    if (!storage) {
        return { requests: { ...resources.requests }, limits: { ...resources.limits } };
    }
    return {
        requests: { ...resources.requests, "ephemeral-storage": storage.request },
        limits: { ...resources.limits, "ephemeral-storage": storage.limit },
    };
}
