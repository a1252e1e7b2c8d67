// Settings of the verify step (components/apps/verify.ts): a Job inside `pulumi up` that
// requests every release's Services and routes and checks the version each page names.
import { bool, dnsLabel, strict } from "./primitives";

export const verifySchema = strict({
    enabled: bool
        .default(true)
        .describe(
            "`pulumi up` runs a short-lived Job, beside the releases' rollouts, that requests every Service of every release and its ingress or gateway route (the canary header too) until each page names the expected version, and fails, one line per failure, if one does not within `rolloutTimeoutSeconds`. Runs again whenever a release changes.",
        ),
    namespace: dnsLabel
        .default("platform-verify")
        .describe(
            "Namespace of the verify Job (Pod Security restricted; the apps' NetworkPolicies let every pod of it in), its own: not the cluster's (kube-system, kube-public, kube-node-lease, default), an app's, an add-on's or a Gateway data plane's namespace.",
        ),
});
