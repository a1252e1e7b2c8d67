import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_LABEL, PORTS } from "../core/constants";
import { containerResources, EphemeralStorage } from "../core/placement";
import { declared, type DeclaredObject } from "../core/planned";
import { serviceReadiness } from "../core/readiness";

export const NODE_EXPORTER_IMAGE_DEFAULT = "quay.io/prometheus/node-exporter:v1.9.1";
/** node-exporter writes nothing but its logs. */
export const NODE_EXPORTER_EPHEMERAL_STORAGE: EphemeralStorage = { request: "16Mi", limit: "64Mi" };

/** The defaults of {@link NodeExporterArgs}, stated once: the component and config/observability.ts's schema read them. */
export const NODE_EXPORTER_DEFAULTS = { namespace: "monitoring" } as const;

/** The Kubernetes name of every object of {@link NodeExporter}, and its pods' `app` label. */
const NODE_EXPORTER = "node-exporter";

/** Arguments of {@link NodeExporter}. */
export interface NodeExporterArgs {
    /** Namespace (created by the caller, labelled `privileged`: the exporter reads the host's /proc and /sys on the host network). Defaults to "monitoring". */
    readonly namespace?: string;
    /** Defaults to {@link NODE_EXPORTER_IMAGE_DEFAULT}. */
    readonly image?: string;
    /** Ephemeral storage of the container. Defaults to {@link NODE_EXPORTER_EPHEMERAL_STORAGE}; null for none. */
    readonly ephemeralStorage?: EphemeralStorage | null;
}

/** What {@link NodeExporter} `name` declares of `args`: per object its Pulumi resource name and Kubernetes name, the pods' labels (their selector too) and the metrics port. */
export interface PlannedNodeExporter {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly port: number;
    readonly serviceAccount: { readonly resourceName: string; readonly name: string };
    readonly daemonSet: { readonly resourceName: string; readonly name: string };
    readonly service: { readonly resourceName: string; readonly name: string };
    readonly clusterRole: { readonly resourceName: string; readonly name: string };
    readonly binding: { readonly resourceName: string; readonly name: string };
    /** Every object, in the component's order: the ServiceAccount, the DaemonSet, the Service, the ClusterRole and its binding. */
    readonly objects: readonly DeclaredObject[];
}

/** The names and labels of {@link NodeExporter} `name`, with its defaults applied, decided once: the component and plan/ both read them. */
export function planNodeExporter(name: string, args: Pick<NodeExporterArgs, "namespace">): PlannedNodeExporter {
    const named = (resourceName: string) => ({ resourceName, name: NODE_EXPORTER });
    const ns = args.namespace ?? NODE_EXPORTER_DEFAULTS.namespace;
    const labels = { [APP_LABEL]: NODE_EXPORTER };
    const port = PORTS.nodeExporter;
    const p = { serviceAccount: named(`${name}-sa`), daemonSet: named(name), service: named(`${name}-svc`), clusterRole: named(`${name}-role`), binding: named(`${name}-binding`) };
    // Made by the component's being there: its `enabled` setting.
    const source = { path: ["enabled"], value: true };
    const own = { source, labels };
    const rbac = "rbac.authorization.k8s.io/v1";
    const objects = [
        declared("NodeExporter", p.serviceAccount.resourceName, { apiVersion: "v1", kind: "ServiceAccount", namespace: ns, name: p.serviceAccount.name, ...own }),
        declared("NodeExporter", p.daemonSet.resourceName, { apiVersion: "apps/v1", kind: "DaemonSet", namespace: ns, name: p.daemonSet.name, ...own, selector: { labels, source } }),
        declared("NodeExporter", p.service.resourceName, { apiVersion: "v1", kind: "Service", namespace: ns, name: p.service.name, ...own, selector: { labels, source }, ports: [port] }),
        declared("NodeExporter", p.clusterRole.resourceName, { apiVersion: rbac, kind: "ClusterRole", name: p.clusterRole.name, ...own }),
        declared("NodeExporter", p.binding.resourceName, { apiVersion: rbac, kind: "ClusterRoleBinding", name: p.binding.name, ...own }),
    ];
    return { namespace: ns, labels, port, ...p, objects };
}

/**
 * Prometheus node-exporter on every node, control-plane nodes included (`tolerations: [{operator: Exists}]`),
 * with its ServiceAccount, ClusterRole(Binding) and a Service on 9100.
 */
export class NodeExporter extends pulumi.ComponentResource {
    public readonly daemonSet: k8s.apps.v1.DaemonSet;

    constructor(name: string, args: NodeExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:NodeExporter", name, {}, opts);
        const p = planNodeExporter(name, args);
        const namespace = p.namespace;
        const labels = { ...p.labels };
        const sa = new k8s.core.v1.ServiceAccount(
            p.serviceAccount.resourceName,
            { metadata: { name: p.serviceAccount.name, namespace, labels }, automountServiceAccountToken: false },
            { parent: this },
        );
        // node-exporter reads only the host's /proc and /sys, never the API: the role grants nothing.
        // It is kept (as in the lab) so that a metrics proxy can be granted what it needs in one place.
        // `rules` is left out rather than `[]`: the API server stores an empty list as null, so `[]`
        // would show a diff on every preview.
        const role = new k8s.rbac.v1.ClusterRole(p.clusterRole.resourceName, { metadata: { name: p.clusterRole.name, labels } }, { parent: this });
        new k8s.rbac.v1.ClusterRoleBinding(
            p.binding.resourceName,
            {
                metadata: { name: p.binding.name, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: p.clusterRole.name },
                subjects: [{ kind: "ServiceAccount", name: p.serviceAccount.name, namespace }],
            },
            { parent: this, dependsOn: [sa, role] },
        );
        this.daemonSet = new k8s.apps.v1.DaemonSet(
            p.daemonSet.resourceName,
            {
                metadata: { name: p.daemonSet.name, namespace, labels },
                spec: {
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: p.serviceAccount.name,
                            automountServiceAccountToken: false,
                            hostNetwork: true,
                            hostPID: true,
                            tolerations: [{ operator: "Exists" }],
                            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "node-exporter",
                                    image: args.image ?? NODE_EXPORTER_IMAGE_DEFAULT,
                                    args: ["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root", `--web.listen-address=:${p.port}`],
                                    ports: [{ name: "metrics", containerPort: p.port, protocol: "TCP" }],
                                    // Ready when it answers HTTP; alive while it accepts connections (a slow scrape
                                    // makes it unready, it does not restart it).
                                    readinessProbe: { httpGet: { path: "/", port: p.port } },
                                    livenessProbe: { tcpSocket: { port: p.port }, initialDelaySeconds: 10, periodSeconds: 20 },
                                    resources: containerResources(
                                        { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                                        args.ephemeralStorage === undefined ? NODE_EXPORTER_EPHEMERAL_STORAGE : args.ephemeralStorage,
                                    ),
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [
                                        { name: "proc", mountPath: "/host/proc", readOnly: true },
                                        { name: "sys", mountPath: "/host/sys", readOnly: true },
                                        { name: "root", mountPath: "/host/root", readOnly: true, mountPropagation: "HostToContainer" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "proc", hostPath: { path: "/proc" } },
                                { name: "sys", hostPath: { path: "/sys" } },
                                { name: "root", hostPath: { path: "/" } },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [sa] },
        );
        new k8s.core.v1.Service(
            p.service.resourceName,
            // Ready at once (a ClusterIP Service); the DaemonSet's rollout is awaited.
            {
                metadata: { name: p.service.name, namespace, labels, annotations: serviceReadiness("ClusterIP") },
                spec: { selector: labels, ports: [{ name: "metrics", port: p.port, targetPort: "metrics" }] },
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
