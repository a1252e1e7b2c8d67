import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_DNS, METALLB_ALLOW_SHARED_IP, METALLB_LOAD_BALANCER_IPS, PORTS } from "../core/constants";
import { declared, type DeclaredObject } from "../core/planned";
import { serviceReadiness } from "../core/readiness";

/** The defaults of {@link CoreDnsExternalArgs}, stated once: the component and config/network.ts's schema read them. */
export const COREDNS_EXTERNAL_DEFAULTS = { sharingKey: "coredns", namespace: CLUSTER_DNS.namespace } as const;

/** Arguments of {@link CoreDnsExternal}. */
export interface CoreDnsExternalArgs {
    /** The address both Services share (from the MetalLB pool). */
    readonly address: string;
    /** MetalLB sharing key; Services with the same key may share an address. Defaults to "coredns". */
    readonly sharingKey?: string;
    /** Namespace of CoreDNS. Defaults to "kube-system". */
    readonly namespace?: string;
}

/** One of {@link CoreDnsExternal}'s two Services: its protocol, Pulumi resource name, Kubernetes name and port name. */
export interface PlannedDnsService {
    readonly protocol: "TCP" | "UDP";
    readonly resourceName: string;
    readonly name: string;
    readonly portName: string;
}

/** What {@link CoreDnsExternal} `name` declares of `args`: two Services on the DNS port, selecting the cluster's DNS pods. */
export interface PlannedCoreDnsExternal {
    readonly namespace: string;
    readonly sharingKey: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly port: number;
    readonly services: readonly PlannedDnsService[];
    /** Both Services, each pinning `address` (when given) under the sharing key, made by the `address` setting. */
    readonly objects: readonly DeclaredObject[];
}

/** The names of {@link CoreDnsExternal} `name`, with its defaults applied, decided once: the component, plan/ and the policy pack read them. */
export function planCoreDnsExternal(name: string, args: Pick<CoreDnsExternalArgs, "namespace" | "sharingKey"> & Partial<Pick<CoreDnsExternalArgs, "address">>): PlannedCoreDnsExternal {
    const namespace = args.namespace ?? COREDNS_EXTERNAL_DEFAULTS.namespace;
    const sharingKey = args.sharingKey ?? COREDNS_EXTERNAL_DEFAULTS.sharingKey;
    const selector = CLUSTER_DNS.podSelector;
    const port = PORTS.dns;
    const services = (["TCP", "UDP"] as const).map((protocol) => {
        const p = protocol.toLowerCase();
        return { protocol, resourceName: `${name}-${p}`, name: `coredns-svc-lb-${p}`, portName: `dns-${p}` };
    });
    const source = { path: ["address"], value: args.address };
    const address = args.address;
    const objects = services.map((svc) =>
        declared("CoreDnsExternal", svc.resourceName, {
            apiVersion: "v1",
            kind: "Service",
            namespace,
            name: svc.name,
            source,
            selector: { labels: selector, source },
            ports: [port],
            pin: address === undefined ? undefined : { address, sharingKey, source },
        }),
    );
    return { namespace, sharingKey, selector, port, services, objects };
}

/**
 * The lab's CoreDNS outside the cluster: a TCP and a UDP `LoadBalancer` Service on port 53 that share
 * one MetalLB address (a Service may not mix protocols on older clusters, hence two).
 */
export class CoreDnsExternal extends pulumi.ComponentResource {
    public readonly services: k8s.core.v1.Service[];
    public readonly address: string;

    constructor(name: string, args: CoreDnsExternalArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:CoreDnsExternal", name, {}, opts);
        const planned = planCoreDnsExternal(name, args);
        // Ready: once MetalLB assigned the shared address (serviceReadiness of a LoadBalancer).
        const annotations = {
            ...serviceReadiness("LoadBalancer"),
            [METALLB_ALLOW_SHARED_IP]: planned.sharingKey,
            [METALLB_LOAD_BALANCER_IPS]: args.address,
        };
        this.services = planned.services.map(
            (s) =>
                new k8s.core.v1.Service(
                    s.resourceName,
                    {
                        metadata: { name: s.name, namespace: planned.namespace, annotations },
                        spec: {
                            type: "LoadBalancer",
                            selector: { ...planned.selector },
                            ports: [{ name: s.portName, port: planned.port, targetPort: planned.port, protocol: s.protocol }],
                        },
                    },
                    { parent: this },
                ),
        );
        this.address = args.address;
        this.registerOutputs({ address: args.address });
    }
}
