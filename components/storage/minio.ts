import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_LABEL, METALLB_LOAD_BALANCER_IPS, PORTS, ROLLOUT_TIMEOUT_SECONDS } from "../core/constants";
import { containerResources, EphemeralStorage } from "../core/placement";
import { declared, type DeclaredObject } from "../core/planned";
import { serviceReadiness } from "../core/readiness";
import { OWNED_BY_PROGRAM, restrictedContainer, restrictedPod } from "../core/security";

/** MinIO community edition ships source only since October 2025: its last release image, pinned by tag. */
export const MINIO_IMAGE_DEFAULT = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z";
const MINIO_UID = 1000;
/** MinIO's node-local disk: its logs and /tmp (its data is on the volume). */
export const MINIO_EPHEMERAL_STORAGE: EphemeralStorage = { request: "64Mi", limit: "256Mi" };

/** The defaults of {@link MinIOArgs}, stated once: the component and config/storage.ts's schema read them. */
export const MINIO_DEFAULTS = {
    namespace: "default",
    loadBalancerName: "minio-svc-lb",
    storageSize: "10Gi",
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
} as const;

/** Arguments of {@link MinIO}. */
export interface MinIOArgs {
    /** Defaults to "default". */
    readonly namespace?: string;
    /** Root user; pass a secret Output (from `pulumi config set --secret`). */
    readonly rootUser: pulumi.Input<string>;
    /** Root password; pass a secret Output. */
    readonly rootPassword: pulumi.Input<string>;
    /** Image pinned by release tag. Defaults to {@link MINIO_IMAGE_DEFAULT}. */
    readonly image?: string;
    /** Size of each replica's `data` volume. Defaults to "10Gi". */
    readonly storageSize?: string;
    /** StorageClass of the volume claims. Defaults to the cluster's default class. */
    readonly storageClass?: string;
    /** Also expose MinIO through a MetalLB `LoadBalancer` Service. Defaults to { name: "minio-svc-lb" }; null for none. */
    readonly loadBalancer?: { readonly name: string; readonly loadBalancerIP?: string } | null;
    /**
     * What the LoadBalancer Service waits for: MetalLB, whose pool gives it its address. The Secret,
     * the StatefulSet and its claim do not wait for it: MinIO starts while MetalLB installs.
     */
    readonly loadBalancerDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Defaults to 100m/256Mi requested, 1 CPU/1Gi limit. */
    readonly resources?: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly cpu: string; readonly memory: string } };
    /** Defaults to true (MinIO writes only to /data and /tmp). */
    readonly readOnlyRootFilesystem?: boolean;
    /** How long `pulumi up` waits for the StatefulSet. Defaults to 600. */
    readonly rolloutTimeoutSeconds?: number;
    /** Ephemeral storage of the container. Defaults to {@link MINIO_EPHEMERAL_STORAGE}; null for none. */
    readonly ephemeralStorage?: EphemeralStorage | null;
}

/** What {@link MinIO} `name` declares of `args`: its namespace, labels (its pods' selector too) and, per object, the Pulumi resource name and Kubernetes name. */
export interface PlannedMinIO {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly statefulSet: { readonly resourceName: string; readonly name: string };
    readonly headless: { readonly resourceName: string; readonly name: string };
    /** Named by Pulumi after its resource. */
    readonly credentials: { readonly resourceName: string };
    readonly loadBalancer?: { readonly resourceName: string; readonly name: string };
    /** Every object, in the component's order, with the setting that made it (its `name`; the LoadBalancer's own name and address). */
    readonly objects: readonly DeclaredObject[];
}

/** The names and labels of {@link MinIO} `name`, decided once: the component and plan/ both read them. */
export function planMinIO(name: string, args: Pick<MinIOArgs, "namespace" | "loadBalancer">): PlannedMinIO {
    const lb = args.loadBalancer === undefined ? { name: MINIO_DEFAULTS.loadBalancerName } : args.loadBalancer;
    const namespace = args.namespace ?? MINIO_DEFAULTS.namespace;
    const labels = { [APP_LABEL]: name };
    const p = {
        statefulSet: { resourceName: name, name },
        headless: { resourceName: `${name}-headless`, name },
        credentials: { resourceName: `${name}-credentials` },
        loadBalancer: lb ? { resourceName: `${name}-lb`, name: lb.name } : undefined,
    };
    const source = { path: ["name"], value: name };
    const selector = { labels, source };
    const address = lb?.loadBalancerIP;
    const objects = [
        declared("MinIO", p.statefulSet.resourceName, { apiVersion: "apps/v1", kind: "StatefulSet", namespace, name: p.statefulSet.name, source, labels, selector }),
        declared("MinIO", p.headless.resourceName, { apiVersion: "v1", kind: "Service", namespace, name: p.headless.name, source, labels, selector, ports: [PORTS.minio] }),
        declared("MinIO", p.credentials.resourceName, { apiVersion: "v1", kind: "Secret", namespace, source, labels }),
        ...(p.loadBalancer
            ? [
                  declared("MinIO", p.loadBalancer.resourceName, {
                      apiVersion: "v1",
                      kind: "Service",
                      namespace,
                      name: p.loadBalancer.name,
                      source: { path: ["loadBalancer", "name"], value: p.loadBalancer.name },
                      labels,
                      selector,
                      ports: [PORTS.minio],
                      pin: address === undefined ? undefined : { address, source: { path: ["loadBalancer", "loadBalancerIP"], value: address } },
                  }),
              ]
            : []),
    ];
    return { namespace, labels, ...p, objects };
}

/**
 * The lab's MinIO: a one-replica StatefulSet with a volume claim template, a headless Service, an
 * optional LoadBalancer Service, and its credentials only in a Secret read through `secretKeyRef`.
 * No PodDisruptionBudget and no spread: for a single pod a budget could only block every drain
 * (minAvailable 1) or allow what no budget allows (maxUnavailable 1); a drain stops MinIO until its
 * pod runs again where its volume is (docs/operations.md).
 */
export class MinIO extends pulumi.ComponentResource {
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    public readonly secret: k8s.core.v1.Secret;
    /** In-cluster S3 endpoint. */
    public readonly endpoint: string;

    constructor(name: string, args: MinIOArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:storage:MinIO", name, {}, opts);
        const planned = planMinIO(name, args);
        const namespace = planned.namespace;
        const labels = { ...planned.labels };
        this.secret = new k8s.core.v1.Secret(
            planned.credentials.resourceName,
            { metadata: { namespace, labels }, type: "Opaque", stringData: { username: pulumi.secret(args.rootUser), password: pulumi.secret(args.rootPassword) } },
            { parent: this, additionalSecretOutputs: ["data", "stringData"] },
        );
        const headless = new k8s.core.v1.Service(
            planned.headless.resourceName,
            // Ready at once: a headless Service has no address to wait for; the StatefulSet's rollout is awaited.
            {
                metadata: { name: planned.headless.name, namespace, labels, annotations: serviceReadiness("Headless") },
                spec: { clusterIP: "None", selector: labels, ports: [{ name: "api", port: PORTS.minio, targetPort: "api" }] },
            },
            { parent: this },
        );
        const fromSecret = (key: string) => ({ secretKeyRef: { name: this.secret.metadata.name, key } });
        const timeout = `${args.rolloutTimeoutSeconds ?? ROLLOUT_TIMEOUT_SECONDS}s`;
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            planned.statefulSet.resourceName,
            {
                metadata: { name: planned.statefulSet.name, namespace, labels, annotations: OWNED_BY_PROGRAM },
                spec: {
                    replicas: 1,
                    serviceName: headless.metadata.name,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: restrictedPod(MINIO_UID),
                            containers: [
                                {
                                    name: "minio",
                                    image: args.image ?? MINIO_IMAGE_DEFAULT,
                                    args: ["server", "/data", "--certs-dir", "/tmp/certs"],
                                    env: [
                                        { name: "MINIO_ROOT_USER", valueFrom: fromSecret("username") },
                                        { name: "MINIO_ROOT_PASSWORD", valueFrom: fromSecret("password") },
                                    ],
                                    ports: [{ name: "api", containerPort: PORTS.minio, protocol: "TCP" }],
                                    livenessProbe: { httpGet: { path: "/minio/health/live", port: PORTS.minio }, initialDelaySeconds: 120, periodSeconds: 20 },
                                    readinessProbe: { httpGet: { path: "/minio/health/ready", port: PORTS.minio }, periodSeconds: 10 },
                                    resources: containerResources(args.resources ?? MINIO_DEFAULTS.resources, args.ephemeralStorage === undefined ? MINIO_EPHEMERAL_STORAGE : args.ephemeralStorage),
                                    securityContext: restrictedContainer({ readOnlyRootFilesystem: args.readOnlyRootFilesystem }),
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: {} }],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data" },
                            spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClass, resources: { requests: { storage: args.storageSize ?? MINIO_DEFAULTS.storageSize } } },
                        },
                    ],
                },
            },
            { parent: this, customTimeouts: { create: timeout, update: timeout } },
        );
        const lb = args.loadBalancer === undefined ? { name: "minio-svc-lb" } : args.loadBalancer;
        if (lb && planned.loadBalancer) {
            new k8s.core.v1.Service(
                planned.loadBalancer.resourceName,
                {
                    // Ready: once MetalLB assigned its address.
                    metadata: {
                        name: planned.loadBalancer.name,
                        namespace,
                        labels,
                        annotations: { ...serviceReadiness("LoadBalancer"), ...(lb.loadBalancerIP ? { [METALLB_LOAD_BALANCER_IPS]: lb.loadBalancerIP } : {}) },
                    },
                    spec: { type: "LoadBalancer", selector: labels, ports: [{ name: "api", port: PORTS.minio, targetPort: "api" }] },
                },
                { parent: this, dependsOn: args.loadBalancerDependsOn },
            );
        }
        this.endpoint = `http://${name}.${namespace}.svc.cluster.local:${PORTS.minio}`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}
