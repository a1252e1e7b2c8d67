// Settings of the clock app's releases (components/apps): tracks, Services, Ingress, strategy.
import { z } from "zod";
import { CLOCK_EPHEMERAL_STORAGE, CLOCK_RESOURCES } from "../components/apps/clockApp";
import { RELEASE_DEFAULTS } from "../components/apps/canaryReleasePlan";
import { PORTS } from "../components/core/constants";
import { rollingProblem } from "../components/apps/strategy";
import { gatewayClassOf, tracksOf, type Routers } from "../plan";
import { INT32_MAX, isLabelValue } from "./grammar";
import { disruptionBudgetSchema, ephemeralStorageSchema, topologySpreadSchema } from "./maintenance";
import { bool, dnsLabel, dnsName, expected, ingressHost, intIn, intOrPercent, ipv4Address, matching, renderValue, Report, resourcesSchema, serviceName, strict } from "./primitives";

/** How long `pulumi up` waits for each rollout before it fails. */
export const rolloutTimeoutSeconds = intIn(10, 3600).describe("How long `pulumi up` waits for each Deployment or StatefulSet rollout before it fails.");

/** The version is the pods' `version` label: a label value. */
const VERSION = "an app version such as \"1.0\" (a label value: letters, digits, '-', '_' and '.', a letter or digit at both ends, at most 63)";
const version = z.string(expected(VERSION)).refine(isLabelValue, expected(VERSION));
/** A Deployment name: a DNS name of at most 242, as its ReplicaSets are named `<name>-<hash of up to 10>` (at most 253). */
const DEPLOYMENT = "a Deployment name (a DNS name: lowercase letters, digits and '-', in labels separated by '.'; at most 242, as its ReplicaSets add '-<hash>')";
const deploymentName = dnsName.refine((s) => s.length <= 242, expected(DEPLOYMENT));
/** The `app` label's value. */
const APP = "a label value (letters, digits, '-', '_' and '.', a letter or digit at both ends, at most 63)";
const appLabel = z.string(expected(APP)).refine(isLabelValue, expected(APP));

const strategySchema = z.discriminatedUnion(
    "type",
    [
        strict({
            type: z.literal("rolling").describe("`rolling` (with maxSurge and maxUnavailable), `recreate`, `blueGreen` (maxSurge = replicas, maxUnavailable 0) or `reverse` (1/1)."),
            maxSurge: intOrPercent.default("25%").describe("rolling: pods above the replica count during a rollout (a number or a percentage)."),
            maxUnavailable: intOrPercent.default("25%").describe("rolling: pods below the replica count during a rollout; both 0 is refused, as the API server does."),
        }),
        strict({ type: z.literal("recreate") }),
        strict({ type: z.literal("blueGreen") }),
        strict({ type: z.literal("reverse") }),
    ],
    expected('a strategy with type "rolling", "recreate", "blueGreen" or "reverse"'),
);

const trackShape = {
    name: deploymentName.optional().describe("Deployment name. Not set: the release name (stable) or `<release>-canary`."),
    namespace: dnsLabel.optional().describe("Namespace of this track. Not set: the release's namespace."),
    version: version.default("1.0").describe("The app version the page shows; a new version is a new page ConfigMap and a rollout."),
    replicas: intIn(0, INT32_MAX).default(1).describe("Pods of this track."),
    broken: bool.default(false).describe("The lab's broken release: the container command is `false`, so it never starts and `pulumi up` fails after rolloutTimeoutSeconds."),
};

const serviceSchema = strict({
    name: serviceName.describe("Service name: a DNS-1035 label (a letter first), as the API server requires."),
    type: z
        .enum(["ClusterIP", "Headless", "NodePort", "LoadBalancer"], expected('one of "ClusterIP", "Headless", "NodePort", "LoadBalancer"'))
        .default(RELEASE_DEFAULTS.serviceType)
        .describe("Service type; `Headless` is a ClusterIP Service without an address."),
    port: intIn(1, 65535).default(RELEASE_DEFAULTS.servicePort).describe("Port the Service listens on (it forwards to the release's `port`)."),
    loadBalancerIP: ipv4Address.optional().describe("LoadBalancer only: a fixed address from the MetalLB pool. Not set: MetalLB picks one."),
});

/** An Ingress path the API server takes for pathType Prefix: absolute, no `//`, `/./` or `/../`. */
const PATH = 'an absolute path such as "/web" (letters, digits and ._-/, as ingress-nginx takes a Prefix path; no "//", "/./" or "/../")';
const ingressPath = matching(/^\/[A-Za-z0-9._\-/]*$/, PATH).refine((p) => !/\/\/|\/\.\.?(\/|$)/.test(p), expected(PATH));
/** ingress-nginx's rewrite-target: an absolute path, with `$1`-style references to the path's groups. */
const REWRITE = 'a rewrite target such as "/" or "/$2" (an absolute path; letters, digits, ._~-/ and $1…$9)';
const rewriteTarget = matching(/^\/([A-Za-z0-9._~\-/]|\$[1-9])*$/, REWRITE);

export const releaseSchema = strict({
    namespace: dnsLabel.default(RELEASE_DEFAULTS.namespace).describe("Namespace of the release."),
    app: appLabel.optional().describe("Value of the `app` label on every object of the release. Not set: the release name."),
    port: intIn(1024, 65535).default(PORTS.clock).describe("Port nginx listens on inside the container (at least 1024: the image is unprivileged; Services still listen on their own `port`)."),
    pageDelivery: z
        .enum(["configMap", "initContainer"], expected('"configMap" or "initContainer"'))
        .default("configMap")
        .describe("How the page reaches nginx: mounted from the ConfigMap, or copied by an init container into an emptyDir at /app (the lab's web app)."),
    split: z
        .enum(["replicas", "ingress", "gateway"], expected('"replicas" (one Service over both tracks), "ingress" (canary Ingress) or "gateway" (Gateway API HTTPRoute)'))
        .default(RELEASE_DEFAULTS.split)
        .describe(
            "How traffic reaches the canary: `replicas` (one Service over both tracks), `ingress` (a Service per track and a canary Ingress) or `gateway` (the same Services behind a Gateway and one HTTPRoute).",
        ),
    strategy: strategySchema.default({ type: "rolling", maxSurge: "25%", maxUnavailable: "25%" }).describe("The Deployments' update strategy preset."),
    stable: strict(trackShape).describe("The stable track."),
    canary: strict({
        ...trackShape,
        weight: intIn(0, 100).default(RELEASE_DEFAULTS.weight).describe("split `ingress` or `gateway`: the share of requests (0 to 100) sent to the canary."),
        header: matching(/^[A-Za-z0-9-]{1,256}$/, "an HTTP header name of letters, digits and '-' (nginx ignores other names), at most 256")
            .default(RELEASE_DEFAULTS.header)
            .describe("split `ingress` or `gateway`: requests with this header set to `always` reach the canary."),
    })
        .optional()
        .describe("The canary track, as `stable` plus its weight and header. Not set: no canary."),
    services: z
        .array(serviceSchema, expected("a list of services"))
        .min(1, expected("a non-empty list of services"))
        .describe(
            "The release's Services (at least one). A canary behind a router gets a twin of ingress.service: a ClusterIP Service (headless if that one is), never a second NodePort or LoadBalancer.",
        ),
    ingress: strict({
        name: dnsName.optional().describe("Name of the main Ingress (or, split `gateway`, of the Gateway and HTTPRoute); the canary Ingress is `<name>-canary`. Not set: the release name."),
        host: ingressHost.optional().describe("Host of the rule (required for split `ingress`). Not set: any host."),
        path: ingressPath.default(RELEASE_DEFAULTS.path).describe("Path prefix of the rule."),
        service: dnsLabel.optional().describe("Service (from `services`) the main Ingress routes to. Not set: the first."),
        rewriteTarget: rewriteTarget.optional().describe('ingress-nginx\'s rewrite-target, or the HTTPRoute\'s ReplacePrefixMatch. Not set: "/" when the path is not "/".'),
    })
        .optional()
        .describe("The release's Ingress (required for split `ingress` and `gateway`). Not set: none."),
    gateway: strict({
        className: dnsName.optional().describe("An existing GatewayClass. Not set: nginxGateway.className (NGINX Gateway Fabric enabled)."),
        loadBalancerIP: ipv4Address
            .optional()
            .describe("A fixed address from the MetalLB pool for the Gateway's data-plane Service, for a controller that makes one per Gateway (NGINX Gateway Fabric). Not set: MetalLB picks one."),
        port: intIn(1, 65535)
            .default(RELEASE_DEFAULTS.gatewayPort)
            .describe("Port of the Gateway's HTTP listener. A controller with fixed entry points needs its own: 8000 for Traefik as k3s installs it (docs/gateway-api.md)."),
        dataPlaneNamespace: dnsLabel
            .optional()
            .describe(
                "Namespace of the pods that carry the Gateway's traffic, let in to the release's pods by their NetworkPolicies: `kube-system` for Traefik as k3s installs it. Not set: the Gateway's own namespace, where NGINX Gateway Fabric makes its data plane.",
            ),
    })
        .optional()
        .describe("split `gateway`: the release's Gateway (named as the Ingress would be)."),
    resources: resourcesSchema(CLOCK_RESOURCES).describe("Requests and limits of each container."),
    disruptionBudget: disruptionBudgetSchema,
    topologySpread: topologySpreadSchema,
    ephemeralStorage: ephemeralStorageSchema(CLOCK_EPHEMERAL_STORAGE, "each container of the release"),
});

/** Release name → release, as in the `releases` key. */
export const releasesSchema = z
    .record(dnsLabel, releaseSchema, {
        error: (issue) =>
            issue.code === "invalid_key"
                ? `${renderValue(issue.input)} is not a release name (expected a DNS label: lowercase letters, digits and '-', at most 63)`
                : expected("a map of release name to release").error(issue),
    })
    .default({})
    .describe("The clock app's releases by name (the name is a DNS label).");

export type ReleaseConfig = z.output<typeof releaseSchema>;
export type StrategyConfig = ReleaseConfig["strategy"];
export type ServiceConfig = ReleaseConfig["services"][number];
export type ResourcesConfig = ReleaseConfig["resources"];

// The names a release's settings leave out (tracks, entry, GatewayClass) are decided in plan/names.ts.
export { gatewayClassOf, gatewayOf, routersOf, tracksOf } from "../plan";
export type { Routers } from "../plan";

/** Rules within one release: its strategy, its Services, its Ingress or Gateway and its two tracks. */
export function releaseChecks(releases: Record<string, ReleaseConfig>, routers: Routers, add: Report): void {
    for (const [name, r] of Object.entries(releases)) {
        const at = ["releases", name];
        const rolling = r.strategy.type === "rolling" ? rollingProblem(r.strategy.maxSurge, r.strategy.maxUnavailable) : undefined;
        if (rolling !== undefined) {
            add([...at, "strategy"], rolling);
        }
        const names = new Set<string>();
        r.services.forEach((s, i) => {
            if (names.has(s.name)) {
                add([...at, "services", i, "name"], `${renderValue(s.name)} is used twice (expected unique service names)`);
            }
            names.add(s.name);
            if (s.loadBalancerIP !== undefined && s.type !== "LoadBalancer") {
                add([...at, "services", i, "loadBalancerIP"], `${renderValue(s.loadBalancerIP)} is set on a ${s.type} service (expected only on type "LoadBalancer")`);
            }
        });
        if (r.ingress?.service !== undefined && !names.has(r.ingress.service)) {
            add([...at, "ingress", "service"], `${renderValue(r.ingress.service)} is not one of this release's services (expected one of ${[...names].join(", ")})`);
        }
        if (r.split === "ingress") {
            if (r.ingress === undefined) {
                add([...at, "ingress"], `is required when split is "ingress" (the canary is routed by a canary Ingress)`);
            } else if (r.ingress.host === undefined) {
                add([...at, "ingress", "host"], `is required when split is "ingress" (ingress-nginx merges a canary Ingress only into a main Ingress of the same host)`);
            }
            if (!routers.ingressNginxEnabled) {
                add([...at, "split"], `"ingress" needs ingressNginx.enabled true (expected "replicas", or enable ingress-nginx)`);
            }
        }
        if (r.split === "gateway") {
            if (r.ingress === undefined) {
                add([...at, "ingress"], `is required when split is "gateway" (its host, path and service make the Gateway's listener and the HTTPRoute)`);
            } else if (r.ingress.rewriteTarget !== undefined && r.ingress.rewriteTarget.includes("$")) {
                add(
                    [...at, "ingress", "rewriteTarget"],
                    `${renderValue(r.ingress.rewriteTarget)} has no Gateway API equivalent (expected a plain path, which replaces the matched prefix, or split "ingress")`,
                );
            }
            if (gatewayClassOf(r, routers) === undefined) {
                add([...at, "split"], `"gateway" needs nginxGateway.enabled true or releases.${name}.gateway.className naming an existing GatewayClass`);
            }
        } else if (r.gateway !== undefined) {
            add([...at, "gateway"], `is set while split is ${renderValue(r.split)} (expected only with split "gateway")`);
        }
        const tracks = tracksOf(name, r);
        if (r.ingress !== undefined && tracks.stable.namespace !== r.namespace) {
            add(
                [...at, "stable", "namespace"],
                `${renderValue(tracks.stable.namespace)} differs from the release's namespace "${r.namespace}", where its Ingress is (expected the same namespace: an Ingress routes only to Services of its own namespace)`,
            );
        }
        if (tracks.canary !== undefined) {
            const { stable, canary } = tracks;
            if (stable.deployment === canary.deployment && stable.namespace === canary.namespace) {
                add([...at, "canary", "name"], `${renderValue(canary.deployment)} is the stable track's Deployment name in namespace "${stable.namespace}" (expected a different name or namespace)`);
            }
            if (r.split === "replicas" && canary.namespace !== stable.namespace) {
                add(
                    [...at, "canary", "namespace"],
                    `${renderValue(canary.namespace)} differs from the stable track's "${stable.namespace}" (split "replicas" puts both tracks behind one Service, so expected the same namespace)`,
                );
            }
        }
    }
    // ingress-nginx serves one main Ingress per host and path: its admission webhook refuses a second one.
    const claimed = new Map<string, string>();
    for (const [name, r] of Object.entries(releases)) {
        if (r.split !== "ingress" || r.ingress?.host === undefined) continue;
        const key = `${r.ingress.host} ${r.ingress.path}`;
        const owner = claimed.get(key);
        if (owner === undefined) {
            claimed.set(key, name);
        } else {
            add(
                ["releases", name, "ingress", "path"],
                `${renderValue(r.ingress.path)} on host ${renderValue(r.ingress.host)} is already release ${owner}'s (expected each host and path in one release: ingress-nginx refuses a second Ingress for them)`,
            );
        }
    }
}
