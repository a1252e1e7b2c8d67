// The rules of rules.ts as @pulumi/policy policies: every one mandatory, each with the pack's
// settings (MetalLB pool, exemptions) as its policy config. index.ts serves them to the engine.
import type { Policy, PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkResource, checkStack, DEFAULT_EXEMPTIONS, PolicySettings, Rule, RULES } from "./rules";

/** Name of the pack, as `pulumi preview --policy-pack policy` reports it. */
export const PACK_NAME = "bare-metal-platform";

/** Config every policy takes (`--policy-pack-config`), with the defaults a stack of this program needs. */
export const SETTINGS_SCHEMA: PolicyConfigSchema = {
    properties: {
        pool: {
            type: "array",
            items: { type: "string" },
            description: "MetalLB addresses to check against when the stack declares no IPAddressPool (MetalLB installed elsewhere).",
        },
        exemptions: {
            type: "array",
            description: "Objects a rule does not apply to: { rule, kind, namespace?, name, reason }.",
            items: {
                type: "object",
                properties: { rule: { type: "string" }, kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" }, reason: { type: "string" } },
                required: ["rule", "kind", "name", "reason"],
            },
            default: DEFAULT_EXEMPTIONS as unknown as object[],
        },
    },
};

/** One rule as a mandatory policy of the pack. */
export function toPolicy(rule: Rule): Policy {
    const common = { name: rule.name, description: rule.description, enforcementLevel: "mandatory" as const, configSchema: SETTINGS_SCHEMA };
    if (rule.stack) {
        const policy: StackValidationPolicy = {
            ...common,
            validateStack: (args, report) => {
                const settings = args.getConfig<PolicySettings>();
                for (const v of checkStack(rule, args.resources, settings)) {
                    report(v.message, v.resource.urn);
                }
            },
        };
        return policy;
    }
    const policy: ResourceValidationPolicy = {
        ...common,
        validateResource: (args, report) => {
            for (const message of checkResource(rule, args, args.getConfig<PolicySettings>())) {
                report(message);
            }
        },
    };
    return policy;
}

/** Every policy of the pack. */
export const POLICIES: Policy[] = RULES.map(toPolicy);
