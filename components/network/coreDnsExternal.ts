import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_DNS, METALLB_ALLOW_SHARED_IP, METALLB_LOAD_BALANCER_IPS, PORTS } from "../core/constants";
import { serviceReadiness } from "../core/readiness";

/** Arguments of {@link CoreDnsExternal}. */
export interface CoreDnsExternalArgs {
    /** The address both Services share (from the MetalLB pool). */
    readonly address: string;
    /** MetalLB sharing key; Services with the same key may share an address. Defaults to "coredns". */
    readonly sharingKey?: string;
    /** Namespace of CoreDNS. Defaults to "kube-system". */
    readonly namespace?: string;
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
        // Ready: once MetalLB assigned the shared address (serviceReadiness of a LoadBalancer).
        const annotations = {
            ...serviceReadiness("LoadBalancer"),
            [METALLB_ALLOW_SHARED_IP]: args.sharingKey ?? "coredns",
            [METALLB_LOAD_BALANCER_IPS]: args.address,
        };
        this.services = (["TCP", "UDP"] as const).map(
            (protocol) =>
                new k8s.core.v1.Service(
                    `${name}-${protocol.toLowerCase()}`,
                    {
                        metadata: { name: `coredns-svc-lb-${protocol.toLowerCase()}`, namespace: args.namespace ?? CLUSTER_DNS.namespace, annotations },
                        spec: {
                            type: "LoadBalancer",
                            selector: { ...CLUSTER_DNS.podSelector },
                            ports: [{ name: `dns-${protocol.toLowerCase()}`, port: PORTS.dns, targetPort: PORTS.dns, protocol }],
                        },
                    },
                    { parent: this },
                ),
        );
        this.address = args.address;
        this.registerOutputs({ address: args.address });
    }
}
