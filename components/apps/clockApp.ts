import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_LABEL, PORTS, ROLLOUT_TIMEOUT_SECONDS, TRACK_LABEL, VERSION_LABEL } from "../core/constants";
import { containerResources, EphemeralStorage, TopologySpread, topologySpreadConstraints } from "../core/placement";
import { declared, type DeclaredObject, type Source } from "../core/planned";
import { OWNED_BY_PROGRAM, restrictedContainer, restrictedPod } from "../core/security";
import { clockPage, nginxServerConf } from "./page";
import { deploymentStrategy, drainBudget, StrategyPreset } from "./strategy";

/** Pinned images, stated here so the component is usable on its own. */
export const CLOCK_NGINX_IMAGE = "docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine";
export const CLOCK_INIT_IMAGE = "docker.io/library/busybox:1.37.0";
/** uid/gid the unprivileged nginx image runs as. */
const NGINX_UID = 101;

/** CPU and memory requests and limits of a container. */
export interface ContainerResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Arguments of {@link ClockApp}. */
export interface ClockAppArgs {
    /** Namespace of the ConfigMap and Deployment. Defaults to "default". */
    readonly namespace?: string;
    /** Deployment name in the cluster. Defaults to the component name. */
    readonly deploymentName?: string;
    /** Value of the `app` label (shared by all tracks of a release). */
    readonly app: string;
    /** Value of the `track` label: "stable" or "canary". Defaults to "stable". */
    readonly track?: "stable" | "canary";
    /** The version shown on the page and set as the `version` label. */
    readonly version: string;
    /** Number of pods. Defaults to 1. */
    readonly replicas?: number;
    /** The lab's broken release: the container's command is `false`, so it never starts. Defaults to false. */
    readonly broken?: boolean;
    /** Port nginx listens on (≥ 1024: the image is unprivileged). Defaults to 8080. */
    readonly port?: number;
    /**
     * How the page reaches nginx. "configMap" mounts it; "initContainer" copies it into an emptyDir
     * mounted at /app, as the lab's web app did. Defaults to "configMap".
     */
    readonly pageDelivery?: "configMap" | "initContainer";
    /** Rollout strategy preset. Defaults to rolling 25%/25%. */
    readonly strategy?: StrategyPreset;
    /** Requests and limits. Defaults to 10m/16Mi requested, 100m/64Mi limit. */
    readonly resources?: ContainerResources;
    /** Mount the root filesystem read-only (nginx writes only to /tmp). Defaults to true. */
    readonly readOnlyRootFilesystem?: boolean;
    /** How long `pulumi up` waits for the rollout before failing. Defaults to 600 (Pulumi's own default). */
    readonly rolloutTimeoutSeconds?: number;
    /** nginx image. Defaults to {@link CLOCK_NGINX_IMAGE}. */
    readonly image?: string;
    /**
     * Seconds a terminating pod keeps serving before nginx is told to stop (a preStop `sleep`), so
     * that kube-proxy and the ingress controller have dropped it from the Service first: a rollout
     * then loses no request. 0: stop at once. Defaults to 5.
     */
    readonly drainSeconds?: number;
    /**
     * The track's PodDisruptionBudget, made when it has more than one replica: `maxUnavailable` pods
     * a drain may evict at once. Defaults to {} (the rollout's maxUnavailable: {@link drainBudget});
     * null for none.
     */
    readonly disruptionBudget?: { readonly maxUnavailable?: number | string } | null;
    /** How the replicas spread across nodes. Defaults to {} (soft, maxSkew 1, nodes only); null for no constraint. */
    readonly topologySpread?: TopologySpread | null;
    /** Ephemeral storage of each container (logs, /tmp, the page copy). Defaults to {@link CLOCK_EPHEMERAL_STORAGE}; null for none. */
    readonly ephemeralStorage?: EphemeralStorage | null;
}

/**
 * Node-local disk of each clock container: its logs (the kubelet keeps up to 5 × 10Mi per container
 * by default) and nginx's /tmp; the limit leaves room above that, the request is what it needs.
 */
export const CLOCK_EPHEMERAL_STORAGE: EphemeralStorage = { request: "32Mi", limit: "128Mi" };

/** Each clock container's requests and limits unless a release sets its own (releases.<name>.resources). */
export const CLOCK_RESOURCES: ContainerResources = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

/** What {@link ClockApp} `name` declares of `args`: its namespace, Pulumi resource names, Kubernetes names and labels. */
export interface PlannedClockApp {
    readonly namespace: string;
    /** Labels that select the track's pods (`app`, `track`): the Deployment's and the budget's selector, the budget's labels. */
    readonly selector: Readonly<Record<string, string>>;
    /** The pods', the Deployment's and the page ConfigMap's labels: the selector's and `version`. */
    readonly labels: Readonly<Record<string, string>>;
    readonly deployment: { readonly resourceName: string; readonly name: string };
    /** The page, named by Pulumi after its resource. */
    readonly page: { readonly resourceName: string };
    /** The PodDisruptionBudget, named as the Deployment: absent for a single pod or with `disruptionBudget: null`. */
    readonly disruptionBudget?: { readonly resourceName: string; readonly name: string };
    /** Every object, in the order the component declares them: the page ConfigMap, the Deployment, the budget. */
    readonly objects: readonly DeclaredObject[];
}

/**
 * The settings that made a ClockApp's objects: the app (its resources'), the Deployment's name, the
 * `app` label. Defaults to ClockApp's own arguments; a release gives its own settings instead.
 */
export interface ClockAppSources {
    readonly app: Source;
    readonly name: Source;
    readonly label: Source;
    /** The Deployment's name is built from a setting's value (a canary's `<release>-canary`). */
    readonly derived?: boolean;
}

/** The names and labels of {@link ClockApp} `name`, decided once: the component and plan/ both read them. */
export function planClockApp(
    name: string,
    args: Pick<ClockAppArgs, "namespace" | "deploymentName" | "app" | "track" | "version" | "replicas" | "disruptionBudget">,
    sources?: ClockAppSources,
): PlannedClockApp {
    const deployment = { resourceName: name, name: args.deploymentName ?? name };
    const selector = { [APP_LABEL]: args.app, [TRACK_LABEL]: args.track ?? "stable" };
    // A single pod gets no budget (it could only block a drain or allow what no budget allows).
    const budget = args.disruptionBudget !== null && (args.replicas ?? 1) > 1;
    const namespace = args.namespace ?? "default";
    const labels = { ...selector, [VERSION_LABEL]: args.version };
    const disruptionBudget = budget ? { resourceName: `${name}-pdb`, name: deployment.name } : undefined;
    const from = sources ?? {
        app: { path: [], value: name },
        name: { path: args.deploymentName !== undefined ? ["deploymentName"] : [], value: deployment.name },
        label: { path: ["app"], value: args.app },
    };
    const derived = from.derived === true;
    const objects = [
        declared("ClockApp", `${name}-page`, { apiVersion: "v1", kind: "ConfigMap", namespace, source: from.app, labels }),
        declared(
            "ClockApp",
            deployment.resourceName,
            { apiVersion: "apps/v1", kind: "Deployment", namespace, name: deployment.name, source: from.name, derived, labels, selector: { labels: selector, source: from.label } },
            from.app,
        ),
        ...(disruptionBudget
            ? [
                  declared(
                      "ClockApp",
                      disruptionBudget.resourceName,
                      {
                          apiVersion: "policy/v1",
                          kind: "PodDisruptionBudget",
                          namespace,
                          name: disruptionBudget.name,
                          source: from.name,
                          derived,
                          labels: selector,
                          selector: { labels: selector, source: from.label },
                      },
                      from.app,
                  ),
              ]
            : []),
    ];
    return { namespace, selector, labels, deployment, page: { resourceName: `${name}-page` }, disruptionBudget, objects };
}

/**
 * The lab's clock app: nginx serving a page that shows the time, its version and the pod's name.
 * The page lives in a ConfigMap named by Pulumi, so a new version is a new ConfigMap and rolls the pods.
 */
export class ClockApp extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly configMap: k8s.core.v1.ConfigMap;
    /** The track's PodDisruptionBudget, when it has one (more than one replica, budget not turned off). */
    public readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
    /** Labels that select this track's pods (`app`, `track`). */
    public readonly selector: Record<string, string>;
    public readonly deploymentName: pulumi.Output<string>;
    public readonly namespace: string;
    public readonly port: number;

    constructor(name: string, args: ClockAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:apps:ClockApp", name, {}, opts);
        const planned = planClockApp(name, args);
        const namespace = planned.namespace;
        const deploymentName = planned.deployment.name;
        const port = args.port ?? PORTS.clock;
        const replicas = args.replicas ?? 1;
        const drainSeconds = args.drainSeconds ?? 5;
        const initDelivery = (args.pageDelivery ?? "configMap") === "initContainer";
        const root = initDelivery ? "/app" : "/usr/share/nginx/html";
        const selector = { ...planned.selector };
        const labels = { ...planned.labels };

        const data = { "index.html": clockPage(args.app, args.version), "default.conf": nginxServerConf(port, root) };
        // Named by Pulumi (`<name>-page-<suffix>`): ConfigMaps are immutable in pulumi-kubernetes 4, so
        // a new page is a new ConfigMap created before the old one is deleted, and the Deployment is
        // updated in place to mount it: the pods roll and the rollout history grows. A fixed name
        // would force delete-then-create and replace the Deployment with it.
        this.configMap = new k8s.core.v1.ConfigMap(planned.page.resourceName, { metadata: { namespace, labels }, data }, { parent: this });

        const security = restrictedContainer({ readOnlyRootFilesystem: args.readOnlyRootFilesystem });
        const resources = containerResources(args.resources ?? CLOCK_RESOURCES, args.ephemeralStorage === undefined ? CLOCK_EPHEMERAL_STORAGE : args.ephemeralStorage);
        const strategy: StrategyPreset = args.strategy ?? { type: "rolling", maxSurge: "25%", maxUnavailable: "25%" };
        const spread = args.topologySpread === undefined ? {} : args.topologySpread;
        const timeout = `${args.rolloutTimeoutSeconds ?? ROLLOUT_TIMEOUT_SECONDS}s`;
        const pageVolume = { name: "page", configMap: { name: this.configMap.metadata.name, items: [{ key: "index.html", path: "index.html" }] } };
        const confVolume = { name: "conf", configMap: { name: this.configMap.metadata.name, items: [{ key: "default.conf", path: "default.conf" }] } };

        this.deployment = new k8s.apps.v1.Deployment(
            planned.deployment.resourceName,
            {
                metadata: { name: deploymentName, namespace, labels, annotations: OWNED_BY_PROGRAM },
                spec: {
                    replicas,
                    selector: { matchLabels: selector },
                    strategy: deploymentStrategy(strategy, replicas),
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: restrictedPod(NGINX_UID),
                            // Set whatever the replica count, so that scaling never changes the template (and rolls the pods).
                            topologySpreadConstraints: spread ? topologySpreadConstraints(selector, spread) : undefined,
                            initContainers: initDelivery
                                ? [
                                      {
                                          name: "write-page",
                                          image: CLOCK_INIT_IMAGE,
                                          command: ["sh", "-c", "cp /config/index.html /app/index.html"],
                                          securityContext: security,
                                          resources,
                                          volumeMounts: [
                                              { name: "page", mountPath: "/config", readOnly: true },
                                              { name: "app", mountPath: "/app" },
                                          ],
                                      },
                                  ]
                                : undefined,
                            containers: [
                                {
                                    name: "nginx",
                                    image: args.image ?? CLOCK_NGINX_IMAGE,
                                    command: args.broken ? ["false"] : undefined,
                                    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
                                    readinessProbe: { httpGet: { path: initDelivery ? "/index.html" : "/healthz", port }, periodSeconds: 5 },
                                    livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 5, periodSeconds: 10 },
                                    // Found on the e2e suite's real node: without it, 8 of 191 requests failed during a rollout.
                                    lifecycle: drainSeconds > 0 ? { preStop: { exec: { command: ["sleep", String(drainSeconds)] } } } : undefined,
                                    resources,
                                    securityContext: security,
                                    volumeMounts: [
                                        initDelivery ? { name: "app", mountPath: "/app", readOnly: true } : { name: "page", mountPath: root, readOnly: true },
                                        { name: "conf", mountPath: "/etc/nginx/conf.d", readOnly: true },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [pageVolume, confVolume, { name: "tmp", emptyDir: {} }, ...(initDelivery ? [{ name: "app", emptyDir: {} }] : [])],
                        },
                    },
                },
            },
            { parent: this, customTimeouts: { create: timeout, update: timeout } },
        );

        // A drain evicts through the API, which refuses an eviction that would break the budget; a
        // single pod gets none (a budget could only block the drain or allow what no budget allows).
        const budget = args.disruptionBudget ?? {};
        if (planned.disruptionBudget) {
            this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
                planned.disruptionBudget.resourceName,
                {
                    // The selector's labels only: a new version is no change of the budget.
                    metadata: { name: planned.disruptionBudget.name, namespace, labels: selector },
                    spec: {
                        maxUnavailable: budget.maxUnavailable ?? drainBudget(strategy, replicas),
                        selector: { matchLabels: selector },
                        // A pod that is not Ready (the broken release) may always go: it serves nothing.
                        unhealthyPodEvictionPolicy: "AlwaysAllow",
                    },
                },
                { parent: this },
            );
        }

        this.selector = selector;
        this.namespace = namespace;
        this.port = port;
        this.deploymentName = this.deployment.metadata.name;
        this.registerOutputs({ deploymentName: this.deploymentName, selector, namespace, port });
    }
}
