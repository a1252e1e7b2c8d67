import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INGRESS_NGINX_ANNOTATIONS } from "../core/constants";
import { GeneratedKey } from "../core/generatedKey";
import { declared, type DeclaredObject } from "../core/planned";
import { AWAIT_INGRESS_ADDRESS } from "../core/readiness";
import { chartArgs, ChartSource } from "./chartSource";
import { INGRESS_NGINX_DEFAULTS } from "./ingressNginx";

/** The last Kubernetes Dashboard chart (the project is archived; Headlamp is its successor). */
export const DASHBOARD_CHART_DEFAULT = { repo: "https://kubernetes.github.io/dashboard", version: "7.14.0" };

/** Requests and limits of the chart's Kong proxy and its init container (the chart sets none). */
export const DASHBOARD_KONG_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } };

/** The defaults of {@link DashboardArgs}, stated once: the component and config/network.ts's schema read them. */
export const DASHBOARD_DEFAULTS = { namespace: "kubernetes-dashboard", install: true, path: "/dashboard", ingressClassName: INGRESS_NGINX_DEFAULTS.className } as const;

/** The chart's release, and the Service of its Kong proxy (HTTPS) that the Ingress sends to. */
const RELEASE = "kubernetes-dashboard";
const PROXY = { service: `${RELEASE}-kong-proxy`, port: 443 } as const;

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

/** What {@link Dashboard} `name` declares of `args`. */
export interface PlannedDashboard {
    readonly namespace: string;
    /** The chart and its CSRF key, when it is installed. */
    readonly chart?: { readonly resourceName: string; readonly release: string; readonly csrfKey: string };
    readonly ingress: {
        readonly resourceName: string;
        readonly name: string;
        readonly className: string;
        readonly path: string;
        readonly backend: { readonly service: string; readonly port: number };
    };
    /** The one object the program declares itself: the Ingress (the chart's are the chart's). */
    readonly objects: readonly DeclaredObject[];
}

/** The names of {@link Dashboard} `name`, with its defaults applied, decided once: the component and plan/ both read them. */
export function planDashboard(name: string, args: Pick<DashboardArgs, "namespace" | "install" | "path" | "ingressClassName">): PlannedDashboard {
    const namespace = args.namespace ?? DASHBOARD_DEFAULTS.namespace;
    const ingress = {
        resourceName: `${name}-ingress`,
        name: "dashboard",
        className: args.ingressClassName ?? DASHBOARD_DEFAULTS.ingressClassName,
        path: args.path ?? DASHBOARD_DEFAULTS.path,
        backend: PROXY,
    };
    return {
        namespace,
        chart: (args.install ?? DASHBOARD_DEFAULTS.install) ? { resourceName: `${name}-chart`, release: RELEASE, csrfKey: `${name}-csrf-key` } : undefined,
        ingress,
        // Made by the component's being there: its `enabled` setting.
        objects: [declared("Dashboard", ingress.resourceName, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", namespace, name: ingress.name, source: { path: ["enabled"], value: true } })],
    };
}

/** Kubernetes Dashboard published behind ingress-nginx at /dashboard, with the lab's annotations. */
export class Dashboard extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    public readonly ingress: k8s.networking.v1.Ingress;

    constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:Dashboard", name, {}, opts);
        const planned = planDashboard(name, args);
        const namespace = planned.namespace;
        const chart = args.chart ?? DASHBOARD_CHART_DEFAULT;
        if (planned.chart !== undefined) {
            this.chart = new k8s.helm.v4.Chart(
                planned.chart.resourceName,
                {
                    name: planned.chart.release,
                    ...chartArgs("kubernetes-dashboard", chart),
                    namespace,
                    values: {
                        // The chart would make a new CSRF key (256 random bytes) on every render.
                        app: { security: { csrfKey: new GeneratedKey(planned.chart.csrfKey, { bytes: 256 }, { parent: this }).value } },
                        kong: { resources: DASHBOARD_KONG_RESOURCES },
                    },
                },
                { parent: this },
            );
        }
        const ingress = planned.ingress;
        this.ingress = new k8s.networking.v1.Ingress(
            ingress.resourceName,
            {
                metadata: {
                    name: ingress.name,
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
                    ingressClassName: ingress.className,
                    rules: [
                        {
                            host: args.host,
                            http: {
                                paths: [
                                    {
                                        path: `${ingress.path}(/|$)(.*)`,
                                        pathType: "ImplementationSpecific",
                                        backend: { service: { name: ingress.backend.service, port: { number: ingress.backend.port } } },
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
