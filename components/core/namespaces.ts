// Every namespace the platform uses, declared once so that no two components fight over one.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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

/** The platform's namespaces, labelled for Pod Security admission. */
export class Namespaces extends pulumi.ComponentResource {
    /** Namespace name → the resource that declares or labels it (depend on it before using the namespace). */
    public readonly byName: Readonly<Record<string, pulumi.Resource>>;

    constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:core:Namespaces", name, {}, opts);
        const existing = new Set(args.existing ?? []);
        const byName: Record<string, pulumi.Resource> = {};
        for (const [ns, level] of Object.entries(args.namespaces).sort(([a], [b]) => a.localeCompare(b))) {
            const metadata = { name: ns, labels: podSecurityLabels(level) };
            byName[ns] = existing.has(ns)
                ? new k8s.core.v1.NamespacePatch(`${name}-${ns}`, { metadata }, { parent: this })
                : new k8s.core.v1.Namespace(`${name}-${ns}`, { metadata }, { parent: this });
        }
        this.byName = byName;
        this.registerOutputs({ byName });
    }

    /** The resources a component in these namespaces must wait for. */
    public dependenciesFor(...namespaces: string[]): pulumi.Resource[] {
        return namespaces.flatMap((ns) => (this.byName[ns] ? [this.byName[ns]] : []));
    }
}
