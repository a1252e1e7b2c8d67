// No change a user can see: the e2e stack (dev-derived) and the prod stack
// deployed by an earlier commit of the program (BMP_BASELINE), then previewed with this working tree's program — no step: no renamed object, no replaced
// resource, no new URN.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { E2E_OVERRIDES, ensureGatewayApiCrds, ensureInstalledNamespaces, kubectl, ROOT, run, shippedConfig, Stack, stepLines, tail, timing } from "./lib";

/**
 * The commit whose program deploys the stack first: the last one that changed what a stack declares on
 * purpose (the verify Job's script in its own file, given the checks in its environment). A change meant to be invisible (a restructuring) shows no step
 * against it; a change meant to be seen moves it forward, saying what changed.
 */
const BASELINE = process.env.BMP_BASELINE ?? "76ea58a";

const dev = shippedConfig("dev");
const prod = shippedConfig("prod");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** The baseline's files (git archive: no worktree entry left in the repository), sharing this repo's node_modules. */
async function checkout(commit: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(base, `baseline-${commit}-`));
    const r = await run("bash", ["-c", `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, ROOT, commit, dir]);
    if (r.code !== 0) throw new Error(`git archive ${commit} failed: ${r.stderr.trim()}`);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** Points the scratch project's links (all but node_modules) at `from`'s files. */
function linkProject(stack: Stack, from: string): void {
    for (const entry of fs.readdirSync(stack.dir)) {
        const at = path.join(stack.dir, entry);
        if (entry === "node_modules" || !fs.lstatSync(at).isSymbolicLink()) continue;
        fs.unlinkSync(at);
        fs.symlinkSync(path.join(from, entry), at);
    }
}

/**
 * What prod's Gateway needs here: the Gateway API CRDs (a prerequisite) and an installed NGINX Gateway
 * Fabric's namespace and GatewayClass (nginxGateway.install false: the control plane's stand-in plays it).
 */
async function ensureInstalledGatewayController(): Promise<void> {
    await ensureGatewayApiCrds();
    if ((await run("kubectl", ["get", "namespace", "nginx-gateway"])).code !== 0) await kubectl("create", "namespace", "nginx-gateway");
    const gatewayClass = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "nginx" }, spec: { controllerName: "gateway.nginx.org/nginx-gateway-controller" } };
    const r = await run("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(gatewayClass) });
    if (r.code !== 0) throw new Error(`kubectl apply GatewayClass nginx: ${r.stderr.trim()}`);
}

/**
 * The stacks: the e2e stack (Pulumi.dev.yaml with E2E_OVERRIDES), and Pulumi.prod.yaml with the same
 * overrides plus what the local cluster needs — the kubeconfig's own context instead of "prod", MinIO's
 * two secrets (prod's file has none: its users set them), its Gateway's controller installed. Its hosts
 * stay off (hosts.enabled is not set; converge alone declares nothing).
 */
const STACKS = [
    { name: "e2e", from: "dev", overrides: E2E_OVERRIDES(dev), minResources: 60, prepare: async (): Promise<void> => undefined },
    {
        name: "prod",
        from: "prod",
        overrides: { ...E2E_OVERRIDES(prod), cluster: undefined },
        minResources: 20,
        prepare: async (stack: Stack): Promise<void> => {
            await ensureInstalledGatewayController();
            await stack.pulumiOk("config", "set", "--secret", "minioRootUser", "ops-admin");
            await stack.pulumiOk("config", "set", "--secret", "minioRootPassword", "prod-password-from-config");
        },
    },
];

for (const spec of STACKS) {
    describe(`the ${spec.name} stack deployed by ${BASELINE}, previewed with this program`, () => {
        let stack: Stack;
        let baseline: string;

        before(async () => {
            await ensureInstalledNamespaces();
            baseline = await checkout(BASELINE);
            stack = await Stack.create(spec.name, { from: spec.from, base, overrides: spec.overrides });
            await spec.prepare(stack);
        });
        after(async () => {
            if (stack === undefined) return;
            linkProject(stack, ROOT);
            await stack.pulumi("destroy", "--yes", "--skip-preview");
            stack.remove();
        });

        it(`pulumi up with ${BASELINE}'s program, then pulumi preview with this one: no step`, async () => {
            linkProject(stack, baseline);
            const up = await stack.up();
            timing(`pulumi up of ${spec.name} (${BASELINE})`, up.ms);
            const before = (await stack.resources()).map((r) => r.urn).sort();
            linkProject(stack, ROOT);
            const { steps, run: preview } = await stack.preview();
            timing(`pulumi preview of ${spec.name} (this program)`, preview.ms);
            assert.deepEqual(stepLines(steps), [], tail(preview.stdout, 40));
            assert.ok(before.length > spec.minResources, `${before.length} resources in the state`);
        });
    });
}
