// `npm run unlock`'s repair of a folder backend's sidecars (scripts/state-sidecars.ts): a sidecar a
// kill left empty or cut short is removed, with a line naming it; a readable one, and every state
// file, stay as they were.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { removeUnreadableSidecars, unreadable } from "../scripts/state-sidecars";

/** A sidecar as the CLI writes it. */
const SIDECAR = '{"user.cache_control":"","user.content_type":"text/plain; charset=utf-8","user.metadata":null,"md5":"h27oN+/XqzcXv+GmlsVPJQ=="}\n';

/** A `.pulumi` folder with these files (path → content). */
function stateFolder(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-sidecars-"));
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
}

/** Every file under `dir`, relative and sorted. */
const filesUnder = (dir: string) => (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();

describe("a folder backend's unreadable sidecars removed by npm run unlock", () => {
    it("a sidecar is unreadable when empty, cut short or not an object", () => {
        assert.equal(unreadable(""), "empty");
        assert.equal(unreadable("\n"), "empty");
        assert.equal(unreadable('{"user.cache_control":"'), "cut short");
        assert.equal(unreadable("null"), "not a JSON object");
        assert.equal(unreadable("[]"), "not a JSON object");
        assert.equal(unreadable(SIDECAR), undefined);
    });

    it("an empty checkpoint sidecar and a cut-short backup sidecar go, each with its line; the files they describe and the readable sidecars stay", () => {
        const dir = stateFolder({
            "meta.yaml": "version: 1\n",
            "meta.yaml.attrs": SIDECAR,
            "stacks/bare-metal-platform/dev.json": '{"version":3}',
            "stacks/bare-metal-platform/dev.json.attrs": "",
            "stacks/bare-metal-platform/dev.json.bak": '{"version":3}',
            "stacks/bare-metal-platform/dev.json.bak.attrs": '{"user.cache',
            "history/bare-metal-platform/dev/dev-1.history.json": "{}",
            "history/bare-metal-platform/dev/dev-1.history.json.attrs": SIDECAR,
        });
        const stacks = path.join(dir, "stacks", "bare-metal-platform");
        assert.deepEqual(removeUnreadableSidecars(dir), [
            `unlock: ${stacks}/dev.json.attrs is empty: a write of the state was interrupted there, and pulumi could not read dev.json; removed it: dev.json holds what it held before that write, and its next write makes a new sidecar`,
            `unlock: ${stacks}/dev.json.bak.attrs is cut short: a write of the state was interrupted there, and pulumi could not read dev.json.bak; removed it: dev.json.bak holds what it held before that write, and its next write makes a new sidecar`,
        ]);
        assert.deepEqual(filesUnder(dir), [
            "history/bare-metal-platform/dev/dev-1.history.json",
            "history/bare-metal-platform/dev/dev-1.history.json.attrs",
            "meta.yaml",
            "meta.yaml.attrs",
            "stacks/bare-metal-platform/dev.json",
            "stacks/bare-metal-platform/dev.json.bak",
        ]);
        assert.equal(fs.readFileSync(path.join(stacks, "dev.json"), "utf8"), '{"version":3}');
        fs.rmSync(dir, { recursive: true });
    });

    it("the sidecar of a file never written goes too, and says so", () => {
        const dir = stateFolder({ "stacks/bare-metal-platform/lab.json.attrs": "" });
        assert.deepEqual(removeUnreadableSidecars(dir), [
            `unlock: ${dir}/stacks/bare-metal-platform/lab.json.attrs is empty: a write of the state was interrupted there, and pulumi could not read lab.json; removed it: lab.json was never written`,
        ]);
        assert.deepEqual(filesUnder(dir), []);
        fs.rmSync(dir, { recursive: true });
    });

    it("a state whose sidecars all read is left exactly as it was", () => {
        const dir = stateFolder({ "stacks/bare-metal-platform/dev.json": "{}", "stacks/bare-metal-platform/dev.json.attrs": SIDECAR });
        assert.deepEqual(removeUnreadableSidecars(dir), []);
        assert.equal(fs.readFileSync(path.join(dir, "stacks/bare-metal-platform/dev.json.attrs"), "utf8"), SIDECAR);
        fs.rmSync(dir, { recursive: true });
    });
});
