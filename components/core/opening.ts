// What a NetworkPolicy opens for one workload: who may reach which of its ports. NetworkIsolation
// renders it; a planned NetworkPolicy carries it.

/** Who may reach a workload's ports. */
export type TrafficSource = "ingressController" | "sameNamespace" | "anywhere";

/** One workload to open, in one namespace. */
export interface WorkloadOpening {
    /** Short name, used in the NetworkPolicy's name (`allow-<name>`). */
    readonly name: string;
    /** Labels of the workload's pods. */
    readonly podSelector: Readonly<Record<string, string>>;
    /** Container ports to open. */
    readonly ports: readonly number[];
    /** Who may connect. "anywhere" is for apps published by a NodePort or LoadBalancer Service. */
    readonly from: readonly TrafficSource[];
    /** More namespaces whose pods may connect (a Gateway's data plane in another namespace). Defaults to none. */
    readonly fromNamespaces?: readonly string[];
    /**
     * Where the workload's pods may connect, beyond DNS (a Gateway's data plane to its backends and its
     * control plane). Absent: nowhere, as every pod of the namespace.
     */
    readonly egress?: readonly { readonly namespace: string; readonly podSelector?: Readonly<Record<string, string>>; readonly ports: readonly number[] }[];
}
