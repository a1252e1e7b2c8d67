import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A ServiceAccount and what it may do. */
export interface AccountArgs {
    readonly name: string;
    /** Namespace of the ServiceAccount. Defaults to "default". */
    readonly namespace?: string;
    /**
     * The grant: an existing ClusterRole, cluster-wide (a ClusterRoleBinding) or, with `namespace`,
     * only in that namespace (a RoleBinding). Absent: the account may do nothing (the lab's dave).
     */
    readonly grant?: { readonly clusterRole: string; readonly namespace?: string };
}

/** One RBAC rule. */
export interface RuleArgs {
    /** Defaults to the core group [""]. */
    readonly apiGroups?: readonly string[];
    readonly resources: readonly string[];
    readonly verbs: readonly string[];
}

/** A grant to every ServiceAccount of a namespace (Group `system:serviceaccounts:<namespace>`). */
export interface GroupGrantArgs {
    readonly namespace: string;
    /** Name of the ClusterRole and ClusterRoleBinding created for the group. */
    readonly clusterRole: string;
    readonly rules: readonly RuleArgs[];
}

/** Arguments of {@link AccessControl}. */
export interface AccessControlArgs {
    /** Defaults to none. */
    readonly accounts?: readonly AccountArgs[];
    /** Defaults to none. */
    readonly groups?: readonly GroupGrantArgs[];
}

const RBAC = "rbac.authorization.k8s.io";

/** ServiceAccounts and their bindings, granting exactly what the config says and nothing more. */
export class AccessControl extends pulumi.ComponentResource {
    public readonly serviceAccounts: Record<string, k8s.core.v1.ServiceAccount> = {};

    constructor(name: string, args: AccessControlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:access:AccessControl", name, {}, opts);
        for (const account of args.accounts ?? []) {
            const namespace = account.namespace ?? "default";
            const key = `${namespace}-${account.name}`;
            const sa = new k8s.core.v1.ServiceAccount(`${name}-${key}`, { metadata: { name: account.name, namespace }, automountServiceAccountToken: false }, { parent: this });
            this.serviceAccounts[`${namespace}/${account.name}`] = sa;
            const grant = account.grant;
            if (!grant) {
                continue;
            }
            const subjects = [{ kind: "ServiceAccount", name: account.name, namespace }];
            const roleRef = { apiGroup: RBAC, kind: "ClusterRole", name: grant.clusterRole };
            if (grant.namespace === undefined) {
                new k8s.rbac.v1.ClusterRoleBinding(`${name}-${key}-binding`, { metadata: { name: account.name }, roleRef, subjects }, { parent: this, dependsOn: [sa] });
            } else {
                new k8s.rbac.v1.RoleBinding(`${name}-${key}-binding`, { metadata: { name: account.name, namespace: grant.namespace }, roleRef, subjects }, { parent: this, dependsOn: [sa] });
            }
        }
        for (const group of args.groups ?? []) {
            const role = new k8s.rbac.v1.ClusterRole(
                `${name}-${group.clusterRole}`,
                { metadata: { name: group.clusterRole }, rules: group.rules.map((r) => ({ apiGroups: [...(r.apiGroups ?? [""])], resources: [...r.resources], verbs: [...r.verbs] })) },
                { parent: this },
            );
            new k8s.rbac.v1.ClusterRoleBinding(
                `${name}-${group.clusterRole}-binding`,
                {
                    metadata: { name: group.clusterRole },
                    roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: group.clusterRole },
                    subjects: [{ apiGroup: RBAC, kind: "Group", name: `system:serviceaccounts:${group.namespace}` }],
                },
                { parent: this, dependsOn: [role] },
            );
        }
        this.registerOutputs({});
    }
}
