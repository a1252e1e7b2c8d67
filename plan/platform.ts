// The platform's plan: every object the stack declares, computed from the parsed config by pure
// functions, before anything is registered — its Kubernetes identity, its Pulumi resource, the config
// entry that made it, its labels, selector, ports, pinned address and NetworkPolicy opening. Modelled
// on pulumi-awsx's VPC (subnet specs planned and named first, validated whole, then rendered):
// config/planChecks.ts validates it whole, and test/plan.property.test.ts holds the components to it.
import { BUILT_IN_NAMESPACES, PORTS } from "../components/core/constants";
import { planNamespaces, planNetworkIsolation, type PodSecurityLevel, type WorkloadOpening } from "../components/core";
import { planAccessControl } from "../components/access/accessControl";
import { planCanaryRelease } from "../components/apps/canaryReleasePlan";
import { under } from "../components/core/planned";
import { releaseArgs } from "./args";
import { planCoreDnsExternal } from "../components/network/coreDnsExternal";
import { planDashboard } from "../components/network/dashboard";
import { planIngressNginx } from "../components/network/ingressNginx";
import { planMetalLB } from "../components/network/metallb";
import { planNginxGatewayFabric } from "../components/network/nginxGatewayFabric";
import { planNodeExporter } from "../components/observability/nodeExporter";
import { planMinIO } from "../components/storage/minio";
import type { ConfigPath, PlanInput } from "./input";
import { COMPONENT_NAMES } from "./names";
import { namespacePlan, openingsPlan, type PlannedOpening } from "./security";

export type Labels = Readonly<Record<string, string>>;

/** The config entry that made something: its key and the value there (what a message quotes). */
export interface Source {
    readonly path: ConfigPath;
    readonly value: unknown;
}

/** A Pulumi resource: its name, and its type as a message names it (`ClockApp/Deployment`: the kind under its component). */
export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    readonly source: Source;
}

/** An address a Service pins in MetalLB, with the key under which it may share it. */
export interface Pin {
    readonly address: string;
    readonly sharingKey?: string;
    readonly source: Source;
}

/** One Kubernetes object the config makes. */
export interface PlannedObject {
    readonly apiVersion: string;
    readonly kind: string;
    /** Absent: cluster-scoped. */
    readonly namespace?: string;
    /** metadata.name. Absent: Pulumi names it after its resource (`<resource>-<suffix>`). */
    readonly name?: string;
    /**
     * Who puts it in the cluster: the program (a Pulumi resource), a controller acting on one (NGINX
     * Gateway Fabric's data-plane Service of a Gateway), or a chart (ingress-nginx's controller Service).
     */
    readonly by: "program" | "controller" | "chart";
    /** The program's Pulumi resource for it (by "program" only). */
    readonly resource?: PlannedResource;
    /** A namespace that exists already: labelled in place (a NamespacePatch), never created. */
    readonly patch?: boolean;
    readonly source: Source;
    /** Its name is built from a config value (`<release>-canary`…), so it is held to its kind's name grammar. */
    readonly derived?: boolean;
    readonly labels?: Labels;
    /** The pods it selects (a workload's, a Service's, a budget's), and the config entry that set their `app` label. */
    readonly selector?: { readonly labels: Labels; readonly source: Source };
    /** The ports it serves (a Service's), listens on (a Gateway's) or opens (a NetworkPolicy's). */
    readonly ports?: readonly number[];
    readonly pin?: Pin;
    /** A namespace's Pod Security level. */
    readonly level?: PodSecurityLevel;
    /** A NetworkPolicy's opening (absent for the namespace's default-deny and DNS policies). */
    readonly opening?: WorkloadOpening;
}

/** A component resource of the program, by its type and name. */
export interface PlannedComponent {
    readonly type: string;
    readonly name: string;
    readonly source: Source;
}

export interface PlatformPlan {
    /** Every namespace the config uses, with its Pod Security level: the Namespaces component's `namespaces`. */
    readonly namespaces: Readonly<Record<string, PodSecurityLevel>>;
    /** The NetworkPolicy openings of every app namespace: the NetworkIsolation component's `namespaces`. */
    readonly openings: Readonly<Record<string, readonly WorkloadOpening[]>>;
    /** The components, in the order index.ts declares them. */
    readonly components: readonly PlannedComponent[];
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

const RBAC = "rbac.authorization.k8s.io/v1";

/**
 * The plan of the whole platform. Pure: the same config gives the same plan, nothing is registered,
 * nothing read from outside.
 */
export function platformPlan(cfg: PlanInput): PlatformPlan {
    const objects: PlannedObject[] = [];
    const components: PlannedComponent[] = [];
    const component = (type: string, name: string, source: Source) => components.push({ type, name, source });
    /** An object the program registers as `resourceName` under `owner`; the resource's own config entry defaults to the object's. */
    const declare = (owner: string, resourceName: string, o: Omit<PlannedObject, "by" | "resource">, resourceSource: Source = o.source) =>
        objects.push({ ...o, by: "program", resource: { type: `${owner}/${o.kind}`, name: resourceName, source: resourceSource } });
    const namespaces = namespacePlan(cfg);
    const openings = openingsPlan(cfg);

    // Namespaces: each takes its config entry from the first object planned in it (below).
    component("Namespaces", COMPONENT_NAMES.namespaces, { path: ["security", "appNamespaceLevel"], value: undefined });
    const namespaceAt = objects.length;

    // MetalLB's objects go here too, once every pin is planned (its reserved pool holds the pinned addresses of the pool).
    if (cfg.metallb.enabled) component("MetalLB", COMPONENT_NAMES.metallb, { path: ["metallb", "enabled"], value: true });
    if (cfg.coredns.enabled) {
        const c = cfg.coredns;
        const p = planCoreDnsExternal(COMPONENT_NAMES.coredns, c);
        const source: Source = { path: ["coredns", "address"], value: c.address };
        component("CoreDnsExternal", COMPONENT_NAMES.coredns, { path: ["coredns", "enabled"], value: true });
        for (const svc of p.services) {
            declare("CoreDnsExternal", svc.resourceName, {
                apiVersion: "v1",
                kind: "Service",
                namespace: p.namespace,
                name: svc.name,
                source,
                selector: { labels: p.selector, source },
                ports: [p.port],
                pin: { address: c.address, sharingKey: p.sharingKey, source },
            });
        }
    }
    if (cfg.ingressNginx.enabled) {
        const i = cfg.ingressNginx;
        const p = planIngressNginx(COMPONENT_NAMES.ingressNginx, i);
        component("IngressNginx", COMPONENT_NAMES.ingressNginx, { path: ["ingressNginx", "enabled"], value: true });
        // The chart's controller Service (or the installed controller's): where its address is pinned.
        objects.push({
            apiVersion: "v1",
            kind: "Service",
            namespace: p.namespace,
            name: p.controllerService,
            by: "chart",
            source: { path: ["ingressNginx", "enabled"], value: true },
            pin: i.loadBalancerIP === undefined ? undefined : { address: i.loadBalancerIP, source: { path: ["ingressNginx", "loadBalancerIP"], value: i.loadBalancerIP } },
        });
        if (p.admission !== undefined) {
            // The admission webhook's certificate: the chart's hook objects, declared as ordinary resources (components/network/ingressNginx.ts).
            const source: Source = { path: ["ingressNginx", "install"], value: true };
            const { resourceName, name, labels, createJob, patchJob } = p.admission;
            for (const [apiVersion, kind, namespace] of [
                ["v1", "ServiceAccount", p.namespace],
                [RBAC, "Role", p.namespace],
                [RBAC, "RoleBinding", p.namespace],
                [RBAC, "ClusterRole", undefined],
                [RBAC, "ClusterRoleBinding", undefined],
            ] as const) {
                declare("IngressNginx", resourceName, { apiVersion, kind, namespace, name, source, labels });
            }
            for (const job of [createJob, patchJob]) {
                declare("IngressNginx", job.resourceName, { apiVersion: "batch/v1", kind: "Job", namespace: p.namespace, name: job.name, source, labels });
            }
        }
    }
    if (cfg.nginxGateway.enabled) {
        const g = cfg.nginxGateway;
        const p = planNginxGatewayFabric(COMPONENT_NAMES.nginxGateway, g);
        component("NginxGatewayFabric", COMPONENT_NAMES.nginxGateway, { path: ["nginxGateway", "enabled"], value: true });
        if (p.install !== undefined) {
            // The chart's certificate Job, declared as an ordinary resource (components/network/nginxGatewayFabric.ts).
            const source: Source = { path: ["nginxGateway", "install"], value: true };
            const { resourceName, name, labels } = p.install.certGenerator;
            for (const [apiVersion, kind] of [
                ["v1", "ServiceAccount"],
                [RBAC, "Role"],
                [RBAC, "RoleBinding"],
                ["batch/v1", "Job"],
            ]) {
                declare("NginxGatewayFabric", resourceName, { apiVersion, kind, namespace: p.namespace, name, source, labels });
            }
        }
    }
    if (cfg.dashboard.enabled) {
        const { namespace, ingress } = planDashboard(COMPONENT_NAMES.dashboard, { ...cfg.dashboard, ingressClassName: cfg.ingressNginx.className });
        component("Dashboard", COMPONENT_NAMES.dashboard, { path: ["dashboard", "enabled"], value: true });
        declare("Dashboard", ingress.resourceName, {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            namespace,
            name: ingress.name,
            source: { path: ["dashboard", "enabled"], value: true },
        });
    }

    // The releases: each its own plan (components/apps/canaryReleasePlan.ts), its settings under `releases.<name>`.
    for (const name of Object.keys(cfg.releases)) {
        const p = planCanaryRelease(name, releaseArgs(cfg, name));
        const at: ConfigPath = ["releases", name];
        components.push(...p.components.map((c) => under(at, c)));
        objects.push(...p.objects.map((o) => under(at, o)));
    }

    // The NetworkPolicies right after the releases that open most of them (the checks report the first of two entries in this order).
    objects.push(...networkPolicies(cfg, openings));

    component("AccessControl", COMPONENT_NAMES.access, { path: ["access"], value: undefined });
    const access = planAccessControl(COMPONENT_NAMES.access, { ...cfg.access, groups: cfg.access.groups.map((g) => ({ ...g, rules: [] })) });
    cfg.access.accounts.forEach((a, i) => {
        const source: Source = { path: ["access", "accounts", i, "name"], value: a.name };
        const { serviceAccount: sa, binding } = access.accounts[i];
        declare("AccessControl", sa.resourceName, { apiVersion: "v1", kind: "ServiceAccount", namespace: sa.namespace, name: sa.name, source });
        if (binding !== undefined) {
            const kind = binding.namespace === undefined ? "ClusterRoleBinding" : "RoleBinding";
            declare("AccessControl", binding.resourceName, { apiVersion: RBAC, kind, namespace: binding.namespace, name: binding.name, source });
        }
    });
    cfg.access.groups.forEach((g, i) => {
        const source: Source = { path: ["access", "groups", i, "clusterRole"], value: g.clusterRole };
        const { role, binding } = access.groups[i];
        declare("AccessControl", role.resourceName, { apiVersion: RBAC, kind: "ClusterRole", name: role.name, source });
        declare("AccessControl", binding.resourceName, { apiVersion: RBAC, kind: "ClusterRoleBinding", name: binding.name, source });
    });

    if (cfg.minio.enabled) {
        const m = cfg.minio;
        const p = planMinIO(m.name, { namespace: m.namespace, loadBalancer: m.loadBalancer.enabled ? m.loadBalancer : null });
        const source: Source = { path: ["minio", "name"], value: m.name };
        const labels = p.labels;
        const selector = { labels, source };
        component("MinIO", m.name, source);
        declare("MinIO", p.statefulSet.resourceName, { apiVersion: "apps/v1", kind: "StatefulSet", namespace: p.namespace, name: p.statefulSet.name, source, labels, selector });
        declare("MinIO", p.headless.resourceName, { apiVersion: "v1", kind: "Service", namespace: p.namespace, name: p.headless.name, source, labels, selector, ports: [PORTS.minio] });
        declare("MinIO", p.credentials.resourceName, { apiVersion: "v1", kind: "Secret", namespace: p.namespace, source, labels });
        if (p.loadBalancer !== undefined) {
            const address = m.loadBalancer.loadBalancerIP;
            declare("MinIO", p.loadBalancer.resourceName, {
                apiVersion: "v1",
                kind: "Service",
                namespace: p.namespace,
                name: p.loadBalancer.name,
                source: { path: ["minio", "loadBalancer", "name"], value: p.loadBalancer.name },
                labels,
                selector,
                ports: [PORTS.minio],
                pin: address === undefined ? undefined : { address, source: { path: ["minio", "loadBalancer", "loadBalancerIP"], value: address } },
            });
        }
    }

    if (cfg.nodeExporter.enabled) {
        const p = planNodeExporter(COMPONENT_NAMES.nodeExporter, cfg.nodeExporter);
        const ns = p.namespace;
        const source: Source = { path: ["nodeExporter", "enabled"], value: true };
        const labels = p.labels;
        component("NodeExporter", COMPONENT_NAMES.nodeExporter, source);
        const named = { source, labels };
        declare("NodeExporter", p.serviceAccount.resourceName, { apiVersion: "v1", kind: "ServiceAccount", namespace: ns, name: p.serviceAccount.name, ...named });
        declare("NodeExporter", p.daemonSet.resourceName, { apiVersion: "apps/v1", kind: "DaemonSet", namespace: ns, name: p.daemonSet.name, ...named, selector: { labels, source } });
        declare("NodeExporter", p.service.resourceName, {
            apiVersion: "v1",
            kind: "Service",
            namespace: ns,
            name: p.service.name,
            ...named,
            selector: { labels, source },
            ports: [p.port],
        });
        declare("NodeExporter", p.clusterRole.resourceName, { apiVersion: RBAC, kind: "ClusterRole", name: p.clusterRole.name, ...named });
        declare("NodeExporter", p.binding.resourceName, { apiVersion: RBAC, kind: "ClusterRoleBinding", name: p.binding.name, ...named });
    }

    // The NetworkPolicies' component, after node-exporter as index.ts declares it (its objects are planned above, after the releases).
    if (Object.keys(openings).length > 0) component("NetworkIsolation", COMPONENT_NAMES.netpol, { path: ["security", "networkPolicies"], value: true });

    // The verify step last: one Job, named by Pulumi after the component (a new one replaces it when a release changes).
    if (cfg.verify.enabled) {
        const source: Source = { path: ["verify", "enabled"], value: true };
        component("Verify", COMPONENT_NAMES.verify, source);
        declare("Verify", COMPONENT_NAMES.verify, { apiVersion: "batch/v1", kind: "Job", namespace: cfg.verify.namespace, source });
    }

    // MetalLB's pools and advertisement, before the objects of the other parts (after the namespaces): its reserved
    // pool exists only when a Service pins an address of the pool.
    const pins = objects.flatMap((o) => (o.pin ? [o.pin] : []));
    const pinned = [...new Set(pins.map((p) => p.address))].sort();
    if (cfg.metallb.enabled) {
        const m = cfg.metallb;
        const p = planMetalLB(COMPONENT_NAMES.metallb, { ...m, reserved: pinned });
        const at: Source = { path: ["metallb", "poolName"], value: m.poolName };
        const metallb = (o: { resourceName: string; name: string }, kind: string, derived?: true): PlannedObject => ({
            apiVersion: "metallb.io/v1beta1",
            kind,
            namespace: p.namespace,
            name: o.name,
            by: "program",
            resource: { type: `MetalLB/${kind}`, name: o.resourceName, source: at },
            source: at,
            ...(derived ? { derived } : {}),
        });
        objects.splice(namespaceAt, 0, metallb(p.pool, "IPAddressPool"), ...(p.reservedPool ? [metallb(p.reservedPool, "IPAddressPool", true)] : []), metallb(p.advertisement, "L2Advertisement"));
    }

    // The namespaces go first, as index.ts declares them, each with the entry of the first object in it.
    const firstIn = new Map<string, Source>();
    for (const o of objects) if (o.namespace !== undefined && !firstIn.has(o.namespace)) firstIn.set(o.namespace, o.source);
    objects.splice(
        namespaceAt,
        0,
        ...planNamespaces(COMPONENT_NAMES.namespaces, { namespaces, existing: BUILT_IN_NAMESPACES }).map((ns): PlannedObject => {
            const source = firstIn.get(ns.namespace) ?? { path: ["security", "appNamespaceLevel"], value: ns.namespace };
            return {
                apiVersion: "v1",
                kind: "Namespace",
                name: ns.namespace,
                by: "program",
                patch: ns.patch || undefined,
                resource: { type: "Namespaces/Namespace", name: ns.resourceName, source },
                source,
                level: ns.level,
            };
        }),
    );

    const declared = objects.filter((o) => o.by === "program");
    return {
        namespaces,
        openings: Object.fromEntries(Object.entries(openings).map(([ns, list]) => [ns, list.map((o) => o.opening)])),
        components,
        all: () => objects,
        declared: () => declared,
        resources: () => [...components.map((c) => ({ type: c.type, name: c.name, source: c.source })), ...declared.flatMap((o) => (o.resource ? [o.resource] : []))],
        pins: () => pins,
        pinnedAddresses: () => pinned,
    };
}

/**
 * The NetworkPolicies of the app namespaces, as components/core/networkIsolation.ts plans them
 * (default-deny, DNS, same-namespace, then `allow-<name>` per opening with a source), each opening's
 * with the config entry that opened it (plan/security.ts); two openings of one name in one namespace
 * are both planned, so the checks refuse the second instead of one of them silently missing.
 */
function networkPolicies(cfg: PlanInput, openings: Readonly<Record<string, readonly PlannedOpening[]>>): PlannedObject[] {
    const switched: Source = { path: ["security", "networkPolicies"], value: true };
    const namespaces = Object.fromEntries(Object.entries(openings).map(([ns, list]) => [ns, list.map((o) => o.opening)]));
    const policies: PlannedObject[] = [];
    const args = { namespaces, ingressControllerNamespace: cfg.ingressNginx.namespace, extraSourceNamespaces: cfg.security.extraSourceNamespaces };
    for (const p of planNetworkIsolation(COMPONENT_NAMES.netpol, args)) {
        const sources = p.opening === undefined ? [switched] : (openings[p.namespace].find((o) => o.opening.name === p.opening?.name)?.sources ?? [switched]);
        for (const source of sources) {
            policies.push({
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                namespace: p.namespace,
                name: p.name,
                by: "program",
                resource: { type: "NetworkIsolation/NetworkPolicy", name: p.resourceName, source },
                source,
                opening: p.opening,
                ports: p.opening?.ports,
                selector: p.opening ? { labels: p.opening.podSelector, source } : undefined,
            });
        }
    }
    return policies;
}
