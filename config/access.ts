// Settings of access (components/access): the lab's ServiceAccounts and group grants.
import { z } from "zod";
import { dnsLabel, dnsName, expected, matching, rbacName, renderValue, Report, strict } from "./primitives";

/**
 * The verbs Kubernetes' own APIs check: the eight of every resource, and the special ones (bind and
 * escalate on roles, impersonate on users, groups and service accounts, approve and sign on
 * certificate signing requests, attest on cluster trust bundles, use on policies). The API server
 * stores any string; one outside this list would grant nothing, so it is refused as a misspelling.
 */
const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate", "approve", "sign", "attest", "use", "*"] as const;
/**
 * A resource as RBAC matches it: `*`, a resource's plural (a DNS-1035 label, as every built-in
 * plural and every custom resource's is), optionally with `/<subresource>`, or `*` + `/<subresource>`.
 * The API server stores any string; anything else would grant nothing.
 */
const RESOURCE = /^(\*|[a-z]([-a-z0-9]*[a-z0-9])?)(\/[a-z]+)?$/;
const ruleSchema = strict({
    apiGroups: z
        .array(z.string(expected('an API group ("" is the core group)')), expected("a list of API groups"))
        .default([""])
        .describe('API groups of the rule ("" is the core group).'),
    resources: z
        .array(matching(RESOURCE, 'a resource name such as "pods", "pods/log" or "*/scale"'), expected("a list of resources"))
        .min(1, expected("a non-empty list of resources"))
        .describe("Resources of the rule, such as `pods` or `pods/log`."),
    verbs: z
        .array(z.enum(VERBS, expected(`a verb (${VERBS.join(", ")})`)), expected("a list of verbs"))
        .min(1, expected("a non-empty list of verbs"))
        .describe("Verbs of the rule."),
});

export const accessSchema = strict({
    accounts: z
        .array(
            strict({
                name: dnsName.describe("ServiceAccount name."),
                namespace: dnsLabel.default("default").describe("Namespace of the ServiceAccount."),
                grant: strict({
                    clusterRole: rbacName.describe("The ClusterRole bound, such as `admin`, `edit` or `view`."),
                    namespace: dnsLabel.optional().describe("Only in this namespace (a RoleBinding). Not set: cluster-wide (a ClusterRoleBinding)."),
                })
                    .optional()
                    .describe("What the account may do. Not set: nothing (the lab's dave)."),
            }),
            expected("a list of accounts"),
        )
        .default([])
        .describe("ServiceAccounts and the ClusterRole each is bound to."),
    groups: z
        .array(
            strict({
                namespace: dnsLabel.describe("The group: every ServiceAccount of this namespace (Group `system:serviceaccounts:<namespace>`)."),
                clusterRole: rbacName.describe("Name of the ClusterRole (and its binding) made for the group; not a built-in one (`admin`, `edit`, `view`, `cluster-admin`, `system:*`)."),
                rules: z.array(ruleSchema, expected("a list of RBAC rules")).min(1, expected("a non-empty list of RBAC rules")).describe("The ClusterRole's rules."),
            }),
            expected("a list of group grants"),
        )
        .default([])
        .describe("Group grants: a ClusterRole of the given rules bound to every ServiceAccount of a namespace."),
});

export type AccessConfig = z.output<typeof accessSchema>;

/** ClusterRoles every cluster has: a group grant must not redefine them (accounts may bind them). */
const BUILT_IN_ROLES = ["admin", "edit", "view", "cluster-admin"];
const builtInRole = (name: string) => BUILT_IN_ROLES.includes(name) || name.startsWith("system:");

/** Rules across accounts and grants: each declared once, and no built-in ClusterRole overwritten. */
export function accessChecks(access: AccessConfig, add: Report): void {
    const accounts = new Set<string>();
    access.accounts.forEach((a, i) => {
        const key = `${a.namespace}/${a.name}`;
        if (accounts.has(key)) {
            add(["access", "accounts", i, "name"], `${renderValue(a.name)} is declared twice in namespace "${a.namespace}" (expected unique accounts)`);
        }
        accounts.add(key);
    });
    const roles = new Set<string>();
    access.groups.forEach((g, i) => {
        if (builtInRole(g.clusterRole)) {
            add(
                ["access", "groups", i, "clusterRole"],
                `${renderValue(g.clusterRole)} is a built-in ClusterRole (expected a new name: a group grant creates its own ClusterRole, and must not redefine ${BUILT_IN_ROLES.join(", ")} or system:*)`,
            );
        } else if (roles.has(g.clusterRole)) {
            add(["access", "groups", i, "clusterRole"], `${renderValue(g.clusterRole)} is declared twice (expected unique ClusterRole names)`);
        }
        roles.add(g.clusterRole);
    });
}
