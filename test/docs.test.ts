// The docs against the code: the config reference and Pulumi.yaml's descriptions are what the schema
// generates (npm run docs), every key has a meaning, and every link and file path the docs name exists.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { configurationMd, CONFIGURATION_MD, pulumiYaml, PULUMI_YAML, referenceRows } from "../scripts/config-reference";

const ROOT = path.resolve(__dirname, "..");
/** The pages a reader follows: the README, the docs/ folder and the contributors' guide. */
const PAGES = ["README.md", "CONTRIBUTING.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) => f.endsWith(".md"));

/** The text of a page without its fenced code blocks (their lines are commands and output, not links). */
function prose(text: string): string {
    return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's anchor for a heading (github-slugger): lowercase, punctuation dropped, spaces as dashes. */
export function slug(heading: string): string {
    return heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
        .replace(/ /g, "-");
}

/** The anchors of a Markdown file, numbered as GitHub numbers repeated headings. */
function anchors(file: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of prose(fs.readFileSync(file, "utf8")).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

/** Whether `target` (a relative link or a `file#anchor` mention) resolves from the page `from`. */
function brokenLink(from: string, target: string): string | undefined {
    const [file, anchor] = target.split("#", 2);
    const resolved = file === "" ? path.join(ROOT, from) : path.resolve(path.dirname(path.join(ROOT, from)), file);
    if (!fs.existsSync(resolved)) return `${target}: no file ${path.relative(ROOT, resolved)}`;
    if (anchor !== undefined && resolved.endsWith(".md") && !anchors(resolved).has(anchor)) return `${target}: no heading #${anchor} in ${path.relative(ROOT, resolved)}`;
    return undefined;
}

describe("docs: the config reference is generated from the schema", () => {
    it("every key of the schema has a meaning (its .describe() text)", () => {
        const missing = referenceRows()
            .filter((r) => r.description.trim() === "")
            .map((r) => r.path);
        assert.deepEqual(missing, [], "keys without a .describe() in config/");
    });

    it("docs/configuration.md is what npm run docs generates", async () => {
        const current = fs.readFileSync(CONFIGURATION_MD, "utf8");
        assert.ok(current === (await configurationMd(current)), "docs/configuration.md is out of date with the schema: run npm run docs");
    });

    it("Pulumi.yaml's config types and descriptions are what npm run docs generates", async () => {
        const current = fs.readFileSync(PULUMI_YAML, "utf8");
        assert.ok(current === (await pulumiYaml(current)), "Pulumi.yaml's config descriptions are out of date with the schema: run npm run docs");
    });

    it("the reference names every key of the schema, and Pulumi.yaml points at each key's section", () => {
        const reference = fs.readFileSync(CONFIGURATION_MD, "utf8");
        for (const r of referenceRows()) assert.ok(reference.includes("`" + r.path + "`") || reference.includes(`### ${r.path}\n`), r.path);
        const project = YAML.parse(fs.readFileSync(PULUMI_YAML, "utf8"));
        for (const [key, decl] of Object.entries<any>(project.config)) {
            const target = /Reference: (\S+)\.$/.exec(decl.description)?.[1];
            assert.equal(target, `docs/configuration.md#${key.toLowerCase()}`, key);
            assert.equal(brokenLink("Pulumi.yaml", target), undefined);
        }
    });
});

describe("docs: links and paths", () => {
    it("the README and docs/ exist, and the README is short", () => {
        assert.ok(PAGES.length > 5, PAGES.join(", "));
        const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
        assert.ok(lines <= 160, `README.md has ${lines} lines (the entry point fits on a few screens; the rest goes to docs/)`);
    });

    it("every relative link points at an existing file and heading", () => {
        const broken: string[] = [];
        for (const page of PAGES) {
            for (const m of prose(fs.readFileSync(path.join(ROOT, page), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
                const problem = brokenLink(page, target);
                if (problem) broken.push(`${page}: ${problem}`);
            }
        }
        assert.deepEqual(broken, []);
    });

    it("every file of this repository that the docs and the schema's texts name in code spans exists", () => {
        // A path is a code span like `config/index.ts` or `docs/hosts.md#the-real-host-test`; names
        // with placeholders (`Pulumi.<stack>.yaml`) or absolute and home paths are not this repository's.
        const pathLike = /^(?:[\w.-]+\/)*[\w-]+\.(?:ts|sh|md|mjs|json|go)(?:#[\w-]+)?$|^(?:[\w.-]+\/)+$/;
        const named: [string, string][] = [];
        for (const page of PAGES) {
            for (const m of prose(fs.readFileSync(path.join(ROOT, page), "utf8")).matchAll(/`([^`\n]+)`/g)) named.push([page, m[1]]);
        }
        for (const r of referenceRows()) {
            for (const m of r.description.matchAll(/\b(?:docs|config|components|test|scripts|policy)\/[\w./#-]*[\w#/-]/g)) named.push([`the schema's ${r.path}`, m[0]]);
        }
        // A page names files from the repository root (as a reader types them) or relative to itself.
        const missing = named.filter(([where, p]) => pathLike.test(p) && brokenLink("README.md", p) && (!PAGES.includes(where) || brokenLink(where, p))).map(([where, p]) => `${where}: ${p}`);
        assert.deepEqual(missing, []);
    });
});
