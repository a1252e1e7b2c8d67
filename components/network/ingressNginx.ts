import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { METALLB_LOAD_BALANCER_IPS } from "../core/constants";
import { chartArgs, ChartSource } from "./chartSource";

/** The final ingress-nginx chart: the project was retired in March 2026 (docs/gateway-api.md is the way forward). */
export const INGRESS_NGINX_CHART_DEFAULT = { repo: "https://kubernetes.github.io/ingress-nginx", version: "4.15.1" };

/** The defaults of {@link IngressNginxArgs}, stated once: the component, config/network.ts's schema and the Dashboard's and NetworkIsolation's defaults read them. */
export const INGRESS_NGINX_DEFAULTS = { namespace: "ingress-nginx", install: true, className: "nginx", replicas: 1 } as const;

/** Arguments of {@link IngressNginx}. */
export interface IngressNginxArgs {
    /** Namespace of the controller (created by the caller). Defaults to "ingress-nginx". */
    readonly namespace?: string;
    /** Install the chart. false: use a controller that is already there. Defaults to true. */
    readonly install?: boolean;
    /** Chart repository and exact version. Defaults to {@link INGRESS_NGINX_CHART_DEFAULT}. */
    readonly chart?: ChartSource;
    /** IngressClass name. Defaults to "nginx". */
    readonly className?: string;
    /** A fixed address from the MetalLB pool for the controller's Service. Defaults to the pool's choice. */
    readonly loadBalancerIP?: string;
    /** Controller replicas. Defaults to 1. */
    readonly replicas?: number;
}

/** The Helm release: the chart's objects are named after it. */
const RELEASE = "ingress-nginx";

/** What {@link IngressNginx} `name` declares of `args`, with its defaults applied. */
export interface PlannedIngressNginx {
    readonly namespace: string;
    readonly className: string;
    /** The chart, when it is installed. */
    readonly chart?: { readonly resourceName: string; readonly release: string };
    /** The controller's LoadBalancer Service: the chart's (or an installed controller's, named alike), where its address is pinned. */
    readonly controllerService: string;
}

/** The names of {@link IngressNginx} `name`, decided once: the component and plan/ both read them. */
export function planIngressNginx(name: string, args: Pick<IngressNginxArgs, "namespace" | "install" | "className">): PlannedIngressNginx {
    return {
        namespace: args.namespace ?? INGRESS_NGINX_DEFAULTS.namespace,
        className: args.className ?? INGRESS_NGINX_DEFAULTS.className,
        chart: (args.install ?? INGRESS_NGINX_DEFAULTS.install) ? { resourceName: `${name}-chart`, release: RELEASE } : undefined,
        controllerService: `${RELEASE}-controller`,
    };
}

/** ingress-nginx behind a MetalLB `LoadBalancer` Service with `externalTrafficPolicy: Local`. */
export class IngressNginx extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    /** The controller's external address (known once MetalLB assigned it). */
    public readonly address: pulumi.Output<string | undefined>;
    public readonly className: string;

    constructor(name: string, args: IngressNginxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:IngressNginx", name, {}, opts);
        const chart = args.chart ?? INGRESS_NGINX_CHART_DEFAULT;
        const planned = planIngressNginx(name, args);
        this.className = planned.className;
        if (planned.chart !== undefined) {
            this.chart = new k8s.helm.v4.Chart(
                planned.chart.resourceName,
                {
                    name: planned.chart.release,
                    ...chartArgs("ingress-nginx", chart),
                    namespace: planned.namespace,
                    values: {
                        controller: {
                            replicaCount: args.replicas ?? INGRESS_NGINX_DEFAULTS.replicas,
                            ingressClass: this.className,
                            ingressClassResource: { name: this.className, enabled: true, default: false },
                            service: {
                                type: "LoadBalancer",
                                // Keeps the client's source address and answers only on nodes running a controller pod.
                                externalTrafficPolicy: "Local",
                                annotations: args.loadBalancerIP ? { [METALLB_LOAD_BALANCER_IPS]: args.loadBalancerIP } : {},
                            },
                            // helm.v4.Chart does not run Helm hooks, and the chart creates the admission webhook's
                            // certificate with hook Jobs (kube-webhook-certgen). Without them the webhook would have
                            // no certificate and reject every Ingress, so the webhook is switched off: the program's
                            // own config checks and the policy pack catch the mistakes it would have caught.
                            admissionWebhooks: { enabled: false },
                            resources: { requests: { cpu: "100m", memory: "90Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                            // The probes hit /healthz on 10254; declaring that port (as "metrics") keeps the
                            // probe on an exposed port, as the policy pack's probe-port-exposed rule asks.
                            metrics: { enabled: true },
                        },
                    },
                },
                { parent: this },
            );
            this.address = this.chart.resources.apply((resources) => {
                const services = (resources as pulumi.Resource[]).filter((r): r is k8s.core.v1.Service => k8s.core.v1.Service.isInstance(r));
                return pulumi
                    .all(services.map((s) => pulumi.all([s.spec.type, s.status])))
                    .apply((list) => list.find(([type]) => type === "LoadBalancer")?.[1]?.loadBalancer?.ingress?.[0]?.ip ?? args.loadBalancerIP);
            });
        } else {
            this.address = pulumi.output(args.loadBalancerIP);
        }
        this.registerOutputs({ address: this.address, className: this.className });
    }
}
