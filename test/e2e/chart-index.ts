// `chart-index.ts DIR`: writes DIR/index.yaml for the chart archives in DIR from their own
// Chart.yaml (what `helm repo index` writes, without provenance) and prints each "name-version".
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

const dir = process.argv[2];
const entries: Record<string, unknown[]> = {};
for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".tgz"))
    .sort()) {
    const file = path.join(dir, f);
    const chartYaml = execFileSync("tar", ["-tzf", file], { encoding: "utf8" })
        .split("\n")
        .find((l) => /^[^/]+\/Chart\.yaml$/.test(l));
    if (!chartYaml) throw new Error(`${f}: no Chart.yaml at its top`);
    const meta = YAML.parse(execFileSync("tar", ["-xzOf", file, chartYaml], { encoding: "utf8" }));
    const digest = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    (entries[meta.name] ??= []).push({ ...meta, urls: [f], digest, created: "1970-01-01T00:00:00Z" });
    console.log(`${meta.name}-${meta.version}`);
}
fs.writeFileSync(path.join(dir, "index.yaml"), YAML.stringify({ apiVersion: "v1", entries, generated: "1970-01-01T00:00:00Z" }));
