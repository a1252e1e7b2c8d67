// The policy pack as the Pulumi CLI runs it: started from policy/ by @pulumi/pulumi's policy-pack
// runner, it serves the analyzer gRPC protocol on the port it prints; this test speaks that protocol
// as the engine does.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { RULES } from "../policy/rules";

// Generated gRPC stubs of the engine's analyzer protocol, shipped with @pulumi/pulumi.
const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const pb = require("@pulumi/pulumi/proto/analyzer_pb");

let pack: ChildProcess;
let client: any;

before(async () => {
    // Started as the CLI's policy analyzer starts a Node.js pack: @pulumi/pulumi's run-policy-pack
    // (its own TypeScript loader) in the pack's folder, with an engine address it does not use.
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
    pack = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: path.join(__dirname, "..", "policy"), stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<string>((resolve, reject) => {
        pack.stdout!.once("data", (d) => resolve(String(d).trim()));
        pack.once("exit", (code) => reject(new Error(`the policy pack exited with ${code} before printing its port`)));
    });
    assert.match(port, /^\d+$/);
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
    client?.close();
    pack?.kill();
});

const unary = (method: string, request: unknown): Promise<any> => new Promise((resolve, reject) => client[method](request, (e: Error | null, r: any) => (e ? reject(e) : resolve(r))));

function resource(Kind: any, type: string, name: string, props: object): any {
    const r = new Kind();
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:dev::bare-metal-platform::${type}::${name}`);
    r.setProperties(Struct.fromJavaScript(props as any));
    r.setOptions(new pb.AnalyzerResourceOptions());
    return r;
}

/** Each diagnostic as [policy, message]; the engine's message is the rule's description, a newline, then the violation. */
function diagnostics(response: any): [string, string][] {
    return response.getDiagnosticsList().map((d: any) => {
        const rule = RULES.find((r) => r.name === d.getPolicyname());
        const [first, ...rest] = String(d.getMessage()).split("\n");
        assert.equal(first, rule?.description, "the message starts with the rule's description");
        return [d.getPolicyname(), rest.join("\n")];
    });
}

describe("policy pack served to the engine", () => {
    it("reports its name and fifteen mandatory policies", async () => {
        const info = await unary("getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "bare-metal-platform");
        assert.equal(info.getVersion(), "0.1.0");
        const policies = info.getPoliciesList();
        assert.equal(policies.length, 15);
        for (const p of policies) assert.equal(p.getEnforcementlevel(), pb.EnforcementLevel.MANDATORY, p.getName());
    });

    it("refuses the lab's Deployment: literal password, latest image, no limits, probe on the wrong port", async () => {
        const props = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "minio", namespace: "default" },
            spec: {
                template: {
                    metadata: { labels: { app: "minio" } },
                    spec: {
                        containers: [
                            {
                                name: "minio",
                                image: "minio/minio:latest",
                                ports: [{ containerPort: 9000 }],
                                readinessProbe: { httpGet: { path: "/minio/health/ready", port: 80 } },
                                env: [{ name: "MINIO_ROOT_PASSWORD", value: "minio123" }],
                                securityContext: { allowPrivilegeEscalation: false },
                            },
                        ],
                    },
                },
            },
        };
        const response = await unary("analyze", resource(pb.AnalyzeRequest, "kubernetes:apps/v1:Deployment", "minio", props));
        assert.deepEqual(diagnostics(response), [
            [
                "probe-port-exposed",
                `Deployment default/minio: spec.template.spec.containers[0].readinessProbe targets port 80, which container "minio" does not expose (ports: 9000); point the probe at the port the server listens on, or add it to ports`,
            ],
            [
                "no-credential-literals",
                "Deployment default/minio: spec.template.spec.containers[0].env[0] MINIO_ROOT_PASSWORD is a literal value; put it in a Secret and use valueFrom.secretKeyRef (or envFrom.secretRef)",
            ],
            ["pinned-images", `Deployment default/minio: spec.template.spec.containers[0].image "minio/minio:latest" is tagged latest, which moves; pin it by a version tag or by digest`],
            [
                "requests-and-limits",
                `Deployment default/minio: spec.template.spec.containers[0].resources lacks requests.cpu, requests.memory, limits.cpu, limits.memory; set cpu and memory requests and limits on container "minio"`,
            ],
        ]);
    });

    it("refuses a canary Ingress without its main Ingress across the stack", async () => {
        const request = new pb.AnalyzeStackRequest();
        request.setResourcesList([
            resource(pb.AnalyzerResource, "kubernetes:networking.k8s.io/v1:Ingress", "web-canary", {
                kind: "Ingress",
                metadata: { name: "web-canary", namespace: "canary", annotations: { "nginx.ingress.kubernetes.io/canary": "true" } },
                spec: { rules: [{ host: "app.local", http: { paths: [{ path: "/web" }] } }] },
            }),
        ]);
        const response = await unary("analyzeStack", request);
        assert.deepEqual(diagnostics(response), [
            [
                "canary-ingress-has-main",
                `Ingress canary/web-canary: canary route host "app.local" path "/web" has no main Ingress with the same host and path, so ingress-nginx cannot merge it; declare the main Ingress or use its host and path`,
            ],
        ]);
    });
});
