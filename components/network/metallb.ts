import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartArgs, ChartSource } from "./chartSource";
import { parseIpv4Range, poolContains, poolWithout } from "./ipv4";

/** Pinned MetalLB chart. */
/** Requests and limits of MetalLB's controller and speaker (both small Go daemons). */
export const METALLB_RESOURCES = { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } };

export const METALLB_CHART_DEFAULT = { repo: "https://metallb.github.io/metallb", version: "0.15.2" };

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
        const bad = args.addresses.find((a) => parseIpv4Range(a) === undefined);
        if (args.addresses.length === 0 || bad !== undefined) {
            throw new Error(`metallb.addresses: ${JSON.stringify(bad ?? [])} is not an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)`);
        }
        const namespace = args.namespace ?? "metallb-system";
        const chart = args.chart ?? METALLB_CHART_DEFAULT;
        const poolName = args.poolName ?? "default";

        if (args.install ?? true) {
            this.chart = new k8s.helm.v4.Chart(
                `${name}-chart`,
                {
                    name: "metallb",
                    ...chartArgs("metallb", chart),
                    namespace,
                    // Layer 2 only: no FRR (BGP) sidecars in the speaker. The chart sets no resources, so
                    // requests and limits are given here (the policy pack's requests-and-limits rule).
                    values: {
                        controller: { resources: METALLB_RESOURCES },
                        speaker: { frr: { enabled: false }, resources: METALLB_RESOURCES },
                    },
                },
                { parent: this },
            );
        }
        // The pool is validated by MetalLB's webhook, served by the controller Deployment: depending on the
        // chart waits for that Deployment to be ready, so the webhook can answer before the pool is sent.
        const afterChart = { parent: this, dependsOn: this.chart ? [this.chart] : [] };
        const reserved = [...new Set(args.reserved ?? [])].filter((a) => poolContains(args.addresses, a)).sort();
        const pool = (resourceName: string, poolName: string, addresses: string[], autoAssign: boolean) =>
            new k8s.apiextensions.CustomResource(
                resourceName,
                { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: poolName, namespace }, spec: { addresses, ...(autoAssign ? {} : { autoAssign: false }) } },
                afterChart,
            );
        this.pool = pool(`${name}-pool`, poolName, reserved.length > 0 ? poolWithout(args.addresses, reserved) : [...args.addresses], true);
        this.reservedPool =
            reserved.length > 0
                ? pool(
                      `${name}-reserved-pool`,
                      `${poolName}-reserved`,
                      reserved.map((a) => `${a}/32`),
                      false,
                  )
                : undefined;
        const pools = [this.pool, ...(this.reservedPool ? [this.reservedPool] : [])];
        this.advertisement = new k8s.apiextensions.CustomResource(
            `${name}-l2`,
            {
                apiVersion: "metallb.io/v1beta1",
                kind: "L2Advertisement",
                metadata: { name: poolName, namespace },
                spec: {
                    ipAddressPools: [poolName, ...(this.reservedPool ? [`${poolName}-reserved`] : [])],
                    ...(args.interfaces?.length ? { interfaces: [...args.interfaces] } : {}),
                },
            },
            { ...afterChart, dependsOn: pools },
        );
        this.addresses = args.addresses;
        this.registerOutputs({ addresses: args.addresses });
    }
}
