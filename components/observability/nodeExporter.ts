import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerResources, EphemeralStorage } from "../core/placement";
import { serviceReadiness } from "../core/readiness";

export const NODE_EXPORTER_IMAGE_DEFAULT = "quay.io/prometheus/node-exporter:v1.9.1";
/** node-exporter writes nothing but its logs. */
export const NODE_EXPORTER_EPHEMERAL_STORAGE: EphemeralStorage = { request: "16Mi", limit: "64Mi" };

/** Arguments of {@link NodeExporter}. */
export interface NodeExporterArgs {
    /** Namespace (created by the caller, labelled `privileged`: the exporter reads the host's /proc and /sys on the host network). Defaults to "monitoring". */
    readonly namespace?: string;
    /** Defaults to {@link NODE_EXPORTER_IMAGE_DEFAULT}. */
    readonly image?: string;
    /** Ephemeral storage of the container. Defaults to {@link NODE_EXPORTER_EPHEMERAL_STORAGE}; null for none. */
    readonly ephemeralStorage?: EphemeralStorage | null;
}

/**
 * Prometheus node-exporter on every node, control-plane nodes included (`tolerations: [{operator: Exists}]`),
 * with its ServiceAccount, ClusterRole(Binding) and a Service on 9100.
 */
export class NodeExporter extends pulumi.ComponentResource {
    public readonly daemonSet: k8s.apps.v1.DaemonSet;

    constructor(name: string, args: NodeExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:NodeExporter", name, {}, opts);
        const namespace = args.namespace ?? "monitoring";
        const labels = { app: "node-exporter" };
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: "node-exporter", namespace, labels }, automountServiceAccountToken: false }, { parent: this });
        // node-exporter reads only the host's /proc and /sys, never the API: the role grants nothing.
        // It is kept (as in the lab) so that a metrics proxy can be granted what it needs in one place.
        // `rules` is left out rather than `[]`: the API server stores an empty list as null, so `[]`
        // would show a diff on every preview.
        const role = new k8s.rbac.v1.ClusterRole(`${name}-role`, { metadata: { name: "node-exporter", labels } }, { parent: this });
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-binding`,
            {
                metadata: { name: "node-exporter", labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "node-exporter" },
                subjects: [{ kind: "ServiceAccount", name: "node-exporter", namespace }],
            },
            { parent: this, dependsOn: [sa, role] },
        );
        this.daemonSet = new k8s.apps.v1.DaemonSet(
            name,
            {
                metadata: { name: "node-exporter", namespace, labels },
                spec: {
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: "node-exporter",
                            automountServiceAccountToken: false,
                            hostNetwork: true,
                            hostPID: true,
                            tolerations: [{ operator: "Exists" }],
                            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "node-exporter",
                                    image: args.image ?? NODE_EXPORTER_IMAGE_DEFAULT,
                                    args: ["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root", "--web.listen-address=:9100"],
                                    ports: [{ name: "metrics", containerPort: 9100, protocol: "TCP" }],
                                    // Ready when it answers HTTP; alive while it accepts connections (a slow scrape
                                    // makes it unready, it does not restart it).
                                    readinessProbe: { httpGet: { path: "/", port: 9100 } },
                                    livenessProbe: { tcpSocket: { port: 9100 }, initialDelaySeconds: 10, periodSeconds: 20 },
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
            `${name}-svc`,
            // Ready at once (a ClusterIP Service); the DaemonSet's rollout is awaited.
            {
                metadata: { name: "node-exporter", namespace, labels, annotations: serviceReadiness("ClusterIP") },
                spec: { selector: labels, ports: [{ name: "metrics", port: 9100, targetPort: "metrics" }] },
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
