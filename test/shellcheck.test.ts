// Every shell script the repository tracks is shellcheck-clean (Debian's `shellcheck`; the
// repository's .shellcheckrc lets it follow the files a script sources).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { it } from "node:test";

const ROOT = path.resolve(__dirname, "..");

it("shellcheck passes on every tracked .sh file", () => {
    const version = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (version.error) assert.fail("shellcheck is not installed: apt-get install shellcheck (Debian's package)");
    const files = spawnSync("git", ["ls-files", "*.sh"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(files.status, 0, `git ls-files failed: ${files.stderr}`);
    const scripts = files.stdout.split("\n").filter(Boolean);
    assert.ok(scripts.length > 0, "no tracked .sh file");
    // From the repository's root: the `# shellcheck source=` lines name files from there.
    const r = spawnSync("shellcheck", ["--format=gcc", ...scripts], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.stdout + r.stderr, "", `shellcheck found these in ${scripts.length} scripts:\n${r.stdout}${r.stderr}`);
});
