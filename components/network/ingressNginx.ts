import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INGRESS_NGINX, METALLB_LOAD_BALANCER_IPS } from "../core/constants";
import { declared, type PlannedObject } from "../core/planned";
import { restrictedContainer } from "../core/security";
import { chartArgs, ChartSource } from "./chartSource";

/** The final ingress-nginx chart: the project was retired in March 2026 (docs/gateway-api.md is the way forward). */
export const INGRESS_NGINX_CHART_DEFAULT = { repo: "https://kubernetes.github.io/ingress-nginx", version: "4.15.1" };

/** The defaults of {@link IngressNginxArgs}, stated once: the component, config/network.ts's schema and the Dashboard's default read them. */
export const INGRESS_NGINX_DEFAULTS = { namespace: INGRESS_NGINX.namespace, install: true, className: INGRESS_NGINX.className, replicas: 1 } as const;

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

/** The annotation by which the kubernetes provider orders a chart's objects among themselves. */
const DEPENDS_ON = "config.kubernetes.io/depends-on";

/** The chart's ServiceAccount, Role, RoleBinding, ClusterRole and ClusterRoleBinding of the controller, as {@link DEPENDS_ON} names them. */
export function controllerPrerequisites(namespace: string): string {
    const rbac = "rbac.authorization.k8s.io";
    return [
        `/namespaces/${namespace}/ServiceAccount/${RELEASE}`,
        `${rbac}/namespaces/${namespace}/Role/${RELEASE}`,
        `${rbac}/namespaces/${namespace}/RoleBinding/${RELEASE}`,
        `${rbac}/ClusterRole/${RELEASE}`,
        `${rbac}/ClusterRoleBinding/${RELEASE}`,
    ].join(",");
}

/**
 * How often (seconds) the controller writes its address into the Ingresses' status. The controller
 * writes it when it starts leading and then on this period only (its default 60 s): an Ingress created
 * after the controller, as every release's is, waits for the next period, and so does `pulumi up`,
 * which awaits that address. Each period reads only the controller's own informer cache.
 */
export const INGRESS_NGINX_STATUS_UPDATE_SECONDS = 5;

/** The admission webhook's certificate image of the pinned chart (its values' `admissionWebhooks.patch.image`), by tag and digest as the chart pins it. */
export const INGRESS_NGINX_CERTGEN_IMAGE = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd";

/** What {@link IngressNginx} `name` declares of `args`, with its defaults applied. */
export interface PlannedIngressNginx {
    readonly namespace: string;
    readonly className: string;
    /** The chart, when it is installed. */
    readonly chart?: { readonly resourceName: string; readonly release: string };
    /** The controller's LoadBalancer Service: the chart's (or an installed controller's, named alike), where its address is pinned. */
    readonly controllerService: string;
    /**
     * The admission webhook's certificate, when the chart is installed: the chart makes it with Helm hook
     * Jobs, which `helm.v4.Chart` skips, so the same objects are declared as ordinary resources.
     */
    readonly admission?: PlannedIngressNginxAdmission;
    /** Every object: the chart's controller Service (its address pinned by `loadBalancerIP`), then the admission certificate's, made by `install`. */
    readonly objects: readonly PlannedObject[];
}

/** The objects that give ingress-nginx's admission webhook its certificate (the chart's `admission-webhooks/job-patch`). */
export interface PlannedIngressNginxAdmission {
    /** The ServiceAccount, Role, RoleBinding, ClusterRole and ClusterRoleBinding: one resource name and one Kubernetes name for the five. */
    readonly resourceName: string;
    readonly name: string;
    /** The Secret the certificate is written to and the controller mounts (the chart's name for it). */
    readonly secret: string;
    /** The chart's ValidatingWebhookConfiguration, whose caBundle the patch Job sets. */
    readonly webhook: string;
    /** The controller's webhook Service, which the certificate is for. */
    readonly service: string;
    /** The Job that makes the certificate (before the chart) and the one that puts its CA into the webhook (after it). */
    readonly createJob: { readonly resourceName: string; readonly name: string };
    readonly patchJob: { readonly resourceName: string; readonly name: string };
    readonly labels: Readonly<Record<string, string>>;
}

/** The names of {@link IngressNginx} `name`, decided once: the component and plan/ both read them. */
export function planIngressNginx(name: string, args: Pick<IngressNginxArgs, "namespace" | "install" | "className" | "loadBalancerIP">): PlannedIngressNginx {
    const namespace = args.namespace ?? INGRESS_NGINX_DEFAULTS.namespace;
    const admission = planAdmission(name, args);
    const controllerService = `${RELEASE}-controller`;
    const address = args.loadBalancerIP;
    const rbac = "rbac.authorization.k8s.io/v1";
    const source = { path: ["install"], value: true };
    const objects: PlannedObject[] = [
        // The chart's controller Service (or the installed controller's): where its address is pinned.
        {
            apiVersion: "v1",
            kind: "Service",
            namespace,
            name: controllerService,
            by: "chart",
            source: { path: ["enabled"], value: true },
            pin: address === undefined ? undefined : { address, source: { path: ["loadBalancerIP"], value: address } },
        },
        ...(admission
            ? [
                  ...(
                      [
                          ["v1", "ServiceAccount", namespace],
                          [rbac, "Role", namespace],
                          [rbac, "RoleBinding", namespace],
                          [rbac, "ClusterRole", undefined],
                          [rbac, "ClusterRoleBinding", undefined],
                      ] as const
                  ).map(([apiVersion, kind, ns]) => declared("IngressNginx", admission.resourceName, { apiVersion, kind, namespace: ns, name: admission.name, source, labels: admission.labels })),
                  ...[admission.createJob, admission.patchJob].map((job) =>
                      declared("IngressNginx", job.resourceName, { apiVersion: "batch/v1", kind: "Job", namespace, name: job.name, source, labels: admission.labels }),
                  ),
              ]
            : []),
    ];
    return {
        namespace,
        className: args.className ?? INGRESS_NGINX_DEFAULTS.className,
        chart: admission ? { resourceName: `${name}-chart`, release: RELEASE } : undefined,
        controllerService,
        admission,
        objects,
    };
}

/** The admission webhook certificate's objects, when the chart is installed. */
function planAdmission(name: string, args: Pick<IngressNginxArgs, "install">): PlannedIngressNginxAdmission | undefined {
    // The chart's names for a release named like the chart: fullname "ingress-nginx".
    const admission = `${RELEASE}-admission`;
    return (args.install ?? INGRESS_NGINX_DEFAULTS.install)
        ? {
              resourceName: `${name}-admission`,
              name: admission,
              secret: admission,
              webhook: admission,
              service: `${RELEASE}-controller-admission`,
              createJob: { resourceName: `${name}-admission-create`, name: `${admission}-create` },
              patchJob: { resourceName: `${name}-admission-patch`, name: `${admission}-patch` },
              labels: { "app.kubernetes.io/name": RELEASE, "app.kubernetes.io/instance": RELEASE, "app.kubernetes.io/component": "admission-webhook" },
          }
        : undefined;
}

/**
 * The certificate of ingress-nginx's admission webhook, as the chart's hook Jobs make it
 * (kube-webhook-certgen): `create` writes a self-signed CA and serving certificate into the Secret the
 * controller mounts, `patch` puts the CA into the chart's ValidatingWebhookConfiguration. `create` runs
 * before the chart (`dependsOn` the returned Job), `patch` after it.
 */
function admissionCertificate(planned: PlannedIngressNginxAdmission, namespace: string, parent: pulumi.Resource): { create: k8s.batch.v1.Job; patch: (chart: pulumi.Resource) => k8s.batch.v1.Job } {
    const { resourceName, name, labels } = planned;
    const metadata = { name, labels: { ...labels } };
    const sa = new k8s.core.v1.ServiceAccount(resourceName, { metadata: { ...metadata, namespace }, automountServiceAccountToken: false }, { parent });
    const role = new k8s.rbac.v1.Role(resourceName, { metadata: { ...metadata, namespace }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "create"] }] }, { parent });
    const roleBinding = new k8s.rbac.v1.RoleBinding(
        resourceName,
        { metadata: { ...metadata, namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects: [{ kind: "ServiceAccount", name, namespace }] },
        { parent, dependsOn: [sa, role] },
    );
    // get and update of the chart's webhook configuration only, by name.
    const clusterRole = new k8s.rbac.v1.ClusterRole(
        resourceName,
        { metadata, rules: [{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: [planned.webhook], verbs: ["get", "update"] }] },
        { parent },
    );
    const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
        resourceName,
        { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name }, subjects: [{ kind: "ServiceAccount", name, namespace }] },
        { parent, dependsOn: [sa, clusterRole] },
    );
    const job = (job: { resourceName: string; name: string }, container: string, args: string[], dependsOn: pulumi.Resource[]) =>
        new k8s.batch.v1.Job(
            job.resourceName,
            {
                metadata: { name: job.name, namespace, labels: { ...labels } },
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: { ...labels } },
                        spec: {
                            // The pods here that talk to the API server: they write the Secret and the webhook's CA.
                            automountServiceAccountToken: true,
                            serviceAccountName: name,
                            restartPolicy: "OnFailure",
                            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: container,
                                    image: INGRESS_NGINX_CERTGEN_IMAGE,
                                    args,
                                    env: [{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                                    securityContext: restrictedContainer({ readOnlyRootFilesystem: true }),
                                    resources: { requests: { cpu: "10m", memory: "20Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                                },
                            ],
                        },
                    },
                },
            },
            { parent, dependsOn },
        );
    const create = job(
        planned.createJob,
        "create",
        ["create", `--host=${planned.service},${planned.service}.$(POD_NAMESPACE).svc`, "--namespace=$(POD_NAMESPACE)", `--secret-name=${planned.secret}`],
        [roleBinding],
    );
    const patch = (chart: pulumi.Resource) =>
        job(
            planned.patchJob,
            "patch",
            ["patch", `--webhook-name=${planned.webhook}`, "--namespace=$(POD_NAMESPACE)", "--patch-mutating=false", `--secret-name=${planned.secret}`, "--patch-failure-policy=Fail"],
            [roleBinding, clusterRoleBinding, create, chart],
        );
    return { create, patch };
}

/**
 * ingress-nginx behind a MetalLB `LoadBalancer` Service with `externalTrafficPolicy: Local`, with its
 * admission webhook on: an Ingress that would break the controller's nginx configuration (a host and
 * path another Ingress already claims, an invalid annotation) is refused by the API server. An Ingress
 * of the controller's class must therefore be created after the component is ready (`dependsOn` it).
 */
/**
 * The chart's values for the planned controller. `hooks`: the chart's own Helm hooks make the
 * admission webhook's certificate (`helm install`, the lab's way); without them (the default), as
 * helm.v4.Chart does not run Helm hooks, the component declares those Jobs as ordinary resources and
 * the chart's own are not rendered.
 */
export function ingressNginxChartValues(planned: Pick<PlannedIngressNginx, "namespace" | "className">, args: Pick<IngressNginxArgs, "replicas" | "loadBalancerIP">, hooks = false) {
    return {
        controller: {
            replicaCount: args.replicas ?? INGRESS_NGINX_DEFAULTS.replicas,
            ingressClass: planned.className,
            ingressClassResource: { name: planned.className, enabled: true, default: false },
            service: {
                type: "LoadBalancer",
                // Keeps the client's source address and answers only on nodes running a controller pod.
                externalTrafficPolicy: "Local",
                annotations: args.loadBalancerIP ? { [METALLB_LOAD_BALANCER_IPS]: args.loadBalancerIP } : {},
            },
            admissionWebhooks: { enabled: true, failurePolicy: "Fail", patch: { enabled: hooks } },
            resources: { requests: { cpu: "100m", memory: "90Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            // The probes hit /healthz on 10254; declaring that port (as "metrics") keeps the
            // probe on an exposed port, as the policy pack's probe-port-exposed rule asks.
            metrics: { enabled: true },
            extraArgs: { "status-update-interval": String(INGRESS_NGINX_STATUS_UPDATE_SECONDS) },
            // The chart's objects are applied side by side; a controller that starts before its
            // RBAC exists cannot list the IngressClasses and then ignores every Ingress until it
            // restarts. The Deployment waits for its account and roles (the provider's ordering).
            annotations: { [DEPENDS_ON]: controllerPrerequisites(planned.namespace) },
        },
    };
}

export class IngressNginx extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    /** The Job that puts the webhook's CA in place: once it completed, the webhook answers for every Ingress. */
    public readonly admissionReady?: k8s.batch.v1.Job;
    /** The controller's external address (known once MetalLB assigned it). */
    public readonly address: pulumi.Output<string | undefined>;
    public readonly className: string;

    constructor(name: string, args: IngressNginxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:IngressNginx", name, {}, opts);
        const chart = args.chart ?? INGRESS_NGINX_CHART_DEFAULT;
        const planned = planIngressNginx(name, args);
        this.className = planned.className;
        if (planned.chart !== undefined) {
            const certificate = planned.admission ? admissionCertificate(planned.admission, planned.namespace, this) : undefined;
            this.chart = new k8s.helm.v4.Chart(
                planned.chart.resourceName,
                {
                    name: planned.chart.release,
                    ...chartArgs("ingress-nginx", chart),
                    namespace: planned.namespace,
                    values: ingressNginxChartValues(planned, args),
                },
                { parent: this, dependsOn: certificate ? [certificate.create] : [] },
            );
            this.admissionReady = certificate?.patch(this.chart);
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
