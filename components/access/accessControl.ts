import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { declared, type DeclaredObject } from "../core/planned";

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

/** A planned RBAC object: its Pulumi resource name and Kubernetes name (and namespace, where it has one). */
export interface PlannedRbacObject {
    readonly resourceName: string;
    readonly name: string;
    readonly namespace?: string;
}

/** What {@link AccessControl} `name` declares of `args`, in its order, named once: the component and plan/ both read it. */
export interface PlannedAccess {
    /** Per account: its ServiceAccount, and its binding (a RoleBinding with a namespace, else a ClusterRoleBinding) when it has a grant. */
    readonly accounts: readonly { readonly serviceAccount: PlannedRbacObject & { readonly namespace: string }; readonly binding?: PlannedRbacObject }[];
    /** Per group grant: its ClusterRole and ClusterRoleBinding. */
    readonly groups: readonly { readonly role: PlannedRbacObject; readonly binding: PlannedRbacObject }[];
    /** Every object, in the component's order, with the setting that made it (`accounts[i].name`, `groups[i].clusterRole`). */
    readonly objects: readonly DeclaredObject[];
}

/** The names of {@link AccessControl} `name`: `<name>-<namespace>-<account>` (`-binding`), `<name>-<clusterRole>` (`-binding`). */
export function planAccessControl(name: string, args: Pick<AccessControlArgs, "accounts"> & { readonly groups?: readonly Pick<GroupGrantArgs, "namespace" | "clusterRole">[] }): PlannedAccess {
    const accounts = (args.accounts ?? []).map((a) => {
        const namespace = a.namespace ?? "default";
        const key = `${name}-${namespace}-${a.name}`;
        return {
            serviceAccount: { resourceName: key, name: a.name, namespace },
            binding: a.grant && { resourceName: `${key}-binding`, name: a.name, namespace: a.grant.namespace },
        };
    });
    const groups = (args.groups ?? []).map((g) => ({
        role: { resourceName: `${name}-${g.clusterRole}`, name: g.clusterRole },
        binding: { resourceName: `${name}-${g.clusterRole}-binding`, name: g.clusterRole },
    }));
    const rbac = `${RBAC}/v1`;
    const objects = [
        ...accounts.flatMap(({ serviceAccount: sa, binding }, i) => {
            const source = { path: ["accounts", i, "name"], value: sa.name };
            const kind = binding?.namespace === undefined ? "ClusterRoleBinding" : "RoleBinding";
            return [
                declared("AccessControl", sa.resourceName, { apiVersion: "v1", kind: "ServiceAccount", namespace: sa.namespace, name: sa.name, source }),
                ...(binding ? [declared("AccessControl", binding.resourceName, { apiVersion: rbac, kind, namespace: binding.namespace, name: binding.name, source })] : []),
            ];
        }),
        ...groups.flatMap(({ role, binding }, i) => {
            const source = { path: ["groups", i, "clusterRole"], value: role.name };
            return [
                declared("AccessControl", role.resourceName, { apiVersion: rbac, kind: "ClusterRole", name: role.name, source }),
                declared("AccessControl", binding.resourceName, { apiVersion: rbac, kind: "ClusterRoleBinding", name: binding.name, source }),
            ];
        }),
    ];
    return { accounts, groups, objects };
}

/** ServiceAccounts and their bindings, granting exactly what the config says and nothing more. */
export class AccessControl extends pulumi.ComponentResource {
    public readonly serviceAccounts: Record<string, k8s.core.v1.ServiceAccount> = {};

    constructor(name: string, args: AccessControlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:access:AccessControl", name, {}, opts);
        const planned = planAccessControl(name, args);
        (args.accounts ?? []).forEach((account, i) => {
            const p = planned.accounts[i];
            const namespace = p.serviceAccount.namespace;
            const sa = new k8s.core.v1.ServiceAccount(p.serviceAccount.resourceName, { metadata: { name: p.serviceAccount.name, namespace }, automountServiceAccountToken: false }, { parent: this });
            this.serviceAccounts[`${namespace}/${account.name}`] = sa;
            const grant = account.grant;
            if (!grant || !p.binding) {
                return;
            }
            const subjects = [{ kind: "ServiceAccount", name: account.name, namespace }];
            const roleRef = { apiGroup: RBAC, kind: "ClusterRole", name: grant.clusterRole };
            if (p.binding.namespace === undefined) {
                new k8s.rbac.v1.ClusterRoleBinding(p.binding.resourceName, { metadata: { name: p.binding.name }, roleRef, subjects }, { parent: this, dependsOn: [sa] });
            } else {
                new k8s.rbac.v1.RoleBinding(p.binding.resourceName, { metadata: { name: p.binding.name, namespace: p.binding.namespace }, roleRef, subjects }, { parent: this, dependsOn: [sa] });
            }
        });
        (args.groups ?? []).forEach((group, i) => {
            const p = planned.groups[i];
            const role = new k8s.rbac.v1.ClusterRole(
                p.role.resourceName,
                { metadata: { name: p.role.name }, rules: group.rules.map((r) => ({ apiGroups: [...(r.apiGroups ?? [""])], resources: [...r.resources], verbs: [...r.verbs] })) },
                { parent: this },
            );
            new k8s.rbac.v1.ClusterRoleBinding(
                p.binding.resourceName,
                {
                    metadata: { name: p.binding.name },
                    roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: group.clusterRole },
                    subjects: [{ apiGroup: RBAC, kind: "Group", name: `system:serviceaccounts:${group.namespace}` }],
                },
                { parent: this, dependsOn: [role] },
            );
        });
        this.registerOutputs({});
    }
}
