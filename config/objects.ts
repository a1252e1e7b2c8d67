// What the config makes, before anything is registered: every Kubernetes object whose name comes from
// config, every Pulumi resource name derived from config, and every `app` selector. Two config
// entries that make the same object, the same resource name or overlapping selectors are refused
// here, naming both entries — the API server, the engine or the controllers would only find out later.
//
// These rules mirror the naming in components/; the generated-config property in test/config.property.test.ts
// holds them to it: a config accepted here never makes a duplicate object or URN on the mocks.
import { tracksOf, type ReleaseConfig } from "./apps";
import type { AccessConfig } from "./access";
import type { MinioConfig } from "./storage";
import { ConfigPath, formatPath, renderValue, Report } from "./primitives";
import { isDns1035Label, isDns1123Subdomain } from "./grammar";

/** The parts of the parsed config that name objects. */
export interface ObjectsView {
    readonly releases: Record<string, ReleaseConfig>;
    readonly access: AccessConfig;
    readonly minio: MinioConfig;
    readonly nodeExporter: { readonly enabled: boolean; readonly namespace: string };
    readonly security: { readonly networkPolicies: boolean };
    /** The GatewayClass a release's Gateway uses (its data plane Service is named after it). */
    readonly gatewayClassOf: (r: ReleaseConfig) => string | undefined;
}

/** One object or resource name, with the config entry (path and value) that makes it. */
interface Made {
    /** `Kind namespace/name` for a Kubernetes object, `Type name` for a Pulumi resource. */
    readonly id: string;
    readonly path: ConfigPath;
    readonly value: unknown;
    /** A name built from a config value (`<release>-canary`…): held to its kind's name grammar. */
    readonly derived?: string;
    readonly kind?: string;
}

/** Why the API server would refuse `name` for an object of `kind`, or undefined (Services: DNS-1035 labels; the rest here: DNS subdomains). */
function derivedNameProblem(kind: string, name: string): string | undefined {
    if (kind === "Service") {
        if (name.length > 63) return `${name.length} characters (expected at most 63: shorten it)`;
        return isDns1035Label(name) ? undefined : "not a Service name (expected a DNS-1035 label: a lowercase letter first, then letters, digits and '-')";
    }
    if (name.length > 253) return `${name.length} characters (expected at most 253: shorten it)`;
    return isDns1123Subdomain(name) ? undefined : "not a DNS name (expected lowercase letters, digits and '-', in labels separated by '.')";
}

/** The Kubernetes objects and the Pulumi resource names the config makes. */
export function madeBy(cfg: ObjectsView): { objects: Made[]; resources: Made[] } {
    const objects: Made[] = [];
    const resources: Made[] = [];
    const object = (kind: string, namespace: string | undefined, name: string, path: ConfigPath, value: unknown, derived = false) =>
        objects.push({ id: `${kind} ${namespace === undefined ? "" : `${namespace}/`}${name}`, path, value, derived: derived ? name : undefined, kind });
    const resource = (type: string, name: string, path: ConfigPath, value: unknown) => resources.push({ id: `${type} "${name}"`, path, value });

    for (const [name, r] of Object.entries(cfg.releases)) {
        const at: ConfigPath = ["releases", name];
        const { stable, canary, entry } = tracksOf(name, r);
        const track = (kind: "stable" | "canary", t: { deployment: string; namespace: string }, own: string | undefined, replicas: number) => {
            const path: ConfigPath = own !== undefined ? [...at, kind, "name"] : at;
            object("Deployment", t.namespace, t.deployment, path, own ?? name, own === undefined && kind === "canary");
            resource("ClockApp", `${name}-${kind}`, at, name);
            resource("ClockApp/Deployment", `${name}-${kind}`, at, name);
            resource("ClockApp/ConfigMap", `${name}-${kind}-page`, at, name);
            // The track's budget, named as its Deployment (components/apps/clockApp.ts).
            if (r.disruptionBudget.enabled && replicas > 1) {
                object("PodDisruptionBudget", t.namespace, t.deployment, path, own ?? name, own === undefined && kind === "canary");
                resource("ClockApp/PodDisruptionBudget", `${name}-${kind}-pdb`, at, name);
            }
        };
        track("stable", stable, r.stable.name, r.stable.replicas);
        if (canary !== undefined && r.canary !== undefined) track("canary", canary, r.canary.name, r.canary.replicas);
        r.services.forEach((s, i) => {
            object("Service", stable.namespace, s.name, [...at, "services", i, "name"], s.name);
            resource("CanaryRelease/Service", `${name}-${s.name}`, [...at, "services", i, "name"], s.name);
        });
        const ing = r.ingress;
        if (ing !== undefined && entry !== undefined) {
            const ingressName = entry;
            const namePath: ConfigPath = ing.name !== undefined ? [...at, "ingress", "name"] : at;
            if (r.split === "gateway") {
                object("Gateway", r.namespace, ingressName, namePath, ingressName);
                object("HTTPRoute", r.namespace, ingressName, namePath, ingressName);
                resource("CanaryRelease/Gateway", `${name}-gateway`, at, name);
                resource("CanaryRelease/HTTPRoute", `${name}-route`, at, name);
                // The controller's data plane for this Gateway: `<gateway>-<class>`, beside the release's Services.
                const className = cfg.gatewayClassOf(r);
                if (className !== undefined) object("Service", r.namespace, `${ingressName}-${className}`, namePath, ingressName, true);
                if (canary !== undefined && canary.namespace !== r.namespace) {
                    object("ReferenceGrant", canary.namespace, `${ingressName}-from-${r.namespace}`, namePath, ingressName, true);
                    resource("CanaryRelease/ReferenceGrant", `${name}-canary-grant`, at, name);
                }
            } else {
                object("Ingress", r.namespace, ingressName, namePath, ingressName);
                resource("CanaryRelease/Ingress", `${name}-ingress`, at, name);
            }
            const backendIndex = Math.max(0, ing.service === undefined ? 0 : r.services.findIndex((s) => s.name === ing.service));
            const backend = r.services[backendIndex];
            if (r.split !== "replicas" && canary !== undefined && backend !== undefined) {
                const sameNamespace = canary.namespace === r.namespace;
                const canaryService = sameNamespace ? `${backend.name}-canary` : backend.name;
                const servicePath: ConfigPath = [...at, "services", backendIndex, "name"];
                object("Service", canary.namespace, canaryService, servicePath, backend.name, sameNamespace);
                resource("CanaryRelease/Service", `${name}-canary-${canaryService}`, servicePath, backend.name);
            }
            if (r.split === "ingress" && canary !== undefined) {
                object("Ingress", canary.namespace, `${ingressName}-canary`, namePath, ingressName, true);
                resource("CanaryRelease/Ingress", `${name}-canary-ingress`, at, name);
            }
        }
    }

    if (cfg.security.networkPolicies) {
        const policy = (ns: string, policyName: string, path: ConfigPath, value: unknown) => {
            object("NetworkPolicy", ns, policyName, path, value);
            resource("NetworkIsolation/NetworkPolicy", `netpol-${ns}-${policyName}`, path, value);
        };
        const opened = new Set<string>();
        const open = (ns: string, name: string, path: ConfigPath, value: unknown) => {
            if (!opened.has(ns)) {
                opened.add(ns);
                // The namespace's own two policies come from the switch, not from the workload that opened it.
                policy(ns, "default-deny", ["security", "networkPolicies"], true);
                policy(ns, "allow-dns", ["security", "networkPolicies"], true);
            }
            policy(ns, `allow-${name}`, path, value);
        };
        for (const [name, r] of Object.entries(cfg.releases)) {
            const { stable, canary, entry } = tracksOf(name, r);
            open(stable.namespace, name, ["releases", name], name);
            if (canary !== undefined && canary.namespace !== stable.namespace) open(canary.namespace, name, ["releases", name], name);
            if (r.split === "gateway" && entry !== undefined) {
                open(r.namespace, `${entry}-gateway`, r.ingress?.name !== undefined ? ["releases", name, "ingress", "name"] : ["releases", name], entry);
            }
        }
        if (cfg.minio.enabled) open(cfg.minio.namespace, cfg.minio.name, ["minio", "name"], cfg.minio.name);
    }

    cfg.access.accounts.forEach((a, i) => {
        const at: ConfigPath = ["access", "accounts", i];
        const key = `${a.namespace}-${a.name}`;
        object("ServiceAccount", a.namespace, a.name, [...at, "name"], a.name);
        resource("AccessControl/ServiceAccount", `access-${key}`, [...at, "name"], a.name);
        if (a.grant !== undefined) {
            const kind = a.grant.namespace === undefined ? "ClusterRoleBinding" : "RoleBinding";
            object(kind, a.grant.namespace, a.name, [...at, "name"], a.name);
            resource(`AccessControl/${kind}`, `access-${key}-binding`, [...at, "name"], a.name);
        }
    });
    cfg.access.groups.forEach((g, i) => {
        const path: ConfigPath = ["access", "groups", i, "clusterRole"];
        object("ClusterRole", undefined, g.clusterRole, path, g.clusterRole);
        object("ClusterRoleBinding", undefined, g.clusterRole, path, g.clusterRole);
        resource("AccessControl/ClusterRole", `access-${g.clusterRole}`, path, g.clusterRole);
        resource("AccessControl/ClusterRoleBinding", `access-${g.clusterRole}-binding`, path, g.clusterRole);
    });

    if (cfg.minio.enabled) {
        const m = cfg.minio;
        object("StatefulSet", m.namespace, m.name, ["minio", "name"], m.name);
        object("Service", m.namespace, m.name, ["minio", "name"], m.name);
        if (m.loadBalancer.enabled) object("Service", m.namespace, m.loadBalancer.name, ["minio", "loadBalancer", "name"], m.loadBalancer.name);
    }
    if (cfg.nodeExporter.enabled) {
        const ns = cfg.nodeExporter.namespace;
        for (const [kind, namespace] of [
            ["ServiceAccount", ns],
            ["DaemonSet", ns],
            ["Service", ns],
            ["ClusterRole", undefined],
            ["ClusterRoleBinding", undefined],
        ] as const) {
            object(kind, namespace, "node-exporter", ["nodeExporter", "enabled"], true);
        }
    }
    return { objects, resources };
}

/** Every object and resource name made once; derived names within the DNS label limit; selectors apart. */
export function objectChecks(cfg: ObjectsView, add: Report): void {
    // `add` keeps one line per setting (crossChecks): the first rule a setting breaks is the one reported.
    // Selectors: the Services of a release select its `app` label (both tracks), MinIO's select
    // `app: <minio.name>`; one label value in one namespace would join their pods.
    const selectors = new Map<string, ConfigPath>();
    const select = (ns: string, app: string, path: ConfigPath) => {
        const id = `${ns}/${app}`;
        const before = selectors.get(id);
        if (before === undefined) {
            selectors.set(id, path);
        } else if (formatPath(before) !== formatPath(path)) {
            add(
                path,
                `${renderValue(app)} is the app label of ${formatPath(before)} too in namespace "${ns}" (expected one app label per workload: their Services and Deployments would select each other's pods)`,
            );
        }
    };
    for (const [name, r] of Object.entries(cfg.releases)) {
        const { app, stable, canary } = tracksOf(name, r);
        const path: ConfigPath = r.app !== undefined ? ["releases", name, "app"] : ["releases", name];
        select(stable.namespace, app, path);
        if (canary !== undefined && canary.namespace !== stable.namespace) select(canary.namespace, app, path);
    }
    if (cfg.minio.enabled) select(cfg.minio.namespace, cfg.minio.name, ["minio", "name"]);

    const { objects, resources } = madeBy(cfg);
    const once = (list: Made[], what: (m: Made) => string, expectation: string) => {
        const first = new Map<string, Made>();
        for (const m of list) {
            const before = first.get(m.id);
            if (before === undefined) {
                first.set(m.id, m);
                continue;
            }
            const where = formatPath(before.path) === formatPath(m.path) ? "and again from the same setting" : `as ${formatPath(before.path)} does`;
            add(m.path, `${renderValue(m.value)} makes ${what(m)}, ${where} (${expectation})`);
        }
    };
    once(objects, (m) => m.id, "expected each Kubernetes object declared once: rename one of them");
    once(resources, (m) => `the Pulumi resource ${m.id}`, "expected unique resource names, which the engine requires: rename one of them");

    for (const m of objects) {
        const problem = m.derived === undefined || m.kind === undefined ? undefined : derivedNameProblem(m.kind, m.derived);
        if (problem !== undefined) {
            add(m.path, `${renderValue(m.value)} makes the ${m.kind} name ${renderValue(m.derived)}, ${problem}`);
        }
    }
}
