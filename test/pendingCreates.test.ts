// `npm run unlock`'s repair of an export (scripts/pending-creates.ts): each pending create of a
// kubernetes object becomes a resource with the ID its inputs name; a replacement's create marks the
// resource it replaces for deletion; another provider's create is dropped; nothing else changes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adoptPendingCreates, kubernetesId, type PendingOperation } from "../scripts/pending-creates";

const URN = "urn:pulumi:dev::bare-metal-platform::platform:apps:Verify$kubernetes:batch/v1:Job::verify";
const DEPLOYMENT = "urn:pulumi:dev::bare-metal-platform::platform:apps:CanaryRelease$kubernetes:apps/v1:Deployment::late-stable";
const STEP = "urn:pulumi:dev::bare-metal-platform::platform:hosts:Host$command:remote:Command::vm1-packages";

const job = (name: string) => ({ urn: URN, type: "kubernetes:batch/v1:Job", inputs: { metadata: { name, namespace: "platform-verify" } } });
const creating = (resource: PendingOperation["resource"]): PendingOperation => ({ type: "creating", resource });

describe("pending creates settled by npm run unlock", () => {
    it("the ID of a kubernetes object is namespace/name, or the name of a cluster-scoped one; another provider's resource has none", () => {
        assert.equal(kubernetesId(job("verify-1")), "platform-verify/verify-1");
        assert.equal(kubernetesId({ urn: "x", type: "kubernetes:core/v1:Namespace", inputs: { metadata: { name: "canary" } } }), "canary");
        assert.equal(kubernetesId({ urn: STEP, type: "command:remote:Command", inputs: {} }), undefined);
        assert.equal(kubernetesId({ urn: "x", type: "kubernetes:core/v1:ConfigMap", inputs: { metadata: {} } }), undefined);
    });

    it("an export without a pending create is left alone", () => {
        const exported = { deployment: { resources: [{ urn: URN, id: "platform-verify/verify-1" }], pending_operations: [{ type: "updating", resource: job("verify-1") }] } };
        assert.equal(adoptPendingCreates(exported), undefined);
    });

    it("a new object is appended with its ID, another provider's create dropped, every pending operation removed", () => {
        const deployment = { urn: DEPLOYMENT, type: "kubernetes:apps/v1:Deployment", inputs: { metadata: { name: "late", namespace: "default" } } };
        const exported = {
            deployment: {
                manifest: { time: "t" },
                resources: [{ urn: "urn:stack", id: "" }],
                pending_operations: [creating(deployment), creating({ urn: STEP, type: "command:remote:Command", inputs: {} }), { type: "updating", resource: job("verify-1") }],
            },
        };
        assert.deepEqual(adoptPendingCreates(exported), {
            repaired: {
                deployment: {
                    manifest: { time: "t" },
                    resources: [
                        { urn: "urn:stack", id: "" },
                        { ...deployment, id: "default/late", outputs: {} },
                    ],
                    pending_operations: [],
                },
            },
            lines: [
                `unlock: ${DEPLOYMENT} was being created as default/late; the refresh keeps it if the cluster has it, and drops it if not`,
                `unlock: ${STEP} was being created; dropped from the state: the next pulumi up creates it again`,
            ],
        });
    });

    it("a replacement created before its original is deleted: the original marked for deletion, the replacement after it", () => {
        const original = { urn: URN, type: "kubernetes:batch/v1:Job", id: "platform-verify/verify-1", outputs: { status: {} } };
        const exported = { deployment: { resources: [original], pending_operations: [creating(job("verify-2"))] } };
        assert.deepEqual(adoptPendingCreates(exported), {
            repaired: {
                deployment: {
                    resources: [
                        { ...original, delete: true },
                        { ...job("verify-2"), id: "platform-verify/verify-2", outputs: {} },
                    ],
                    pending_operations: [],
                },
            },
            lines: [
                `unlock: ${URN} was being created as platform-verify/verify-2 to replace the one in the state; the refresh keeps it if the cluster has it, and drops it if not; the next pulumi up deletes the one it replaces`,
            ],
        });
    });

    it("an original already marked for deletion stays as it is", () => {
        const older = { urn: URN, id: "platform-verify/verify-0", delete: true };
        const exported = { deployment: { resources: [older], pending_operations: [creating(job("verify-2"))] } };
        assert.deepEqual(adoptPendingCreates(exported)?.repaired.deployment.resources, [older, { ...job("verify-2"), id: "platform-verify/verify-2", outputs: {} }]);
    });
});
