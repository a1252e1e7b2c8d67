// No change a user can see (issue 25, item 5): the e2e stack deployed by an earlier commit of the
// program (BMP_BASELINE, a commit before the plan took over the names), then previewed with this
// working tree's program — no step: no renamed object, no replaced resource, no new URN.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { E2E_OVERRIDES, ensureInstalledNamespaces, ROOT, run, shippedConfig, Stack, stepLines, tail, timing } from "./lib";

/** The commit whose program deploys the stack first: the last one before issue 25's components took their names from the plan. */
const BASELINE = process.env.BMP_BASELINE ?? "5b5c117";

const dev = shippedConfig("dev");
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

describe(`the e2e stack deployed by ${BASELINE}, previewed with this program`, () => {
    let stack: Stack;
    let baseline: string;

    before(async () => {
        await ensureInstalledNamespaces();
        baseline = await checkout(BASELINE);
        stack = await Stack.create("e2e", { from: "dev", base, overrides: E2E_OVERRIDES(dev) });
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
        timing(`pulumi up (${BASELINE})`, up.ms);
        const before = (await stack.resources()).map((r) => r.urn).sort();
        linkProject(stack, ROOT);
        const { steps, run: preview } = await stack.preview();
        timing("pulumi preview (this program)", preview.ms);
        assert.deepEqual(stepLines(steps), [], tail(preview.stdout, 40));
        assert.ok(before.length > 60, `${before.length} resources in the state`);
    });
});
