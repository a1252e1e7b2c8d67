// The platform's plan: every object the stack declares, composed of the components' own plans (each
// `planX()` beside its component lists its objects with the setting that made each), before anything
// is registered. Here only what is across parts: which parts the config turns on, the config area each
// part's settings live under, their order as index.ts declares them, the addresses MetalLB keeps for
// the pins of the others, each namespace's first user and each NetworkPolicy opening's entries.
// Modelled on pulumi-awsx's VPC (subnet specs planned and named first, validated whole, then
// rendered): config/planChecks.ts validates it whole, and test/config.property.test.ts holds the
// components to it.
import { planAccessControl } from "../components/access/accessControl";
import { planCanaryRelease } from "../components/apps/canaryReleasePlan";
import { planVerify } from "../components/apps/verify";
import { BUILT_IN_NAMESPACES } from "../components/core/constants";
import { planNamespaces } from "../components/core/namespaces";
import { planNetworkIsolation, type WorkloadOpening } from "../components/core/networkIsolation";
import { type ComponentWaits, type ConfigPath, type Pin, type PlannedComponent, type PlannedObject, type PlannedResource, type Source, under, type Wait, withSource } from "../components/core/planned";
import type { PodSecurityLevel } from "../components/core/security";
import { planCoreDnsExternal } from "../components/network/coreDnsExternal";
import { planDashboard } from "../components/network/dashboard";
import { planIngressNginx } from "../components/network/ingressNginx";
import { planMetalLB } from "../components/network/metallb";
import { planNginxGatewayFabric } from "../components/network/nginxGatewayFabric";
import { planNodeExporter } from "../components/observability/nodeExporter";
import { planMinIO } from "../components/storage/minio";
import { loadBalancerOf, releaseArgs } from "./args";
import type { PlanInput } from "./input";
import { COMPONENT_NAMES, verifyNamespaceOf } from "./names";
import { namespacePlan, openingsPlan, type PlannedOpening } from "./security";

export type { ComponentWaits, Labels, Pin, PlannedComponent, PlannedObject, PlannedResource, Source, Wait } from "../components/core/planned";

export interface PlatformPlan {
    /** Every namespace the config uses, with its Pod Security level: the Namespaces component's `namespaces`. */
    readonly namespaces: Readonly<Record<string, PodSecurityLevel>>;
    /** The NetworkPolicy openings of every app namespace: the NetworkIsolation component's `namespaces`. */
    readonly openings: Readonly<Record<string, readonly WorkloadOpening[]>>;
    /** The components, in the order index.ts declares them. */
    readonly components: readonly PlannedComponent[];
    /** Whether the plan has component `type` `name` (index.ts builds a part when it is listed). */
    lists(type: string, name: string): boolean;
    /** What component `type` `name` waits for before its objects are created, and why (index.ts's dependsOn, through components/core/wiring.ts). */
    waits(type: string, name: string): ComponentWaits;
    /** Every object in the cluster the config makes, whoever puts it there: what the checks read. */
    all(): readonly PlannedObject[];
    /** The objects the program registers itself (the property test holds the mocks to exactly these). */
    declared(): readonly PlannedObject[];
    /** Every Pulumi resource name of the program: components and declared objects. */
    resources(): readonly PlannedResource[];
    /** Every address a Service pins, in the order of the objects. */
    pins(): readonly Pin[];
    /** The pinned addresses, once each and sorted: MetalLB keeps them out of automatic assignment. */
    pinnedAddresses(): string[];
}

/** `Kind namespace/name` (or `Kind name`), as the checks and the tests name an object. */
export function objectId(o: Pick<PlannedObject, "kind" | "namespace" | "name">): string {
    return `${o.kind} ${o.namespace === undefined ? "" : `${o.namespace}/`}${o.name ?? "<named by Pulumi>"}`;
}

/** The Pulumi type token of a planned object (`kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:NamespacePatch`). */
export function pulumiType(o: Pick<PlannedObject, "apiVersion" | "kind" | "patch">): string {
    return `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}${o.patch ? "Patch" : ""}`;
}

/**
 * The plan of the whole platform: the parts' plans, folded. Pure: the same config gives the same plan,
 * nothing is registered, nothing read from outside.
 */
export function platformPlan(cfg: PlanInput): PlatformPlan {
    const components: PlannedComponent[] = [];
    const objects: PlannedObject[] = [];
    /** A part: its component, and its plan's objects, their settings under its config area `at`. */
    const part = (type: string, name: string, source: Source, at: ConfigPath, planned: readonly PlannedObject[] = []) => {
        components.push({ type, name, source });
        objects.push(...planned.map((o) => under(at, o)));
    };
    const on = (area: string): Source => ({ path: [area, "enabled"], value: true });
    const namespaces = namespacePlan(cfg);
    const openings = openingsPlan(cfg);

    // Namespaces and MetalLB first, as index.ts declares them; their objects are planned last (below),
    // as they read the others': each namespace's first user, every pinned address.
    components.push({ type: "Namespaces", name: COMPONENT_NAMES.namespaces, source: { path: ["security", "appNamespaceLevel"], value: undefined } });
    if (cfg.metallb.enabled) components.push({ type: "MetalLB", name: COMPONENT_NAMES.metallb, source: on("metallb") });
    if (cfg.coredns.enabled) part("CoreDnsExternal", COMPONENT_NAMES.coredns, on("coredns"), ["coredns"], planCoreDnsExternal(COMPONENT_NAMES.coredns, cfg.coredns).objects);
    if (cfg.ingressNginx.enabled) part("IngressNginx", COMPONENT_NAMES.ingressNginx, on("ingressNginx"), ["ingressNginx"], planIngressNginx(COMPONENT_NAMES.ingressNginx, cfg.ingressNginx).objects);
    if (cfg.nginxGateway.enabled) {
        part("NginxGatewayFabric", COMPONENT_NAMES.nginxGateway, on("nginxGateway"), ["nginxGateway"], planNginxGatewayFabric(COMPONENT_NAMES.nginxGateway, cfg.nginxGateway).objects);
    }
    if (cfg.dashboard.enabled) {
        const args = { ...cfg.dashboard, ingressClassName: cfg.ingressNginx.className };
        part("Dashboard", COMPONENT_NAMES.dashboard, on("dashboard"), ["dashboard"], planDashboard(COMPONENT_NAMES.dashboard, args).objects);
    }
    /** Which of a release's parts exist: they alone wait for their controller. */
    const parts = new Map<string, ReleaseParts>();
    for (const name of Object.keys(cfg.releases)) {
        const p = planCanaryRelease(name, releaseArgs(cfg, name));
        parts.set(name, {
            loadBalancer: p.services.some((s) => s.type === "LoadBalancer"),
            ingress: p.objects.some((o) => o.kind === "Ingress"),
            gateway: p.objects.some((o) => o.kind === "Gateway"),
        });
        const at: ConfigPath = ["releases", name];
        components.push(...p.components.map((c) => under(at, c)));
        objects.push(...p.objects.map((o) => under(at, o)));
    }
    // The NetworkPolicies right after the releases that open most of them (the checks report the first of two entries in this order).
    objects.push(...networkPolicies(cfg, openings));
    part("AccessControl", COMPONENT_NAMES.access, { path: ["access"], value: undefined }, ["access"], planAccessControl(COMPONENT_NAMES.access, cfg.access).objects);
    if (cfg.minio.enabled) {
        const m = cfg.minio;
        part("MinIO", m.name, { path: ["minio", "name"], value: m.name }, ["minio"], planMinIO(m.name, { namespace: m.namespace, loadBalancer: loadBalancerOf(m.loadBalancer) }).objects);
    }
    if (cfg.nodeExporter.enabled) part("NodeExporter", COMPONENT_NAMES.nodeExporter, on("nodeExporter"), ["nodeExporter"], planNodeExporter(COMPONENT_NAMES.nodeExporter, cfg.nodeExporter).objects);
    // The NetworkPolicies' component, after node-exporter as index.ts declares it (its objects are above, after the releases).
    if (Object.keys(openings).length > 0) components.push({ type: "NetworkIsolation", name: COMPONENT_NAMES.netpol, source: { path: ["security", "networkPolicies"], value: true } });
    const verifyNamespace = verifyNamespaceOf(cfg);
    if (verifyNamespace !== undefined) part("Verify", COMPONENT_NAMES.verify, on("verify"), ["verify"], planVerify(COMPONENT_NAMES.verify, { namespace: verifyNamespace }).objects);

    // MetalLB's pools and advertisement: its reserved pool holds the addresses the others pin in its pool.
    const pins = objects.flatMap((o) => (o.pin ? [o.pin] : []));
    const pinned = [...new Set(pins.map((p) => p.address))].sort();
    const metallb = cfg.metallb.enabled ? planMetalLB(COMPONENT_NAMES.metallb, { ...cfg.metallb, reserved: pinned }).objects.map((o) => under(["metallb"], o)) : [];
    // The namespaces, each made by the first object in it.
    const firstIn = new Map<string, Source>();
    for (const o of [...metallb, ...objects]) if (o.namespace !== undefined && !firstIn.has(o.namespace)) firstIn.set(o.namespace, o.source);
    const namespaceObjects = planNamespaces(COMPONENT_NAMES.namespaces, { namespaces, existing: BUILT_IN_NAMESPACES }).map((ns) =>
        withSource(ns.object, firstIn.get(ns.namespace) ?? { path: ["security", "appNamespaceLevel"], value: ns.namespace }),
    );
    const all = [...namespaceObjects, ...metallb, ...objects];

    const declared = all.filter((o) => o.by === "program");
    const listed = new Set(components.map((c) => `${c.type} ${c.name}`));
    return {
        namespaces,
        openings: Object.fromEntries(Object.entries(openings).map(([ns, list]) => [ns, list.map((o) => o.opening)])),
        components,
        lists: (type, name) => listed.has(`${type} ${name}`),
        waits: (type, name) => componentWaits(cfg, type, name, { listed, namespaces: Object.keys(namespaces), openings: Object.keys(openings), releases: parts }),
        all: () => all,
        declared: () => declared,
        resources: () => [...components.map((c) => ({ type: c.type, name: c.name, source: c.source })), ...declared.flatMap((o) => (o.resource ? [o.resource] : []))],
        pins: () => pins,
        pinnedAddresses: () => pinned,
    };
}

/**
 * The NetworkPolicies of the app namespaces, as components/core/networkIsolation.ts plans them, each
 * opening's with the config entry that opened it (plan/security.ts); two openings of one name in one
 * namespace are both planned, so the checks refuse the second instead of one of them silently missing.
 */
function networkPolicies(cfg: PlanInput, openings: Readonly<Record<string, readonly PlannedOpening[]>>): PlannedObject[] {
    const switched: Source = { path: ["security", "networkPolicies"], value: true };
    const namespaces = Object.fromEntries(Object.entries(openings).map(([ns, list]) => [ns, list.map((o) => o.opening)]));
    const args = { namespaces, ingressControllerNamespace: cfg.ingressNginx.namespace, extraSourceNamespaces: cfg.security.extraSourceNamespaces };
    return planNetworkIsolation(COMPONENT_NAMES.netpol, args).flatMap((p) => {
        const sources = p.opening === undefined ? [switched] : (openings[p.namespace].find((o) => o.opening.name === p.opening?.name)?.sources ?? [switched]);
        return sources.map((source) => withSource(p.object, source));
    });
}

/** Why each component is waited for: what the API server or its controller needs first. */
const WHY = {
    loadBalancer: "a LoadBalancer Service gets its address from MetalLB's pool, which MetalLB's CRDs and controller serve",
    ingress: "ingress-nginx's admission webhook checks every Ingress of its class, so it runs before one is created",
    gateway: "a Gateway is accepted and given its data plane by NGINX Gateway Fabric's controller and GatewayClass",
    isolation: "the checks' requests meet the NetworkPolicies users' requests meet, so those are in place first",
} as const;

/** Whether a release has LoadBalancer Services, Ingresses, a Gateway. */
interface ReleaseParts {
    readonly loadBalancer: boolean;
    readonly ingress: boolean;
    readonly gateway: boolean;
}

/**
 * What a component waits for: the namespaces its objects live in (made or labelled by the Namespaces
 * component), and only those components whose controller or webhook the API server needs before its
 * objects (or one part of them) can be created or become ready. A release's ConfigMaps, Deployments
 * and ClusterIP Services wait for nothing but their namespaces: their pods roll out while the charts
 * install.
 */
function componentWaits(
    cfg: PlanInput,
    type: string,
    name: string,
    has: { listed: ReadonlySet<string>; namespaces: readonly string[]; openings: readonly string[]; releases: ReadonlyMap<string, ReleaseParts> },
): ComponentWaits {
    const when = (component: string, componentName: string, part: Wait["part"], why: string): Wait[] =>
        has.listed.has(`${component} ${componentName}`) ? [{ type: component, name: componentName, part, why }] : [];
    const metallb = (part: Wait["part"]) => when("MetalLB", COMPONENT_NAMES.metallb, part, WHY.loadBalancer);
    switch (type) {
        case "MetalLB":
            return { namespaces: [cfg.metallb.namespace], on: [] };
        case "IngressNginx":
            return { namespaces: [cfg.ingressNginx.namespace], on: [] };
        case "NginxGatewayFabric":
            return { namespaces: [cfg.nginxGateway.namespace], on: [] };
        // Its objects are LoadBalancer Services only, in CoreDNS's own namespace, which exists already.
        case "CoreDnsExternal":
            return { namespaces: [], on: metallb("all") };
        case "Dashboard":
            return { namespaces: [cfg.dashboard.namespace], on: when("IngressNginx", COMPONENT_NAMES.ingressNginx, "all", WHY.ingress) };
        case "CanaryRelease": {
            const r = cfg.releases[name];
            const part = has.releases.get(name)!;
            const namespaces = [r.namespace, r.stable.namespace, r.canary?.namespace].filter((ns): ns is string => ns !== undefined);
            return {
                namespaces,
                on: [
                    ...(part.ingress ? when("IngressNginx", COMPONENT_NAMES.ingressNginx, "ingress", WHY.ingress) : []),
                    ...(part.loadBalancer ? metallb("loadBalancer") : []),
                    ...(part.gateway ? when("NginxGatewayFabric", COMPONENT_NAMES.nginxGateway, "gateway", WHY.gateway) : []),
                ],
            };
        }
        case "AccessControl":
            return { namespaces: has.namespaces, on: [] };
        case "MinIO":
            return { namespaces: [cfg.minio.namespace], on: loadBalancerOf(cfg.minio.loadBalancer) ? metallb("loadBalancer") : [] };
        case "NodeExporter":
            return { namespaces: [cfg.nodeExporter.namespace], on: [] };
        case "NetworkIsolation":
            return { namespaces: has.openings, on: [] };
        case "Verify":
            return { namespaces: [cfg.verify.namespace], on: when("NetworkIsolation", COMPONENT_NAMES.netpol, "all", WHY.isolation) };
        case "Namespaces":
            return { namespaces: [], on: [] };
        default:
            throw new Error(`the plan has no waits for component type ${type}`);
    }
}
