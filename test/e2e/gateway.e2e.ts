// The Gateway API path on the real engine: the lab's web release switched from the
// ingress-nginx split to a Gateway and an HTTPRoute and back, each one config edit whose preview is
// exactly the router's objects; a weight change touches only the HTTPRoute; the objects are accepted
// by the API server with the Gateway API CRDs of the version NGINX Gateway Fabric supports, fetched
// from the Go module proxy at test time (a prerequisite, as the README says, never committed). The
// control plane's stand-in plays NGINX Gateway Fabric: a data-plane LoadBalancer Service per Gateway
// and the Gateway's address.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { E2E_OVERRIDES, ensureGatewayApiCrds, ensureInstalledNamespaces, eventually, kubectl, kubectlJson, ROOT, run, shippedConfig, sortedStepLines, Stack, stepLines, tail, timing } from "./lib";

const dev = shippedConfig("dev");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-e2e-gateway-"));
let stack: Stack;

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const POOL = "kubernetes:metallb.io/v1beta1:IPAddressPool";
const ADDRESS = "172.17.255.4";

function editRelease(edit: (r: any) => void): void {
    const releases = stack.config("releases");
    edit(releases.web);
    stack.setConfig({ releases });
}

before(async () => {
    await ensureGatewayApiCrds();
    // An existing NGINX Gateway Fabric (nginxGateway.install false): its namespace and GatewayClass.
    await ensureInstalledNamespaces();
    if ((await run("kubectl", ["get", "namespace", "nginx-gateway"])).code !== 0) await kubectl("create", "namespace", "nginx-gateway");
    const gatewayClass = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "nginx" }, spec: { controllerName: "gateway.nginx.org/nginx-gateway-controller" } };
    await run("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(gatewayClass) });
    stack = await Stack.create("gateway", {
        from: "dev",
        base,
        overrides: {
            ...E2E_OVERRIDES(dev),
            // The lab's web release (canary in its own namespace, weight 50, header canary) and no other part.
            releases: { web: dev("releases").web },
            minio: { enabled: false },
            nodeExporter: { enabled: false },
            coredns: { enabled: false },
            access: {},
            nginxGateway: { enabled: true, install: false },
        },
    });
    const r = await stack.up();
    timing("pulumi up of the web release (split ingress)", r.ms);
});

after(async () => {
    if (stack) {
        await stack.pulumi("destroy", "--yes", "--skip-preview");
        stack.remove();
    }
    fs.rmSync(base, { recursive: true, force: true });
});

describe("the Gateway API: split ingress → gateway → ingress, one config edit each", () => {
    let serviceUids: string[] = [];

    it("ingress → gateway: the preview creates the Gateway, the HTTPRoute, the ReferenceGrant and the data plane's openings, and deletes the two Ingresses — nothing else", async () => {
        serviceUids = (await kubectlJson("services", "-n", "default", "-l", "app=web")).items.map((s: any) => s.metadata.uid).sort();
        editRelease((r) => {
            r.split = "gateway";
            r.gateway = { loadBalancerIP: ADDRESS };
        });
        const { steps } = await stack.preview();
        assert.deepEqual(
            stepLines(steps),
            sortedStepLines([
                `create ${GATEWAY} web-gateway`,
                `create ${ROUTE} web-route`,
                `create ${GRANT} web-canary-grant`,
                `create ${NETPOL} netpol-default-allow-web-gateway`,
                // The canary's own namespace lets the Gateway's data plane in (its Service is not published).
                `update ${NETPOL} netpol-canary-allow-web`,
                `delete ${INGRESS} web-ingress`,
                `delete ${INGRESS} web-canary-ingress`,
                // The pinned address leaves automatic assignment for the reserved pool.
                `update ${POOL} metallb-pool`,
                `update ${POOL} metallb-reserved-pool`,
            ]),
        );
        const r = await stack.up();
        timing("pulumi up: ingress → gateway (waits for the Gateway's address)", r.ms);
    });

    it("the Gateway has its MetalLB address, the outputs say how to reach the release, the Services are the same objects", async () => {
        const gw = await kubectlJson("gateway", "web", "-n", "default");
        assert.deepEqual(gw.status.addresses, [{ type: "IPAddress", value: ADDRESS }]);
        const dataPlane = await kubectlJson("service", "web-nginx", "-n", "default");
        assert.deepEqual([dataPlane.spec.type, dataPlane.metadata.annotations["metallb.io/loadBalancerIPs"]], ["LoadBalancer", ADDRESS]);
        const outputs = await stack.outputs();
        assert.deepEqual(
            [outputs.gatewayAddresses, outputs.appUrls, outputs.canaryCurl],
            [{ web: ADDRESS }, { web: "http://app.local/web" }, { web: 'curl -H "canary: always" http://app.local/web' }],
        );
        assert.equal((await run("kubectl", ["get", "ingress", "web", "-n", "default"])).code, 1, "the Ingress is gone");
        const route = await kubectlJson("httproute", "web", "-n", "default");
        assert.deepEqual(
            route.spec.rules.map((rule: any) => [rule.matches[0].headers?.[0]?.name ?? null, rule.backendRefs.map((b: any) => `${b.namespace ?? "default"}/${b.name}:${b.weight ?? "-"}`)]),
            [
                // The API server gives a lone backendRef the default weight 1.
                ["canary", ["canary/web-svc:1"]],
                [null, ["default/web-svc:50", "canary/web-svc:50"]],
            ],
        );
        assert.equal(route.spec.rules[1].filters[0].urlRewrite.path.replacePrefixMatch, "/");
        const uids = (await kubectlJson("services", "-n", "default", "-l", "app=web")).items.map((s: any) => s.metadata.uid).sort();
        assert.deepEqual(uids, serviceUids, "the switch left the release's Services alone");
        assert.deepEqual(stepLines((await stack.preview()).steps), [], "a further preview proposes nothing");
    });

    it("the policy pack passes the Gateway, the HTTPRoute and the ReferenceGrant", async () => {
        const r = await stack.pulumi("preview", "--policy-pack", path.join(ROOT, "policy"));
        assert.equal(r.code, 0, tail(r.stdout + r.stderr, 30));
        assert.doesNotMatch(r.stdout + r.stderr, /mandatory|advisory/);
    });

    it("canary weight 50 → 100 changes only the HTTPRoute", async () => {
        editRelease((r) => (r.canary.weight = 100));
        const { steps } = await stack.preview();
        assert.deepEqual(stepLines(steps), [`update ${ROUTE} web-route`]);
        await stack.up();
        const route = await kubectlJson("httproute", "web", "-n", "default");
        assert.deepEqual(
            route.spec.rules[1].backendRefs.map((b: any) => b.weight),
            [0, 100],
        );
    });

    it("gateway → ingress: the preview deletes the Gateway API objects and creates the two Ingresses; the data plane goes with its Gateway", async () => {
        editRelease((r) => {
            r.split = "ingress";
            delete r.gateway;
            r.canary.weight = 50;
        });
        const { steps } = await stack.preview();
        assert.deepEqual(
            stepLines(steps),
            sortedStepLines([
                `delete ${GATEWAY} web-gateway`,
                `delete ${ROUTE} web-route`,
                `delete ${GRANT} web-canary-grant`,
                `delete ${NETPOL} netpol-default-allow-web-gateway`,
                `update ${NETPOL} netpol-canary-allow-web`,
                `create ${INGRESS} web-ingress`,
                `create ${INGRESS} web-canary-ingress`,
                `update ${POOL} metallb-pool`,
                `update ${POOL} metallb-reserved-pool`,
            ]),
        );
        await stack.up();
        const canary = await kubectlJson("ingress", "web-canary", "-n", "canary");
        assert.equal(canary.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"], "50");
        await eventually("the data-plane Service is garbage-collected with its Gateway", 60_000, async () =>
            (await run("kubectl", ["get", "service", "web-nginx", "-n", "default"])).code !== 0 ? true : undefined,
        );
        assert.deepEqual(stepLines((await stack.preview()).steps), [], "a further preview proposes nothing");
    });
});
