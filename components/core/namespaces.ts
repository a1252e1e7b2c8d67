// Every namespace the platform uses, declared once so that no two components fight over one.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { declared, type DeclaredObject } from "./planned";
import { podSecurityLabels, PodSecurityLevel } from "./security";

/** Arguments of {@link Namespaces}. */
export interface NamespacesArgs {
    /**
     * Namespaces to create, each with the Pod Security Standards level it enforces. Namespaces named in
     * `existing` are labelled in place (server-side patch) instead of created.
     */
    readonly namespaces: Readonly<Record<string, PodSecurityLevel>>;
    /** Namespaces that exist already (default, kube-system, …): never created or deleted. Defaults to none. */
    readonly existing?: readonly string[];
}

/** One namespace of {@link Namespaces}: its name, level, Pulumi resource name, and whether it is labelled in place (it exists already). */
export interface PlannedNamespace {
    readonly namespace: string;
    readonly level: PodSecurityLevel;
    readonly resourceName: string;
    readonly patch: boolean;
    /** The Namespace (or, existing, its NamespacePatch), made by its entry in `namespaces`. */
    readonly object: DeclaredObject;
}

/** The namespaces {@link Namespaces} `name` declares of `args`, by name: `<name>-<namespace>` each. */
export function planNamespaces(name: string, args: NamespacesArgs): PlannedNamespace[] {
    const existing = new Set(args.existing ?? []);
    return Object.entries(args.namespaces)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([namespace, level]) => {
            const resourceName = `${name}-${namespace}`;
            const patch = existing.has(namespace);
            const source = { path: ["namespaces", namespace], value: level };
            return {
                namespace,
                level,
                resourceName,
                patch,
                object: declared("Namespaces", resourceName, { apiVersion: "v1", kind: "Namespace", name: namespace, patch: patch || undefined, source, level }),
            };
        });
}

/** The platform's namespaces, labelled for Pod Security admission. */
export class Namespaces extends pulumi.ComponentResource {
    /** Namespace name → the resource that declares or labels it (depend on it before using the namespace). */
    public readonly byName: Readonly<Record<string, pulumi.Resource>>;

    constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:core:Namespaces", name, {}, opts);
        const byName: Record<string, pulumi.Resource> = {};
        for (const ns of planNamespaces(name, args)) {
            const metadata = { name: ns.namespace, labels: podSecurityLabels(ns.level) };
            byName[ns.namespace] = ns.patch
                ? new k8s.core.v1.NamespacePatch(ns.resourceName, { metadata }, { parent: this })
                : new k8s.core.v1.Namespace(ns.resourceName, { metadata }, { parent: this });
        }
        this.byName = byName;
        this.registerOutputs({ byName });
    }

    /** The resources a component in these namespaces must wait for. */
    public dependenciesFor(...namespaces: string[]): pulumi.Resource[] {
        return namespaces.flatMap((ns) => (this.byName[ns] ? [this.byName[ns]] : []));
    }
}
