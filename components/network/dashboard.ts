import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INGRESS_NGINX_ANNOTATIONS } from "../core/constants";
import { GeneratedKey } from "../core/generatedKey";
import { AWAIT_INGRESS_ADDRESS } from "../core/readiness";
import { chartArgs, ChartSource } from "./chartSource";

/** The last Kubernetes Dashboard chart (the project is archived; Headlamp is its successor). */
export const DASHBOARD_CHART_DEFAULT = { repo: "https://kubernetes.github.io/dashboard", version: "7.14.0" };

/** Requests and limits of the chart's Kong proxy and its init container (the chart sets none). */
export const DASHBOARD_KONG_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } };

/** Arguments of {@link Dashboard}. */
export interface DashboardArgs {
    /** Namespace (created by the caller). Defaults to "kubernetes-dashboard". */
    readonly namespace?: string;
    /** Install the chart. false: publish a dashboard that is already there. Defaults to true. */
    readonly install?: boolean;
    /** Chart repository and exact version. Defaults to {@link DASHBOARD_CHART_DEFAULT}. */
    readonly chart?: ChartSource;
    /** Path prefix on the ingress. Defaults to "/dashboard". */
    readonly path?: string;
    /** Host to match. Defaults to any host. */
    readonly host?: string;
    /** IngressClass. Defaults to "nginx". */
    readonly ingressClassName?: string;
}

/** Kubernetes Dashboard published behind ingress-nginx at /dashboard, with the lab's annotations. */
export class Dashboard extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    public readonly ingress: k8s.networking.v1.Ingress;

    constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:Dashboard", name, {}, opts);
        const namespace = args.namespace ?? "kubernetes-dashboard";
        const chart = args.chart ?? DASHBOARD_CHART_DEFAULT;
        if (args.install ?? true) {
            this.chart = new k8s.helm.v4.Chart(
                `${name}-chart`,
                {
                    name: "kubernetes-dashboard",
                    ...chartArgs("kubernetes-dashboard", chart),
                    namespace,
                    values: {
                        // The chart would make a new CSRF key (256 random bytes) on every render.
                        app: { security: { csrfKey: new GeneratedKey(`${name}-csrf-key`, { bytes: 256 }, { parent: this }).value } },
                        kong: { resources: DASHBOARD_KONG_RESOURCES },
                    },
                },
                { parent: this },
            );
        }
        const path = args.path ?? "/dashboard";
        this.ingress = new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: {
                    name: "dashboard",
                    namespace,
                    annotations: {
                        // Ready: once the ingress controller published its address on it.
                        ...AWAIT_INGRESS_ADDRESS,
                        // The dashboard's proxy speaks HTTPS only; the regex path and rewrite strip the prefix.
                        [INGRESS_NGINX_ANNOTATIONS.backendProtocol]: "HTTPS",
                        [INGRESS_NGINX_ANNOTATIONS.useRegex]: "true",
                        [INGRESS_NGINX_ANNOTATIONS.rewriteTarget]: "/$2",
                    },
                },
                spec: {
                    ingressClassName: args.ingressClassName ?? "nginx",
                    rules: [
                        {
                            host: args.host,
                            http: {
                                paths: [
                                    {
                                        path: `${path}(/|$)(.*)`,
                                        pathType: "ImplementationSpecific",
                                        backend: { service: { name: "kubernetes-dashboard-kong-proxy", port: { number: 443 } } },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: this.chart ? [this.chart] : [] },
        );
        this.registerOutputs({});
    }
}
