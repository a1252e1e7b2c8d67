// The lab's day-2 operations on the real engine: each is one edit of the e2e stack's config, as
// the README tells a user, then exactly the preview steps it should propose, `pulumi up`, and the
// result in the API server. After every case a further preview proposes nothing.
// Scaling (4 → 10 → 1 → 0 → 3 with its budgets) and the broken release with its rollback run with the
// shipped defaults (verify on) on real pods behind the real ingress-nginx: test/e2e/ingress.e2e.ts.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { E2E_OVERRIDES, ensureInstalledNamespaces, kubectl, kubectlJson, run, shippedConfig, Stack, stepLines, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-ops-"));
let stack: Stack;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** Edits releases.<release> of the stack file in place (what `pulumi config set --path` does). */
function editRelease(release: string, edit: (r: any) => void): void {
    const releases = stack.config("releases");
    edit(releases[release]);
    stack.setConfig({ releases });
}

async function deployment(name: string, ns = "default"): Promise<any> {
    return kubectlJson("deployment", name, "-n", ns);
}

/** A further preview proposes nothing (case 11, after every case). */
async function idempotent(): Promise<void> {
    const { steps } = await stack.preview();
    assert.deepEqual(stepLines(steps), [], "a further preview proposes nothing");
}

/** Runs `pulumi up` while sampling `sample` every 200 ms; returns the run and the samples. */
async function upWhileSampling<T>(sample: () => Promise<T>): Promise<{ code: number; out: string; ms: number; samples: T[] }> {
    const samples: T[] = [];
    let done = false;
    const sampler = (async () => {
        while (!done) {
            samples.push(await sample());
            await new Promise((r) => setTimeout(r, 200));
        }
    })();
    const r = await stack.pulumi("up", "--yes", "--skip-preview");
    done = true;
    await sampler;
    return { code: r.code, out: r.stdout + r.stderr, ms: r.ms, samples };
}

before(async () => {
    await ensureInstalledNamespaces();
    stack = await Stack.create("ops", { from: "dev", base, overrides: E2E_OVERRIDES(dev) });
    const r = await stack.up();
    timing("pulumi up from empty (operations)", r.ms);
});
after(async () => {
    stack?.remove();
    fs.rmSync(base, { recursive: true, force: true });
});

describe("day-2 operations", () => {
    it("version: 1.0 → 1.1 → 1.0 updates the Deployment in place; each rolls to a new ReplicaSet and the history grows", async () => {
        const uid = (await deployment("clock-deployment")).metadata.uid;
        const revisions: string[] = [];
        for (const version of ["1.1", "1.0"]) {
            editRelease("clock", (r) => (r.stable.version = version));
            const { steps } = await stack.preview();
            assert.deepEqual(stepLines(steps), [`update ${DEPLOYMENT} clock-stable`, `replace ${CONFIGMAP} clock-stable-page`]);
            await stack.up();
            const d = await deployment("clock-deployment");
            assert.equal(d.metadata.uid, uid, "never replaced");
            assert.equal(d.status.readyReplicas, stack.config("releases").clock.stable.replicas, "every pod of the release ready");
            revisions.push(d.metadata.annotations["deployment.kubernetes.io/revision"]);
            const pods = await kubectlJson("pods", "-n", "default", "-l", "app=clock-nginx");
            assert.deepEqual([...new Set(pods.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.metadata.labels.version))], [version]);
        }
        assert.ok(Number(revisions[1]) > Number(revisions[0]) && Number(revisions[0]) > 1, `revisions ${revisions.join(" → ")}`);
        const history = await kubectl("rollout", "history", "deployment/clock-deployment", "-n", "default");
        assert.equal(
            history
                .trim()
                .split("\n")
                .filter((l) => /^\d+\s/.test(l)).length >= 3,
            true,
            history,
        );
        await idempotent();
    });

    it("canary weight: 0 → 50 → 100 changes only the canary Ingress's annotation", async () => {
        for (const weight of [0, 50, 100]) {
            editRelease("web", (r) => (r.canary.weight = weight));
            const { steps } = await stack.preview();
            const expected =
                weight === 50 && (await kubectlJson("ingress", "web-canary", "-n", "canary")).metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"] === "50"
                    ? []
                    : [`update ${INGRESS} web-canary-ingress`];
            assert.deepEqual(stepLines(steps), expected, `weight ${weight}`);
            await stack.up();
            const ing = await kubectlJson("ingress", "web-canary", "-n", "canary");
            assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"], String(weight));
        }
        await idempotent();
    });

    it("canary header: main and canary Ingress share host and path, distinct Services, each Service's EndpointSlices hold only its track's pods", async () => {
        const main = await kubectlJson("ingress", "web", "-n", "default");
        const canary = await kubectlJson("ingress", "web-canary", "-n", "canary");
        const rule = (i: any) => [i.spec.rules[0].host, i.spec.rules[0].http.paths[0].path];
        assert.deepEqual(rule(canary), rule(main));
        assert.deepEqual(rule(main), ["app.local", "/web"]);
        assert.deepEqual([canary.metadata.annotations["nginx.ingress.kubernetes.io/canary"], canary.metadata.annotations["nginx.ingress.kubernetes.io/canary-by-header"]], ["true", "canary"]);
        const backend = (i: any) => `${i.metadata.namespace}/${i.spec.rules[0].http.paths[0].backend.service.name}`;
        assert.deepEqual([backend(main), backend(canary)], ["default/web-svc", "canary/web-svc"]);
        for (const [ns, track] of [
            ["default", "stable"],
            ["canary", "canary"],
        ]) {
            const slices = await kubectlJson("endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web-svc");
            const ips = slices.items.flatMap((s: any) => (s.endpoints ?? []).flatMap((e: any) => e.addresses));
            const pods = await kubectlJson("pods", "-n", ns, "-l", "app=web");
            const trackOf = new Map<string, string>(pods.items.map((p: any) => [p.status.podIP, p.metadata.labels.track]));
            assert.equal(ips.length, 3, `${ns}/web-svc endpoints`);
            assert.deepEqual([...new Set(ips.map((ip: string) => trackOf.get(ip)))], [track], `${ns}/web-svc selects only ${track} pods`);
        }
    });

    it("canary promote: the stable update and the canary deletions, nothing else, and no downtime of the stable track", async () => {
        const releases = stack.config("releases");
        releases.web.stable.version = releases.web.canary.version;
        delete releases.web.canary;
        stack.setConfig({ releases });
        const { steps } = await stack.preview();
        const lines = stepLines(steps);
        assert.deepEqual(
            lines.filter((l) => !l.startsWith("delete ")),
            [`update ${DEPLOYMENT} web-stable`, `replace ${CONFIGMAP} web-stable-page`],
        );
        assert.deepEqual(
            lines.filter((l) => l.startsWith("delete ")),
            [
                `delete ${DEPLOYMENT} web-canary`,
                `delete ${CONFIGMAP} web-canary-page`,
                `delete ${PDB} web-canary-pdb`,
                `delete kubernetes:core/v1:Namespace ns-canary`,
                `delete kubernetes:core/v1:Service web-canary-web-svc`,
                `delete ${INGRESS} web-canary-ingress`,
                `delete kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-canary-allow-dns`,
                `delete kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-canary-allow-same-namespace`,
                `delete kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-canary-allow-web`,
                `delete kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-canary-default-deny`,
                `delete platform:apps:ClockApp web-canary`,
            ].sort((a, b) => a.split(" ").slice(1).join(" ").localeCompare(b.split(" ").slice(1).join(" "))),
        );
        const r = await upWhileSampling(async () => (await deployment("web")).status.readyReplicas ?? 0);
        assert.equal(r.code, 0, tail(r.out, 30));
        assert.ok(Math.min(...r.samples) >= 2, `stable ready replicas never below 2 of 3 (min ${Math.min(...r.samples)})`);
        assert.equal((await deployment("web")).spec.template.metadata.labels.version, "1.1");
        await idempotent();
    });

    it("strategy: rolling 25%/25% → blueGreen → reverse → rolling, in place; recreate from the start; both zero refused before anything is sent", async () => {
        const expected: Record<string, unknown> = {
            // blueGreen: a whole new set first (maxSurge = replicas).
            blueGreen: { type: "RollingUpdate", rollingUpdate: { maxSurge: stack.config("releases").clock.stable.replicas, maxUnavailable: 0 } },
            reverse: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
            rolling: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        };
        const uid = (await deployment("clock-deployment")).metadata.uid;
        assert.deepEqual((await deployment("clock-deployment")).spec.strategy, expected.rolling);
        for (const type of ["blueGreen", "reverse", "rolling"]) {
            editRelease("clock", (r) => (r.strategy = type === "rolling" ? { type, maxSurge: "25%", maxUnavailable: "25%" } : { type }));
            const { steps } = await stack.preview();
            assert.deepEqual(stepLines(steps), [`update ${DEPLOYMENT} clock-stable`], type);
            await stack.up();
            const d = await deployment("clock-deployment");
            assert.deepEqual([type, d.spec.strategy, d.metadata.uid], [type, expected[type], uid]);
        }
        await idempotent();
        // Recreate, on a Deployment made with it. (Switching an existing Deployment from
        // RollingUpdate to Recreate is refused by the API server through pulumi-kubernetes 4.32:
        // the README's "Known limits" says why and what to do.)
        const releases = stack.config("releases");
        releases.once = { app: "once", strategy: { type: "recreate" }, stable: { name: "once", version: "1.0", replicas: 2 }, services: [{ name: "once" }] };
        stack.setConfig({ releases });
        await stack.up();
        assert.deepEqual((await deployment("once")).spec.strategy, { type: "Recreate" });
        delete releases.once;
        stack.setConfig({ releases });
        await stack.up();
        await idempotent();
        const generation = (await deployment("clock-deployment")).metadata.generation;
        editRelease("clock", (r) => (r.strategy = { type: "rolling", maxSurge: 0, maxUnavailable: 0 }));
        const refused = await stack.pulumi("up", "--yes", "--skip-preview");
        assert.notEqual(refused.code, 0);
        assert.match(refused.stdout + refused.stderr, /releases\.clock\.strategy: maxSurge 0 and maxUnavailable 0 are both zero \(the API server rejects this: expected at least one above zero\)/);
        assert.equal((await deployment("clock-deployment")).metadata.generation, generation, "nothing sent to the API server");
        // The engine's own record of that update: failed, and no resource created, updated, replaced or deleted.
        const [last] = JSON.parse((await stack.pulumiOk("stack", "history", "--json")).stdout);
        assert.deepEqual([last.result, Object.entries(last.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && Number(n) > 0)], ["failed", []], "0 resources touched");
        editRelease("clock", (r) => (r.strategy = { type: "rolling", maxSurge: "25%", maxUnavailable: "25%" }));
        await idempotent();
    });

    it("rbac: SubjectAccessReviews over 8 verbs × 6 resources × 4 namespaces return exactly the lab's grants for each account", async () => {
        const verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
        const resources: Array<[string, string]> = [
            ["", "pods"],
            ["", "services"],
            ["", "configmaps"],
            ["", "secrets"],
            ["apps", "deployments"],
            ["networking.k8s.io", "ingresses"],
        ];
        const namespaces = ["default", "dev", "prometheus", "canary"];
        // canary is gone after the promote: ask about it anyway (RBAC does not need the namespace).
        const accounts: Record<string, string> = { bob: "default", dave: "default", carol: "prometheus", jane: "dev", ken: "dev" };
        const readOnly = new Set(["get", "list", "watch"]);
        const expectAllowed = (who: string, verb: string, resource: string, ns: string): boolean => {
            switch (who) {
                case "bob":
                    return true; // admin, cluster-wide
                case "dave":
                    return false;
                case "carol":
                    return resource === "pods" && readOnly.has(verb);
                case "jane":
                    return ns === "dev"; // admin in dev
                case "ken":
                    return ns === "dev" && readOnly.has(verb) && resource !== "secrets"; // view in dev
            }
            throw new Error(who);
        };
        const reviews: any[] = [];
        const keys: string[] = [];
        for (const [who, home] of Object.entries(accounts))
            for (const ns of namespaces)
                for (const [group, resource] of resources)
                    for (const verb of verbs) {
                        keys.push(`${who} ${verb} ${resource} -n ${ns}`);
                        reviews.push({
                            apiVersion: "authorization.k8s.io/v1",
                            kind: "SubjectAccessReview",
                            spec: {
                                user: `system:serviceaccount:${home}:${who}`,
                                groups: ["system:serviceaccounts", `system:serviceaccounts:${home}`, "system:authenticated"],
                                resourceAttributes: { namespace: ns, verb, group, resource },
                            },
                        });
                    }
        const file = path.join(base, "reviews.json");
        fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: reviews }));
        const answered = (await kubectl("create", "-f", file, "-o", 'jsonpath={.status.allowed}{"\\n"}')).trim().split("\n");
        const got = answered.map((a, i) => `${keys[i]}: ${a === "true" ? "yes" : "no"}`);
        const want = keys.map((k) => {
            const [who, verb, resource, , ns] = k.split(" ");
            return `${k}: ${expectAllowed(who, verb, resource, ns) ? "yes" : "no"}`;
        });
        assert.equal(reviews.length, 5 * 4 * 6 * 8);
        assert.deepEqual(got, want);
    });

    it("secret: no plaintext MinIO password (nor its base64) in the state; the Secret holds it; rotating it updates the Secret and rolls MinIO", async () => {
        const pulumiEnvPassword = (await stack.pulumiOk("config", "get", "minioRootPassword")).stdout.trim();
        const state = (await stack.pulumiOk("stack", "export")).stdout;
        const files = fs.readdirSync(path.join(stack.dir, ".state"), { recursive: true }).map(String);
        const stateFiles = files.map((f) => path.join(stack.dir, ".state", f)).filter((f) => fs.statSync(f).isFile());
        for (const needle of [pulumiEnvPassword, Buffer.from(pulumiEnvPassword).toString("base64")]) {
            assert.equal(state.includes(needle), false, "stack export");
            for (const f of stateFiles) assert.equal(fs.readFileSync(f).includes(needle), false, f);
        }
        const sts = await kubectlJson("statefulset", "minio", "-n", "default");
        const secretName = sts.spec.template.spec.containers[0].env.find((e: any) => e.name === "MINIO_ROOT_PASSWORD").valueFrom.secretKeyRef.name;
        const secret = await kubectlJson("secret", secretName, "-n", "default");
        assert.equal(Buffer.from(secret.data.password, "base64").toString(), pulumiEnvPassword);
        await stack.pulumiOk("config", "set", "--secret", "minioRootPassword", "rotated-password-2");
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), ["update kubernetes:apps/v1:StatefulSet minio", "replace kubernetes:core/v1:Secret minio-credentials"]);
        await stack.up();
        const rolled = await kubectlJson("statefulset", "minio", "-n", "default");
        const newName = rolled.spec.template.spec.containers[0].env.find((e: any) => e.name === "MINIO_ROOT_PASSWORD").valueFrom.secretKeyRef.name;
        assert.notEqual(newName, secretName);
        assert.equal(Buffer.from((await kubectlJson("secret", newName, "-n", "default")).data.password, "base64").toString(), "rotated-password-2");
        assert.notEqual(rolled.status.updateRevision, sts.status.updateRevision, "MinIO's pods roll");
        assert.notEqual((await run("kubectl", ["get", "secret", secretName, "-n", "default"])).code, 0, "the old Secret is gone");
        await idempotent();
    });

    it("drift: a replica count changed behind the program's back is shown by preview --refresh and put back by up --refresh", async () => {
        await kubectl("scale", "deployment/clock-deployment", "-n", "default", "--replicas=7");
        const { steps } = await stack.preview("--refresh");
        assert.deepEqual(
            stepLines(steps).filter((l) => !l.startsWith("refresh ")),
            [`update ${DEPLOYMENT} clock-stable`],
        );
        await stack.up("--refresh");
        assert.equal((await deployment("clock-deployment")).spec.replicas, stack.config("releases").clock.stable.replicas);
        await idempotent();
    });

    it("destroy: nothing of the program is left", async () => {
        await stack.destroy();
        assert.deepEqual(await stack.resources().then((rs) => rs.filter((x) => !x.type.startsWith("pulumi:"))), []);
        const left = (await kubectlJson("deployments,statefulsets,services,ingresses,configmaps,secrets,networkpolicies", "-n", "default")).items
            .map((o: any) => `${o.kind}/${o.metadata.name}`)
            .filter((n: string) => !["Service/kubernetes", "ConfigMap/kube-root-ca.crt"].includes(n));
        assert.deepEqual(left, []);
        await run("kubectl", ["delete", "pvc", "--all", "-n", "default"]);
    });
});
