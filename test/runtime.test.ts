// How `pulumi preview` and `pulumi up` load the program: the SDK's ts-node with
// tsconfig.pulumi.json, which is tsconfig.json without the type check — the check stays in `npm test`
// (tsc --noEmit on tsconfig.json). docs/performance.md has the figures behind it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as ts from "typescript";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "..");

/** The compiler options TypeScript itself reads from a tsconfig file, `extends` followed. */
function effectiveOptions(file: string): ts.CompilerOptions {
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, file), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) });
    assert.ok(parsed, file);
    assert.deepEqual(parsed.errors, [], file);
    const options = { ...parsed.options };
    delete options.configFilePath;
    return options;
}

describe("the program's runtime", () => {
    it("Pulumi.yaml loads the program with tsconfig.pulumi.json", () => {
        const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true, tsconfig: "tsconfig.pulumi.json", packagemanager: "npm" } });
    });

    it("tsconfig.pulumi.json is tsconfig.json with noCheck and nothing else", () => {
        assert.deepEqual(effectiveOptions("tsconfig.pulumi.json"), { ...effectiveOptions("tsconfig.json"), noCheck: true });
    });

    it("npm test's type check is not turned off: tsconfig.json has no noCheck, and npm test runs tsc on it", () => {
        assert.equal(effectiveOptions("tsconfig.json").noCheck, undefined);
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        assert.match(scripts.test, /^tsc --noEmit && /);
    });

    it("the SDK reads noCheck from it, so its ts-node only transpiles", () => {
        // The SDK's own reader (cmd/run: transpileOnly = compilerOptions.noCheck unless PULUMI_NODEJS_TRANSPILE_ONLY is set).
        const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions: (p: string) => Record<string, unknown> };
        assert.deepEqual(loadTypeScriptCompilerOptions(path.join(ROOT, "tsconfig.pulumi.json")), { noCheck: true });
    });
});
