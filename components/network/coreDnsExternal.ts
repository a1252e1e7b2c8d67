import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
            "metallb.io/allow-shared-ip": args.sharingKey ?? "coredns",
            "metallb.io/loadBalancerIPs": args.address,
        };
        this.services = (["TCP", "UDP"] as const).map(
            (protocol) =>
                new k8s.core.v1.Service(
                    `${name}-${protocol.toLowerCase()}`,
                    {
                        metadata: { name: `coredns-svc-lb-${protocol.toLowerCase()}`, namespace: args.namespace ?? "kube-system", annotations },
                        spec: {
                            type: "LoadBalancer",
                            selector: { "k8s-app": "kube-dns" },
                            ports: [{ name: `dns-${protocol.toLowerCase()}`, port: 53, targetPort: 53, protocol }],
                        },
                    },
                    { parent: this },
                ),
        );
        this.address = args.address;
        this.registerOutputs({ address: args.address });
    }
}
