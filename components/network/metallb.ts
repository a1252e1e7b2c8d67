import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { declared, type DeclaredObject } from "../core/planned";
import { chartArgs, ChartSource } from "./chartSource";
import { poolContains, poolWithout } from "./ipv4";

/** Requests and limits of MetalLB's controller and speaker (both small Go daemons). */
export const METALLB_RESOURCES = { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } };

/** Pinned MetalLB chart. */
export const METALLB_CHART_DEFAULT = { repo: "https://metallb.github.io/metallb", version: "0.15.2" };

/** The defaults of {@link MetalLBArgs}, stated once: the component and config/network.ts's schema read them. */
export const METALLB_DEFAULTS = { namespace: "metallb-system", install: true, poolName: "default" } as const;

/** MetalLB's API group and version: its IPAddressPools and L2Advertisement. */
const METALLB_API = "metallb.io/v1beta1";

/**
 * The chart's values: layer 2 only, no FRR (BGP) sidecars in the speaker; the chart sets no
 * resources, so requests and limits are given here (the policy pack's requests-and-limits rule).
 */
export function metallbChartValues() {
    return {
        controller: { resources: METALLB_RESOURCES },
        speaker: { frr: { enabled: false }, resources: METALLB_RESOURCES },
    };
}

/** The Helm release: the chart's objects are named after it (its speaker DaemonSet `metallb-speaker`). */
const RELEASE = "metallb";

/** Arguments of {@link MetalLB}. */
export interface MetalLBArgs {
    /** Namespace of MetalLB (created by the caller, labelled `privileged`: the speaker needs host networking and NET_RAW). Defaults to "metallb-system". */
    readonly namespace?: string;
    /** Install the chart. false: a MetalLB is already there and only the pool is declared. Defaults to true. */
    readonly install?: boolean;
    /** Chart repository and exact version. Defaults to {@link METALLB_CHART_DEFAULT}. */
    readonly chart?: ChartSource;
    /** Name of the IPAddressPool and its L2Advertisement. Defaults to "default". */
    readonly poolName?: string;
    /** Addresses MetalLB hands out: "A.B.C.D-E.F.G.H" ranges or CIDRs. */
    readonly addresses: readonly string[];
    /**
     * Addresses of the pool that Services pin (CoreDNS, the ingress controller, …). They go into a
     * second pool `<poolName>-reserved` with `autoAssign: false`, so MetalLB never hands one to a
     * Service that asked for no address — which would leave the pinning Service pending. Defaults to none.
     */
    readonly reserved?: readonly string[];
    /**
     * Network interfaces of the nodes on which the speakers announce the pool (answer ARP), e.g. a
     * NIC dedicated to the lab's network: the L2Advertisement's `interfaces`. Defaults to every
     * interface MetalLB does not exclude itself.
     */
    readonly interfaces?: readonly string[];
}

/** What {@link MetalLB} `name` declares of `args`, per object its Pulumi resource name and Kubernetes name. */
export interface PlannedMetalLB {
    readonly namespace: string;
    /** The chart's release and its speaker DaemonSet (the one privileged workload: it answers ARP), when it is installed. */
    readonly chart?: { readonly resourceName: string; readonly release: string; readonly speaker: string };
    /** The pool MetalLB assigns from: the addresses less the reserved ones. */
    readonly pool: { readonly resourceName: string; readonly name: string };
    /** The addresses Services pin, of the pool, once each and sorted. */
    readonly reserved: readonly string[];
    /** The pool of {@link reserved} (`autoAssign: false`), when any address of the pool is pinned. */
    readonly reservedPool?: { readonly resourceName: string; readonly name: string };
    /** The L2Advertisement of both pools, on `interfaces` when given (absent: every interface MetalLB does not exclude itself). */
    readonly advertisement: { readonly resourceName: string; readonly name: string; readonly interfaces?: readonly string[] };
    /** Every object the program declares (the chart's are the chart's): the pool, the reserved pool, the advertisement, made by `poolName`. */
    readonly objects: readonly DeclaredObject[];
}

/** The names of {@link MetalLB} `name`, with its defaults applied, decided once: the component and plan/ both read them. */
export function planMetalLB(name: string, args: Pick<MetalLBArgs, "namespace" | "install" | "poolName" | "reserved" | "interfaces"> & Partial<Pick<MetalLBArgs, "addresses">>): PlannedMetalLB {
    const poolName = args.poolName ?? METALLB_DEFAULTS.poolName;
    const reserved = [...new Set(args.reserved ?? [])].filter((a) => poolContains(args.addresses ?? [], a)).sort();
    const namespace = args.namespace ?? METALLB_DEFAULTS.namespace;
    const pool = { resourceName: `${name}-pool`, name: poolName };
    const reservedPool = reserved.length > 0 ? { resourceName: `${name}-reserved-pool`, name: `${poolName}-reserved` } : undefined;
    const advertisement = { resourceName: `${name}-l2`, name: poolName, interfaces: args.interfaces?.length ? [...args.interfaces] : undefined };
    const source = { path: ["poolName"], value: poolName };
    const object = (o: { resourceName: string; name: string }, kind: string, derived?: true) =>
        declared("MetalLB", o.resourceName, { apiVersion: METALLB_API, kind, namespace, name: o.name, source, ...(derived ? { derived } : {}) });
    return {
        namespace,
        chart: (args.install ?? METALLB_DEFAULTS.install) ? { resourceName: `${name}-chart`, release: RELEASE, speaker: `${RELEASE}-speaker` } : undefined,
        pool,
        reserved,
        reservedPool,
        advertisement,
        objects: [object(pool, "IPAddressPool"), ...(reservedPool ? [object(reservedPool, "IPAddressPool", true)] : []), object(advertisement, "L2Advertisement")],
    };
}

/**
 * MetalLB in layer-2 mode, so `LoadBalancer` Services get addresses on bare metal.
 *
 * With kube-proxy in IPVS mode MetalLB needs `strictARP: true` in kube-proxy's config; that ConfigMap
 * belongs to the cluster's installer, so it is not patched here (see the README for the command).
 */
export class MetalLB extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    public readonly pool: k8s.apiextensions.CustomResource;
    /** The pool of pinned addresses (`autoAssign: false`), when any address is pinned. */
    public readonly reservedPool?: k8s.apiextensions.CustomResource;
    public readonly advertisement: k8s.apiextensions.CustomResource;
    public readonly addresses: readonly string[];

    constructor(name: string, args: MetalLBArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:MetalLB", name, {}, opts);
        const planned = planMetalLB(name, args);
        const namespace = planned.namespace;
        const chart = args.chart ?? METALLB_CHART_DEFAULT;

        if (planned.chart !== undefined) {
            this.chart = new k8s.helm.v4.Chart(
                planned.chart.resourceName,
                {
                    name: planned.chart.release,
                    ...chartArgs("metallb", chart),
                    namespace,
                    values: metallbChartValues(),
                },
                { parent: this },
            );
        }
        // The pool is validated by MetalLB's webhook, served by the controller Deployment: depending on the
        // chart waits for that Deployment to be ready, so the webhook can answer before the pool is sent.
        const afterChart = { parent: this, dependsOn: this.chart ? [this.chart] : [] };
        const reserved = [...planned.reserved];
        const pool = (p: { resourceName: string; name: string }, addresses: string[], autoAssign: boolean) =>
            new k8s.apiextensions.CustomResource(
                p.resourceName,
                { apiVersion: METALLB_API, kind: "IPAddressPool", metadata: { name: p.name, namespace }, spec: { addresses, ...(autoAssign ? {} : { autoAssign: false }) } },
                afterChart,
            );
        this.pool = pool(planned.pool, reserved.length > 0 ? poolWithout(args.addresses, reserved) : [...args.addresses], true);
        this.reservedPool =
            planned.reservedPool !== undefined
                ? pool(
                      planned.reservedPool,
                      reserved.map((a) => `${a}/32`),
                      false,
                  )
                : undefined;
        const pools = [this.pool, ...(this.reservedPool ? [this.reservedPool] : [])];
        this.advertisement = new k8s.apiextensions.CustomResource(
            planned.advertisement.resourceName,
            {
                apiVersion: METALLB_API,
                kind: "L2Advertisement",
                metadata: { name: planned.advertisement.name, namespace },
                spec: {
                    ipAddressPools: [planned.pool.name, ...(planned.reservedPool ? [planned.reservedPool.name] : [])],
                    ...(planned.advertisement.interfaces ? { interfaces: [...planned.advertisement.interfaces] } : {}),
                },
            },
            { ...afterChart, dependsOn: pools },
        );
        this.addresses = args.addresses;
        this.registerOutputs({ addresses: args.addresses });
    }
}
