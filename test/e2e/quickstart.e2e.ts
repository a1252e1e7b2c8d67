// The README's quick start as one case, in its order and words: the shell lines of its sections
// "Quick start", "Check that it answers", "A day-2 change" and "Tear down" are read from README.md
// itself and run one after the other by one bash in a copy of this repository, on the suite's
// cluster with the real node, the real MetalLB and the real ingress-nginx. A README line that
// cannot run as written here fails the case, unless it is one of the differences below, each
// stated with its reason:
//
//   - the dev stack's file gets the suite's chart repository (no chart repository of the internet is
//     reachable here), `metallb.interfaces: [bmp-lan0]` (MetalLB announces on the suite's LAN link
//     only) and the Dashboard off (its chart is at hand nowhere here); everything else is shipped;
//   - `npm run deploy`, `pulumi up` and `npm run destroy` get `--yes`: there is no terminal to
//     answer their question (deploy.sh says so and stops after the preview, as the README says);
//   - `npm test` is left out: CI runs it before this suite (.ci/run);
//   - `curl` and `dig` run on the client host of the lab's LAN (`ip netns exec bmp-client`), the only
//     place the load-balancer addresses are reachable from.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { METALLB_CHART_DEFAULT, INGRESS_NGINX_CHART_DEFAULT } from "../../components/network";
import { CLIENT_NETNS, LAN_LINK, labDown, labUp } from "./lan";
import { kubectlJson, ROOT, run, shippedConfig, stackFileText, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-quickstart-"));
const SECTIONS = ["Quick start", "Check that it answers", "A day-2 change", "Tear down"];

/** The shell lines of a README section's code blocks, comments and blank lines left out. */
function readmeLines(section: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = text.indexOf(`\n## ${section}\n`);
    assert.ok(start >= 0, `README.md has a section "${section}"`);
    const end = text.indexOf("\n## ", start + 1);
    const body = text.slice(start, end < 0 ? undefined : end);
    return [...body.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
        m[1]
            .split("\n")
            .map((l) => l.replace(/\s+#.*$/, "").trim())
            .filter((l) => l && !l.startsWith("#")),
    );
}

/** A README line as this machine runs it (the differences of the file's header). */
function asRunHere(line: string): string | undefined {
    if (line === "npm test") return undefined;
    if (/^npm run (deploy|destroy)$/.test(line)) return `${line} -- --yes`;
    if (line === "pulumi up") return "pulumi up --yes";
    if (/^(curl|dig) /.test(line)) return `ip netns exec ${CLIENT_NETNS} ${line}`;
    return line;
}

interface StepOut {
    readonly line: string;
    readonly code: number;
    readonly out: string;
}

let steps: StepOut[] = [];
let dir: string;

before(async () => {
    await labUp({ traefik: false });
    // A copy of this repository as a user has it (what git tracks, and what is new and not ignored).
    dir = path.join(base, "bare-metal-platform");
    const files = (await run("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT })).stdout.split("\0").filter(Boolean);
    for (const f of files) {
        if (!fs.existsSync(path.join(ROOT, f))) continue;
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    const repo = process.env.BMP_CHART_REPO;
    fs.writeFileSync(
        path.join(dir, "Pulumi.dev.yaml"),
        stackFileText("dev", {
            metallb: { ...dev("metallb"), chart: { repo, version: METALLB_CHART_DEFAULT.version }, interfaces: [LAN_LINK] },
            ingressNginx: { ...dev("ingressNginx"), chart: { repo, version: INGRESS_NGINX_CHART_DEFAULT.version } },
            dashboard: { enabled: false },
        }),
    );
    // One bash runs every line (so `export` and `ip=$(…)` carry on), each line's output and exit code
    // written to its own files.
    const lines = SECTIONS.flatMap(readmeLines)
        .map((l) => [l, asRunHere(l)] as const)
        .filter((p): p is readonly [string, string] => p[1] !== undefined);
    const script = ["cd " + JSON.stringify(dir), ...lines.map(([, cmd], i) => `{ ${cmd} ; } >"$OUT/${i}.out" 2>&1; echo $? >"$OUT/${i}.code"; [ "$(cat "$OUT/${i}.code")" = 0 ] || exit 1`)].join("\n");
    const out = fs.mkdtempSync(path.join(base, "out-"));
    const env: NodeJS.ProcessEnv = { ...process.env, OUT: out, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", NO_COLOR: "1", CI: "true" };
    // As a user's shell: the state's place is Pulumi.yaml's, the passphrase the README's export.
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_CONFIG_PASSPHRASE;
    const r = await run("bash", ["-c", script], { env, timeoutMs: 1_800_000 });
    timing("the README's quick start, from npm ci to npm run destroy", r.ms);
    steps = lines.flatMap(([line], i) =>
        fs.existsSync(path.join(out, `${i}.code`)) ? [{ line, code: Number(fs.readFileSync(path.join(out, `${i}.code`), "utf8")), out: fs.readFileSync(path.join(out, `${i}.out`), "utf8") }] : [],
    );
    for (const s of steps) console.log(`# ${s.code === 0 ? "ok" : `exit ${s.code}`}: ${s.line}`);
});

after(async () => {
    try {
        // What a failed run left: the copy's own state still knows it.
        if (steps.length > 0 && !steps.some((s) => s.line.startsWith("npm run destroy") && s.code === 0)) {
            await run("bash", ["scripts/stack.sh", "destroy", "--yes"], {
                cwd: dir,
                env: { ...process.env, PULUMI_BACKEND_URL: undefined, PULUMI_CONFIG_PASSPHRASE: undefined } as NodeJS.ProcessEnv,
                timeoutMs: 600_000,
            });
        }
        await labDown();
    } finally {
        fs.rmSync(base, { recursive: true, force: true });
    }
});

const step = (prefix: string): StepOut => {
    const s = steps.find((x) => x.line.startsWith(prefix));
    assert.ok(s, `the README's "${prefix}…" ran (ran: ${steps.map((x) => x.line).join(" | ")})`);
    assert.equal(s.code, 0, `${s.line}:\n${tail(s.out, 40)}`);
    return s;
};

describe("the README's quick start, as written", () => {
    it("every line of its four sections ran and succeeded, in order", () => {
        const expected = SECTIONS.flatMap(readmeLines).filter((l) => asRunHere(l) !== undefined);
        assert.deepEqual(
            steps.map((s) => [s.line, s.code]),
            expected.map((l) => [l, 0]),
            steps.map((s) => `${s.line} → ${s.code}\n${tail(s.out, 15)}`).join("\n"),
        );
    });

    it("npm run deploy said where it goes, previewed, then applied", () => {
        const out = step("npm run deploy").out;
        assert.match(out, /deploy: stack dev → kube context 'local'/);
        assert.ok(out.indexOf("Previewing update (dev)") < out.indexOf("Updating (dev)"), "the preview first");
        assert.match(out, /deploy: done; pulumi stack output --stack dev shows the addresses and the curl lines/);
    });

    it("pulumi stack output lists what the README says it does", () => {
        const out = step("pulumi stack output").out;
        for (const key of ["appUrls", "canaryCurl", "corednsAddress", "ingressAddress", "loadBalancerPool", "minioEndpoint"]) assert.match(out, new RegExp(`\\b${key}\\b`), out);
    });

    it("the two curls: the web page from either track without the header (weight 50), the canary's 1.1 with it", () => {
        const [plain, canary] = steps.filter((s) => s.line.startsWith("curl "));
        for (const s of [plain, canary]) assert.equal(s?.code, 0, s && tail(s.out, 20));
        assert.match(plain.out, /<p id="version">Version: 1\.[01]<\/p>/);
        assert.match(canary.out, /<p id="version">Version: 1\.1<\/p>/);
        assert.match(canary.out, /<p id="pod">Pod: web-/);
    });

    it("dig through CoreDNS's published address answers the kubernetes Service's address", () => {
        assert.equal(step("dig ").out.trim(), "10.96.0.1");
    });

    it("the day-2 scale, with the shipped defaults: preview --diff shows what the README's comment says (the Deployment and its budget updated, the verify Job replaced), then pulumi up applies it", () => {
        const preview = step("pulumi preview --diff").out;
        assert.match(preview, /~ kubernetes:apps\/v1:Deployment: \(update\)[\s\S]*clock-deployment[\s\S]*replicas\s*: 4 => 10/);
        // Each changed resource's operation, type and name (from its header line and URN), sorted.
        const changed = [...preview.matchAll(/^\s*[~+-]+\s*(kubernetes:\S+): \((update|replace|create|delete)\)\n(?:\s*\[id=[^\]]*\]\n)?\s*\[urn=\S*::([^\]]+)\]/gm)]
            .map((m) => `${m[2]} ${m[1]} ${m[3]}`)
            .sort();
        assert.deepEqual(
            changed,
            ["replace kubernetes:batch/v1:Job verify", "update kubernetes:apps/v1:Deployment clock-stable", "update kubernetes:policy/v1:PodDisruptionBudget clock-stable-pdb"],
            tail(preview, 60),
        );
        assert.match(preview, /maxUnavailable\s*: 1 => 2/, "25 % of 10 pods is 2");
        step("pulumi up");
    });

    it("npm run destroy removed the stack, and the README's kubectl delete the claim it keeps", async () => {
        assert.match(step("npm run destroy").out, /Destroying \(dev\)/);
        step("kubectl delete pvc");
        const left = (await kubectlJson("deployments,services,statefulsets,ingresses", "-n", "default")).items.filter((o: any) => o.metadata.name !== "kubernetes");
        assert.deepEqual(
            left.map((o: any) => `${o.kind} ${o.metadata.name}`),
            [],
        );
    });
});
