// NetworkPolicies for the app namespaces: deny everything by default, then open exactly what the
// platform's own traffic needs — DNS out, out to the namespace's own pods, the ingress controller in
// to each app's port, and the outside world in where a NodePort or LoadBalancer Service publishes it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_DNS, INGRESS_NGINX, NAMESPACE_NAME_LABEL, PORTS } from "./constants";
import type { WorkloadOpening } from "./opening";
import { declared, type DeclaredObject } from "./planned";

export type { TrafficSource, WorkloadOpening } from "./opening";

/** Arguments of {@link NetworkIsolation}. */
export interface NetworkIsolationArgs {
    /** Namespace → the workloads to open in it. Every namespace listed gets a default-deny policy. */
    readonly namespaces: Readonly<Record<string, readonly WorkloadOpening[]>>;
    /** Namespace of the ingress controller's pods (source "ingressController"). Defaults to ingress-nginx's, "ingress-nginx". */
    readonly ingressControllerNamespace?: string;
    /** More namespaces whose pods may reach every opened port (monitoring, say). Defaults to none. */
    readonly extraSourceNamespaces?: readonly string[];
    /** Namespace and pod labels of the cluster DNS. Defaults to kube-system, k8s-app=kube-dns. */
    readonly dns?: { readonly namespace: string; readonly podSelector: Readonly<Record<string, string>> };
}

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** One source an opening lets in: the pods of a namespace, or of the opening's own namespace. */
export type OpeningSource = { readonly namespace: string } | "sameNamespace";

/**
 * Who may reach opening `o`, the rule stated once: "anywhere" when it is published; otherwise, in
 * this order, the ingress controller's namespace ("ingressController"), its own namespace's pods
 * ("sameNamespace"), the opening's `fromNamespaces` and every extra source namespace — none at all
 * when it names none. {@link planNetworkIsolation} opens nothing for none; the component renders each
 * source as a peer.
 */
export function openingSources(o: WorkloadOpening, args: Pick<NetworkIsolationArgs, "ingressControllerNamespace" | "extraSourceNamespaces">): "anywhere" | OpeningSource[] {
    if (o.from.includes("anywhere")) return "anywhere";
    return [
        ...(o.from.includes("ingressController") ? [{ namespace: args.ingressControllerNamespace ?? INGRESS_NGINX.namespace }] : []),
        ...(o.from.includes("sameNamespace") ? (["sameNamespace"] as const) : []),
        ...[...(o.fromNamespaces ?? []), ...(args.extraSourceNamespaces ?? [])].map((namespace) => ({ namespace })),
    ];
}

/** Whether a pod in namespace `source` may reach opening `o` of namespace `namespace`, by {@link openingSources}. */
export function openingAdmits(o: WorkloadOpening, namespace: string, source: string, args: Pick<NetworkIsolationArgs, "ingressControllerNamespace" | "extraSourceNamespaces">): boolean {
    const from = openingSources(o, args);
    return from === "anywhere" || from.some((s) => (s === "sameNamespace" ? source === namespace : s.namespace === source));
}

/** One NetworkPolicy of {@link NetworkIsolation}: its namespace, its name, its Pulumi resource name and the opening it renders (absent: a namespace's default-deny, DNS or same-namespace policy). */
export interface PlannedPolicy {
    readonly namespace: string;
    readonly name: string;
    readonly resourceName: string;
    readonly opening?: WorkloadOpening;
    /** The NetworkPolicy, made by its namespace's entry in `namespaces` (and its opening's, for an opening). */
    readonly object: DeclaredObject;
}

/**
 * The NetworkPolicies {@link NetworkIsolation} `name` makes of `args`, in its order: per namespace (by
 * name) `default-deny`, `allow-dns`, `allow-same-namespace`, then `allow-<opening>` for every opening
 * that has a source to allow by {@link openingSources} (an empty `from` would mean every source: with none, it opens nothing).
 */
export function planNetworkIsolation(name: string, args: Pick<NetworkIsolationArgs, "namespaces" | "ingressControllerNamespace" | "extraSourceNamespaces">): PlannedPolicy[] {
    const policies: PlannedPolicy[] = [];
    const policy = (namespace: string, policyName: string, opening?: WorkloadOpening, index?: number) => {
        const resourceName = `${name}-${namespace}-${policyName}`;
        const source = { path: index === undefined ? ["namespaces", namespace] : ["namespaces", namespace, index], value: opening?.name ?? namespace };
        const object = declared("NetworkIsolation", resourceName, {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            namespace,
            name: policyName,
            source,
            opening,
            ports: opening?.ports,
            selector: opening ? { labels: opening.podSelector, source } : undefined,
        });
        policies.push({ namespace, name: policyName, resourceName, opening, object });
    };
    for (const [ns, openings] of Object.entries(args.namespaces).sort(([a], [b]) => a.localeCompare(b))) {
        policy(ns, "default-deny");
        policy(ns, "allow-dns");
        policy(ns, "allow-same-namespace");
        openings.forEach((o, i) => {
            const from = openingSources(o, args);
            if (from === "anywhere" || from.length > 0) policy(ns, `allow-${o.name}`, o, i);
        });
    }
    return policies;
}

/**
 * Default-deny NetworkPolicies (ingress and egress) for the app namespaces, with DNS egress, egress to
 * the namespace's own pods and the openings each workload needs. They take effect only where the CNI enforces NetworkPolicy (k3s,
 * Calico, Cilium; kind's kindnet since v0.24); elsewhere they are accepted and ignored.
 */
export class NetworkIsolation extends pulumi.ComponentResource {
    /** Namespace → the names of its NetworkPolicies. */
    public readonly policyNames: Readonly<Record<string, string[]>>;

    constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:core:NetworkIsolation", name, {}, opts);
        const dns = args.dns ?? CLUSTER_DNS;
        const names: Record<string, string[]> = {};
        const fromNamespace = (ns: string): Peer => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } } });
        const spec = (o: WorkloadOpening | undefined, policyName: string): k8s.types.input.networking.v1.NetworkPolicySpec => {
            if (o === undefined) {
                if (policyName === "default-deny") return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
                if (policyName === "allow-dns") {
                    return {
                        podSelector: {},
                        policyTypes: ["Egress"],
                        egress: [
                            {
                                to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: dns.namespace } }, podSelector: { matchLabels: { ...dns.podSelector } } }],
                                ports: [
                                    { protocol: "UDP", port: PORTS.dns },
                                    { protocol: "TCP", port: PORTS.dns },
                                ],
                            },
                        ],
                    };
                }
                // allow-same-namespace: out to the namespace's own pods, where their openings let them in (an opening's
                // "sameNamespace" source needs it: default-deny stops egress too). Found by the enforced matrix
                // (test/e2e/netpol.e2e.ts): default → nginx-svc was refused.
                return { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] };
            }
            const ports = o.ports.map((port) => ({ protocol: "TCP", port }));
            const from = openingSources(o, args);
            const egress = (o.egress ?? []).map((e) => ({
                to: [{ ...fromNamespace(e.namespace), ...(e.podSelector ? { podSelector: { matchLabels: { ...e.podSelector } } } : {}) }],
                ports: e.ports.map((port) => ({ protocol: "TCP", port })),
            }));
            return {
                podSelector: { matchLabels: { ...o.podSelector } },
                policyTypes: egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"],
                // No `from`: any source, for apps published outside the cluster.
                ingress: [from === "anywhere" ? { ports } : { from: from.map((f): Peer => (f === "sameNamespace" ? { podSelector: {} } : fromNamespace(f.namespace))), ports }],
                egress: egress.length > 0 ? egress : undefined,
            };
        };
        for (const p of planNetworkIsolation(name, args)) {
            new k8s.networking.v1.NetworkPolicy(p.resourceName, { metadata: { name: p.name, namespace: p.namespace }, spec: spec(p.opening, p.name) }, { parent: this });
            (names[p.namespace] ??= []).push(p.name);
        }
        this.policyNames = names;
        this.registerOutputs({ policyNames: names });
    }
}
