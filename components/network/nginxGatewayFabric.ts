import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { declared, type DeclaredObject } from "../core/planned";
import { restrictedContainer } from "../core/security";
import { chartArgs, ChartSource } from "./chartSource";

/** NGINX Gateway Fabric, the official OCI chart (Gateway API v1.5.1, standard channel). */
export const NGINX_GATEWAY_CHART_DEFAULT = { repo: "oci://ghcr.io/nginx/charts", version: "2.6.7" };
/** The Gateway API release whose standard-channel CRDs this controller version supports (a prerequisite). */
export const GATEWAY_API_VERSION = "v1.5.1";

/** The defaults of {@link NginxGatewayFabricArgs}, stated once: the component and config/network.ts's schema read them. */
export const NGINX_GATEWAY_DEFAULTS = { namespace: "nginx-gateway", install: true, className: "nginx" } as const;

/** Arguments of {@link NginxGatewayFabric}. */
export interface NginxGatewayFabricArgs {
    /** Namespace of the control plane (created by the caller). Defaults to "nginx-gateway". */
    readonly namespace?: string;
    /** Install the chart. false: use a controller (and its GatewayClass) that is already there. Defaults to true. */
    readonly install?: boolean;
    /** Chart source and exact version. Defaults to {@link NGINX_GATEWAY_CHART_DEFAULT}. */
    readonly chart?: ChartSource;
    /** The GatewayClass the chart creates. Defaults to "nginx". */
    readonly className?: string;
}

/** The Helm release name: the chart's objects are `<release>-nginx-gateway-fabric`, its TLS Secrets fixed. */
const RELEASE = "ngf";
const FULLNAME = `${RELEASE}-nginx-gateway-fabric`;

/** What {@link NginxGatewayFabric} `name` declares of `args`. */
export interface PlannedNginxGatewayFabric {
    readonly namespace: string;
    readonly className: string;
    /** The chart and its certificate Job, when it is installed. */
    readonly install?: {
        readonly chart: { readonly resourceName: string; readonly release: string };
        /** The ServiceAccount, Role, RoleBinding and Job of the certificates: one resource name and one Kubernetes name for the four. */
        readonly certGenerator: { readonly resourceName: string; readonly name: string; readonly labels: Readonly<Record<string, string>> };
        /** The control plane's Service, which the certificates are for. */
        readonly service: string;
    };
    /** The objects the program declares itself (the chart's are the chart's): the certificate Job's ServiceAccount, Role, RoleBinding and Job, made by `install`. */
    readonly objects: readonly DeclaredObject[];
}

/** The names of {@link NginxGatewayFabric} `name`, with its defaults applied, decided once: the component and plan/ both read them. */
export function planNginxGatewayFabric(name: string, args: Pick<NginxGatewayFabricArgs, "namespace" | "install" | "className">): PlannedNginxGatewayFabric {
    const namespace = args.namespace ?? NGINX_GATEWAY_DEFAULTS.namespace;
    const install = planInstall(name, args);
    const source = { path: ["install"], value: true };
    const rbac = "rbac.authorization.k8s.io/v1";
    const objects = install
        ? (
              [
                  ["v1", "ServiceAccount"],
                  [rbac, "Role"],
                  [rbac, "RoleBinding"],
                  ["batch/v1", "Job"],
              ] as const
          ).map(([apiVersion, kind]) => {
              const { resourceName, name: certName, labels } = install.certGenerator;
              return declared("NginxGatewayFabric", resourceName, { apiVersion, kind, namespace, name: certName, source, labels });
          })
        : [];
    return { namespace, className: args.className ?? NGINX_GATEWAY_DEFAULTS.className, install, objects };
}

/** The chart and its certificate Job's names, when it is installed. */
function planInstall(name: string, args: Pick<NginxGatewayFabricArgs, "install">): PlannedNginxGatewayFabric["install"] {
    return (args.install ?? NGINX_GATEWAY_DEFAULTS.install)
        ? {
              chart: { resourceName: `${name}-chart`, release: RELEASE },
              certGenerator: {
                  resourceName: `${name}-cert-generator`,
                  name: `${FULLNAME}-cert-generator`,
                  labels: { "app.kubernetes.io/name": "nginx-gateway-fabric", "app.kubernetes.io/instance": RELEASE },
              },
              service: FULLNAME,
          }
        : undefined;
}

/**
 * NGINX Gateway Fabric: a Gateway API implementation whose control plane provisions one NGINX data
 * plane (a Deployment and a `LoadBalancer` Service, `<gateway>-<class>`) per Gateway, in the
 * Gateway's namespace. The Gateway API CRDs are a prerequisite (docs/gateway-api.md), not installed here.
 *
 * The chart makes the control plane's TLS Secrets (`server-tls`, `agent-tls`) with a Helm hook Job,
 * which `helm.v4.Chart` skips; the same Job is declared here as an ordinary resource, and the chart's
 * objects wait for it.
 */
export class NginxGatewayFabric extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    public readonly className: string;

    constructor(name: string, args: NginxGatewayFabricArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:NginxGatewayFabric", name, {}, opts);
        const planned = planNginxGatewayFabric(name, args);
        this.className = planned.className;
        const namespace = planned.namespace;
        const chart = args.chart ?? NGINX_GATEWAY_CHART_DEFAULT;
        if (planned.install !== undefined) {
            const { resourceName, name: certGenerator } = planned.install.certGenerator;
            const labels = { ...planned.install.certGenerator.labels };
            const sa = new k8s.core.v1.ServiceAccount(resourceName, { metadata: { name: certGenerator, namespace, labels }, automountServiceAccountToken: false }, { parent: this });
            const role = new k8s.rbac.v1.Role(
                resourceName,
                { metadata: { name: certGenerator, namespace, labels }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "get"] }] },
                { parent: this },
            );
            const binding = new k8s.rbac.v1.RoleBinding(
                resourceName,
                {
                    metadata: { name: certGenerator, namespace, labels },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: certGenerator },
                    subjects: [{ kind: "ServiceAccount", name: certGenerator, namespace }],
                },
                { parent: this, dependsOn: [sa, role] },
            );
            const job = new k8s.batch.v1.Job(
                resourceName,
                {
                    metadata: { name: certGenerator, namespace, labels },
                    spec: {
                        template: {
                            metadata: { labels },
                            spec: {
                                // The one pod here that talks to the API server: it writes the two Secrets.
                                automountServiceAccountToken: true,
                                serviceAccountName: certGenerator,
                                restartPolicy: "Never",
                                securityContext: { runAsNonRoot: true, fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
                                containers: [
                                    {
                                        name: "cert-generator",
                                        image: `ghcr.io/nginx/nginx-gateway-fabric:${chart.version}`,
                                        args: [
                                            "generate-certs",
                                            `--service=${planned.install.service}`,
                                            "--cluster-domain=cluster.local",
                                            "--server-tls-secret=server-tls",
                                            "--agent-tls-secret=agent-tls",
                                        ],
                                        env: [{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                                        securityContext: { ...restrictedContainer({ readOnlyRootFilesystem: true }), runAsUser: 101, runAsGroup: 1001 },
                                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                                    },
                                ],
                            },
                        },
                    },
                },
                { parent: this, dependsOn: [binding] },
            );
            this.chart = new k8s.helm.v4.Chart(
                planned.install.chart.resourceName,
                {
                    name: planned.install.chart.release,
                    ...chartArgs("nginx-gateway-fabric", chart),
                    namespace,
                    values: {
                        // The Job above makes the Secrets the hook would have made.
                        certGenerator: { enable: false },
                        nginxGateway: {
                            gatewayClassName: this.className,
                            productTelemetry: { enable: false },
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                        },
                        // Every Gateway's data plane: a MetalLB LoadBalancer keeping the client's address. A
                        // Gateway pins its address with the metallb.io annotation in spec.infrastructure.
                        nginx: {
                            service: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
                            container: { resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
                        },
                    },
                },
                { parent: this, dependsOn: [job] },
            );
        }
        this.registerOutputs({ className: this.className });
    }
}
