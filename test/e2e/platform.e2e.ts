// The platform on the real engine: the CLI's config check, `pulumi up` from empty, the lab's objects
// in the API server, a no-op second preview, the policy pack, in-place version bumps, install: false
// beside an existing installation, render mode, oci:// charts, npm run deploy, and destroy.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DASHBOARD_CHART_DEFAULT, INGRESS_NGINX_CHART_DEFAULT, METALLB_CHART_DEFAULT, NGINX_GATEWAY_CHART_DEFAULT } from "../../components/network";
import {
    E2E_OVERRIDES,
    ensureInstalledNamespaces,
    eventually,
    INSTALLED_NAMESPACES,
    kubectl,
    kubectlJson,
    ROOT,
    run,
    scratchProject,
    shippedConfig,
    Stack,
    stackFileText,
    stepLines,
    tail,
    timing,
} from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** The CLI's own refusal of a stack's config, as opposed to anything the program says. */
const CLI_CONFIG_ERROR = /validating stack config|is missing configuration value|must be encrypted as it's secret/;

describe("the CLI's config check: keys without defaults refuse no stack", () => {
    for (const from of ["dev", "prod", undefined]) {
        it(`${from ? `Pulumi.${from}.yaml` : "a new stack with no config at all"} passes it and the program runs`, async () => {
            const stack = await Stack.create(from ?? "empty", { from, base });
            try {
                // The program's first words: both shipped stacks reach the engine's preview of the
                // program (then stop on what is missing here: chart repositories, the prod context);
                // the empty stack gets the program's own message, which names the key.
                const r = await stack.pulumi("preview");
                const out = r.stdout + r.stderr;
                assert.doesNotMatch(out, CLI_CONFIG_ERROR, tail(out, 20));
                if (from === undefined) {
                    // The program's own message, once, without a stack trace.
                    const problems = [
                        "invalid configuration:",
                        "minioRootUser: is required when minio.enabled is true (set it with: pulumi config set --secret minioRootUser <name>)",
                        "minioRootPassword: is required when minio.enabled is true (set it with: pulumi config set --secret minioRootPassword <password>)",
                    ];
                    const diagnostics = out.slice(out.indexOf("Diagnostics:"));
                    assert.deepEqual(
                        diagnostics
                            .split("\n")
                            .slice(2, 5)
                            .map((l) => l.trim().replace(/^error: /, "")),
                        problems,
                    );
                    assert.doesNotMatch(out, /at parseConfig|ConfigError/);
                } else {
                    assert.match(out, /pulumi:pulumi:Stack/, tail(out, 20));
                }
            } finally {
                stack.remove();
            }
        });
    }
});

describe("the e2e stack (the dev stack, charts off) on the local control plane", () => {
    let stack: Stack;
    const lbNamespaces = INSTALLED_NAMESPACES;

    before(async () => {
        // MetalLB and ingress-nginx are "already installed": their namespaces exist before the
        // program runs, as an installation of theirs would leave them.
        await ensureInstalledNamespaces();
        stack = await Stack.create("e2e", { from: "dev", base, overrides: E2E_OVERRIDES(dev) });
    });
    after(() => stack?.remove());

    it("pulumi up from empty creates the platform", async () => {
        const r = await stack.up();
        timing("pulumi up from empty", r.ms);
        // No warning of the CLI or the program: a plugin version mismatch, an undefined output, …
        const out = r.stdout + r.stderr;
        assert.doesNotMatch(out, /expected to have version|Undefined value/, tail(out, 30));
        assert.doesNotMatch(out.slice(out.indexOf("\nOutputs:")), /warning/i);
        assert.equal(out.includes("Diagnostics:"), false, tail(out, 30));
        const resources = await stack.resources();
        assert.ok(resources.length > 60, `${resources.length} resources in the state`);
    });

    it("the API server holds the lab's objects", async () => {
        const deploy = async (ns: string, name: string) => (await kubectlJson("deployment", name, "-n", ns)).status;
        for (const [ns, name, replicas] of [
            ["default", "clock-deployment", 4],
            ["default", "nginx-deployment-stable", 29],
            ["default", "nginx-deployment-canary", 3],
            ["default", "web", 3],
            ["canary", "web", 3],
        ] as const) {
            const status = await deploy(ns, name);
            assert.deepEqual([ns, name, status.readyReplicas], [ns, name, replicas]);
        }
        const svc = async (ns: string, name: string) => (await kubectlJson("service", name, "-n", ns)).spec;
        assert.equal((await svc("default", "web-svc")).clusterIP, "None");
        assert.equal((await svc("default", "web-svc-cip")).type, "ClusterIP");
        assert.equal((await svc("default", "web-svc-np")).type, "NodePort");
        const lb = await kubectlJson("service", "web-svc-lb", "-n", "default");
        assert.equal(lb.spec.type, "LoadBalancer");
        assert.match(lb.status.loadBalancer.ingress[0].ip, /^172\.17\.255\.\d+$/);
        // CoreDNS outside the cluster: both Services share 172.17.255.2 under metallb.io annotations.
        for (const name of ["coredns-svc-lb-tcp", "coredns-svc-lb-udp"]) {
            const s = await kubectlJson("service", name, "-n", "kube-system");
            assert.deepEqual(
                [name, s.metadata.annotations["metallb.io/allow-shared-ip"], s.metadata.annotations["metallb.io/loadBalancerIPs"], s.status.loadBalancer.ingress[0].ip],
                [name, "coredns", "172.17.255.2", "172.17.255.2"],
            );
            assert.deepEqual(
                Object.keys(s.metadata.annotations).filter((k) => k.startsWith("metallb.universe.tf/")),
                [],
            );
        }
        const main = await kubectlJson("ingress", "web", "-n", "default");
        const canary = await kubectlJson("ingress", "web-canary", "-n", "canary");
        assert.deepEqual([main.spec.rules[0].host, main.spec.rules[0].http.paths[0].path], ["app.local", "/web"]);
        assert.deepEqual(
            [
                canary.metadata.annotations["nginx.ingress.kubernetes.io/canary"],
                canary.metadata.annotations["nginx.ingress.kubernetes.io/canary-by-header"],
                canary.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"],
            ],
            ["true", "canary", "50"],
        );
        const minio = await kubectlJson("statefulset", "minio", "-n", "default");
        assert.equal(minio.status.readyReplicas, 1);
        const claim = await kubectlJson("pvc", "data-minio-0", "-n", "default");
        assert.deepEqual([claim.status.phase, claim.spec.resources.requests.storage], ["Bound", "10Gi"]);
        const secretName = minio.spec.template.spec.containers[0].env.find((e: any) => e.name === "MINIO_ROOT_PASSWORD").valueFrom.secretKeyRef.name;
        assert.match(secretName, /^minio-credentials-[0-9a-z]+$/);
        for (const ns of ["canary", "dev", "prometheus", "monitoring"]) await kubectl("get", "namespace", ns);
        // On every node: the three fake ones and the real one (test/e2e/node.sh), which runs it for real.
        assert.equal((await kubectlJson("daemonset", "node-exporter", "-n", "monitoring")).status.numberReady, 4);
        const bob = await kubectlJson("clusterrolebinding", "bob");
        assert.deepEqual([bob.roleRef.name, bob.subjects], ["admin", [{ kind: "ServiceAccount", name: "bob", namespace: "default" }]]);
    });

    it("a second preview proposes no change (node-exporter's ClusterRole among them)", async () => {
        const { steps, run: r } = await stack.preview();
        timing("no-op pulumi preview", r.ms);
        assert.deepEqual(stepLines(steps), []);
    });

    it("the policy pack passes the deployed stack", async () => {
        const r = await stack.pulumi("preview", "--policy-pack", path.join(ROOT, "policy"));
        timing("pulumi preview --policy-pack", r.ms);
        assert.equal(r.code, 0, tail(r.stdout + r.stderr, 40));
        assert.match(r.stdout, /Policies:\n\s+✅ bare-metal-platform@v0\.1\.0 \(local: /);
        assert.doesNotMatch(r.stdout, /mandatory|advisory/);
    });

    it("install: false uses the existing namespaces: none is created, labelled or adopted", async () => {
        const urns = (await stack.resources()).map((r) => r.urn);
        for (const ns of lbNamespaces) {
            assert.deepEqual(
                urns.filter((u) => u.endsWith(`::ns-${ns}`)),
                [],
            );
            const labels = (await kubectlJson("namespace", ns)).metadata.labels;
            assert.deepEqual(
                Object.keys(labels).filter((k) => k.startsWith("pod-security")),
                [],
            );
        }
        // The pool lives in the existing namespace; the addresses CoreDNS (.2) and ingress-nginx (.3)
        // pin are kept out of automatic assignment, in a pool of their own.
        const pools = await kubectlJson("ipaddresspools.metallb.io", "-n", "metallb-system");
        assert.deepEqual(
            pools.items.map((p: any) => [p.metadata.name, p.spec]),
            [
                ["default", { addresses: ["172.17.255.1/32", "172.17.255.4-172.17.255.255"] }],
                ["default-reserved", { addresses: ["172.17.255.2/32", "172.17.255.3/32"], autoAssign: false }],
            ],
        );
    });

    it("a version bump updates the Deployment in place, without replacing it, and rolls its pods", async () => {
        const before = await kubectlJson("deployment", "clock-deployment", "-n", "default");
        const releases = stack.config("releases");
        releases.clock.stable.version = "1.1";
        stack.setConfig({ releases });
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), ["update kubernetes:apps/v1:Deployment clock-stable", "replace kubernetes:core/v1:ConfigMap clock-stable-page"]);
        const r = await stack.up();
        timing("pulumi up of a version bump", r.ms);
        const afterBump = await kubectlJson("deployment", "clock-deployment", "-n", "default");
        assert.equal(afterBump.metadata.uid, before.metadata.uid, "the same Deployment object");
        assert.equal(afterBump.metadata.annotations["deployment.kubernetes.io/revision"], "2");
        assert.equal(afterBump.status.readyReplicas, 4);
        const history = await kubectl("rollout", "history", "deployment/clock-deployment", "-n", "default");
        assert.match(history, /^1\s/m);
        assert.match(history, /^2\s/m);
        const pods = await kubectlJson("pods", "-n", "default", "-l", "app=clock-nginx,track=stable");
        assert.deepEqual([...new Set(pods.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.metadata.labels.version))], ["1.1"]);
        const { steps: after } = await stack.preview();
        assert.deepEqual(stepLines(after), []);
    });

    it("pulumi destroy leaves nothing of the program (claims of StatefulSets excepted)", async () => {
        const r = await stack.destroy();
        timing("pulumi destroy", r.ms);
        for (const ns of ["canary", "dev", "prometheus", "monitoring"]) {
            await eventually(`namespace ${ns} gone`, 60_000, async () => ((await run("kubectl", ["get", "namespace", ns])).code !== 0 ? true : undefined));
        }
        const left = async (kind: string, ns?: string) => (await kubectlJson(kind, ...(ns ? ["-n", ns] : ["-A"]))).items.map((o: any) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);
        assert.deepEqual(await left("deployments", "default"), []);
        assert.deepEqual(await left("statefulsets", "default"), []);
        assert.deepEqual(
            (await left("services", "default")).filter((s: string) => s !== "default/kubernetes"),
            [],
        );
        assert.deepEqual(
            (await left("services", "kube-system")).filter((s: string) => s.startsWith("kube-system/coredns-svc")),
            [],
        );
        assert.deepEqual(await left("ingresses"), []);
        assert.deepEqual(await left("configmaps", "default").then((l: string[]) => l.filter((c) => c !== "default/kube-root-ca.crt")), []);
        assert.deepEqual(await left("ipaddresspools.metallb.io"), []);
        for (const name of ["bob", "prometheus", "node-exporter"]) assert.notEqual((await run("kubectl", ["get", "clusterrolebinding", name])).code, 0, name);
        // The StatefulSet's claim stays, as Kubernetes keeps it (the data outlives the pod): documented.
        assert.deepEqual(await left("pvc", "default"), ["default/data-minio-0"]);
        await kubectl("delete", "pvc", "data-minio-0", "-n", "default");
        assert.deepEqual(await stack.resources().then((rs) => rs.filter((x) => !x.type.startsWith("pulumi:"))), []);
    });
});

describe("npm run deploy", () => {
    after(async () => {
        // What the deploy made, gone again (its state is the scratch folder's).
        for (const kind of ["deployments", "statefulsets", "services", "ingresses"]) await run("kubectl", ["delete", kind, "--all", "-n", "default", "--wait=false"]);
    });
    it("npm run deploy previews first: with no terminal and no --yes it stops after the preview", async () => {
        // deploy.sh deploys the folder's dev stack: here a scratch project whose dev stack is the e2e one.
        const scratch = scratchProject(base, "deploy");
        fs.writeFileSync(path.join(scratch, "Pulumi.dev.yaml"), stackFileText("dev", E2E_OVERRIDES(dev)));
        const env = { ...process.env, PULUMI_BACKEND_URL: `file://${scratch}/.state`, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", NO_COLOR: "1" };
        const preview = await run("bash", [path.join(scratch, "scripts", "deploy.sh")], { cwd: scratch, env, timeoutMs: 300_000 });
        assert.equal(preview.code, 2, tail(preview.stdout + preview.stderr, 30));
        assert.match(preview.stdout, /deploy: stack dev → kube context 'local'/);
        assert.match(preview.stdout, /Previewing update \(dev\)/);
        assert.match(preview.stderr, /deploy: preview only \(no terminal to ask on\); run again with --yes to apply it/);
        const applied = await run("bash", [path.join(scratch, "scripts", "deploy.sh"), "--yes"], { cwd: scratch, env, timeoutMs: 300_000 });
        assert.equal(applied.code, 0, tail(applied.stdout + applied.stderr, 30));
        assert.ok(applied.stdout.indexOf("Previewing update (dev)") < applied.stdout.indexOf("Updating (dev)"), "the preview comes first");
        assert.match(applied.stdout, /Updating \(dev\)/);
        const destroyed = await run("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"], {
            cwd: scratch,
            env: { ...env, PULUMI_CONFIG_PASSPHRASE: "bare-metal-lab" },
            timeoutMs: 300_000,
        });
        assert.equal(destroyed.code, 0, tail(destroyed.stdout + destroyed.stderr, 30));
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
        fs.rmSync(scratch, { recursive: true, force: true });
    });
});

describe("render mode", () => {
    it("writes the manifests into cluster.renderYamlTo and touches no cluster", async () => {
        const out = fs.mkdtempSync(path.join(base, "rendered-"));
        const stack = await Stack.create("render", { from: "dev", base, overrides: { ...E2E_OVERRIDES(dev), cluster: { renderYamlTo: out } } });
        try {
            const r = await stack.up();
            timing("pulumi up in render mode", r.ms);
            const files = fs
                .readdirSync(out, { recursive: true })
                .map(String)
                .filter((f) => f.endsWith(".yaml"));
            assert.ok(files.length > 50, `${files.length} files`);
            const deployment = files.find((f) => f.includes("deployment-default-clock-deployment"));
            assert.ok(deployment, files.join(", "));
            assert.match(fs.readFileSync(path.join(out, deployment), "utf8"), /replicas: 4/);
            assert.notEqual((await run("kubectl", ["get", "deployment", "clock-deployment", "-n", "default"])).code, 0, "nothing applied to the cluster");
        } finally {
            stack.remove();
        }
    });
});

describe("the program's dynamic resource on the engine (the Dashboard's chart may not be reachable here)", () => {
    it("GeneratedKey (the Dashboard's CSRF key) is serialized and run by the engine: made once, secret, then nothing to do", async () => {
        const dir = scratchProject(base, "dynamic", ["index.ts"]);
        fs.writeFileSync(
            path.join(dir, "index.ts"),
            'import { GeneratedKey } from "./components/core/generatedKey";\nconst key = new GeneratedKey("csrf", { bytes: 32 });\nexport const key64 = key.value;\n',
        );
        const env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "x",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
        const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", "dynamic", "--non-interactive"], { cwd: dir, env, timeoutMs: 300_000 });
        assert.equal((await pulumi("stack", "init")).code, 0);
        const up = await pulumi("up", "--yes", "--skip-preview");
        assert.equal(up.code, 0, tail(up.stdout + up.stderr, 30));
        const shown = JSON.parse((await pulumi("stack", "output", "--json")).stdout);
        assert.equal(shown.key64, "[secret]");
        const key = JSON.parse((await pulumi("stack", "output", "--json", "--show-secrets")).stdout).key64;
        assert.equal(Buffer.from(key, "base64").length, 32);
        const again = await pulumi("preview", "--expect-no-changes");
        assert.equal(again.code, 0, tail(again.stdout + again.stderr, 30));
        assert.equal(JSON.parse((await pulumi("stack", "output", "--json", "--show-secrets")).stdout).key64, key);
    });
});

describe("charts from an OCI registry", () => {
    it("an oci:// repository is used as the chart reference, not as a chart repository", async () => {
        const stack = await Stack.create("oci", {
            from: "dev",
            base,
            overrides: { ...E2E_OVERRIDES(dev), metallb: { ...dev("metallb"), chart: { repo: "oci://127.0.0.1:9/charts", version: "0.15.2" } } },
        });
        try {
            const r = await stack.pulumi("preview");
            const out = r.stdout + r.stderr;
            assert.notEqual(r.code, 0);
            assert.doesNotMatch(out, /not a valid chart repository/);
            // Helm tried the registry itself (and found nothing listening there).
            assert.match(out, /127\.0\.0\.1:9/);
            assert.match(out, /metallb/);
        } finally {
            stack.remove();
        }
    });
});

describe("the charts, rendered for real", () => {
    // The suite's own chart repository (test/e2e/charts.sh): MetalLB's chart from the Go module proxy,
    // ingress-nginx's and NGINX Gateway Fabric's from their source tarballs, on every machine; the
    // Dashboard's only where a hand-made mirror added it (its repository was retired).
    const repo = process.env.BMP_CHART_REPO;
    const served = new Set((process.env.BMP_CHARTS ?? "").split(" ").filter(Boolean));
    const withChart = (settings: object, version: string) => ({ ...settings, ...(repo ? { chart: { repo, version } } : {}) });
    const metallb = () => withChart({ ...dev("metallb"), install: true }, METALLB_CHART_DEFAULT.version);

    /** Renders the dev stack with `charts` installed through the policy pack, then previews it again. */
    async function renderCharts(overrides: Record<string, unknown>): Promise<string[]> {
        const out = fs.mkdtempSync(path.join(base, "charts-"));
        // verify off: render mode writes manifests and runs nothing, so there is no Job to run; its
        // checks read the ingress controller's address, which render mode's second preview does not know.
        const stack = await Stack.create("charts", { from: "dev", base, overrides: { cluster: { renderYamlTo: out }, verify: { enabled: false }, ...overrides } });
        try {
            const r = await stack.pulumi("up", "--yes", "--skip-preview", "--policy-pack", path.join(ROOT, "policy"));
            timing("pulumi up with the charts (render mode) and the policy pack", r.ms);
            assert.equal(r.code, 0, tail(r.stdout + r.stderr, 60));
            const { steps } = await stack.preview("--policy-pack", path.join(ROOT, "policy"));
            assert.deepEqual(stepLines(steps), []);
            return fs.readdirSync(out, { recursive: true }).map(String);
        } finally {
            stack.remove();
        }
    }

    it("MetalLB's chart, from the Go module proxy, passes the policy pack and a second preview changes nothing", async () => {
        assert.ok(served.has(`metallb-${METALLB_CHART_DEFAULT.version}`), `the suite's repository serves metallb ${METALLB_CHART_DEFAULT.version} (${[...served].join(" ")})`);
        const files = await renderCharts({ metallb: metallb(), ingressNginx: { ...dev("ingressNginx"), install: false }, dashboard: { enabled: false } });
        // Render mode names a file <group>_<version>-<kind>-<namespace>-<name>.yaml.
        for (const name of ["deployment-metallb-system-metallb-controller", "daemonset-metallb-system-metallb-speaker"]) {
            assert.ok(
                files.some((f) => f.includes(name)),
                `${name} rendered: ${files.filter((f) => f.includes("metallb")).join(", ")}`,
            );
        }
    });

    it("ingress-nginx (with its admission webhook's certificate Jobs) and NGINX Gateway Fabric, from their source tarballs, pass the policy pack, and a second preview changes nothing", async () => {
        for (const [name, version] of [
            ["ingress-nginx", INGRESS_NGINX_CHART_DEFAULT.version],
            ["nginx-gateway-fabric", NGINX_GATEWAY_CHART_DEFAULT.version],
        ]) {
            assert.ok(served.has(`${name}-${version}`), `the suite's repository serves ${name} ${version} (${[...served].join(" ")})`);
        }
        const files = await renderCharts({
            metallb: metallb(),
            ingressNginx: withChart({ ...dev("ingressNginx"), install: true }, INGRESS_NGINX_CHART_DEFAULT.version),
            dashboard: { enabled: false },
            nginxGateway: withChart({ enabled: true }, NGINX_GATEWAY_CHART_DEFAULT.version),
        });
        for (const name of [
            "deployment-ingress-nginx-ingress-nginx-controller",
            "validatingwebhookconfiguration-default-ingress-nginx-admission",
            "job-ingress-nginx-ingress-nginx-admission-create",
            "job-ingress-nginx-ingress-nginx-admission-patch",
            "deployment-nginx-gateway-ngf-nginx-gateway-fabric",
            "job-nginx-gateway-ngf-nginx-gateway-fabric-cert-generator",
        ]) {
            assert.ok(
                files.some((f) => f.includes(name)),
                `${name} rendered: ${files.filter((f) => f.includes("ingress-nginx") || f.includes("nginx-gateway")).join(", ")}`,
            );
        }
    });

    const dashboard = `kubernetes-dashboard-${DASHBOARD_CHART_DEFAULT.version}`;
    const noDashboard = served.has(dashboard)
        ? false
        : `not run: the Dashboard's chart ${DASHBOARD_CHART_DEFAULT.version} is in no source at hand (its repository was retired); set BMP_CHART_MIRROR to a folder with ${dashboard}.tgz`;
    it("the Dashboard passes the policy pack, and a second preview changes nothing (the CSRF key is kept)", { skip: noDashboard }, async () => {
        const files = await renderCharts({
            metallb: metallb(),
            ingressNginx: withChart({ ...dev("ingressNginx"), install: true }, INGRESS_NGINX_CHART_DEFAULT.version),
            dashboard: withChart({ enabled: true }, DASHBOARD_CHART_DEFAULT.version),
        });
        assert.ok(
            files.some((f) => f.includes("deployment-") && f.includes("kubernetes-dashboard-kong")),
            "kubernetes-dashboard-kong rendered",
        );
    });
});
