// The whole program on the prod stack (VMs): the canary split at a Gateway of NGINX Gateway Fabric, more replicas.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { checkAll } from "../policy/rules";
import { dependenciesOf, k8sObject, ofType, securityProblems, settle, stackConfig, policyResources, readinessLines } from "./harness";

before(async () => {
    const { config, secretKeys } = stackConfig("prod", undefined, { minioRootUser: "ops-admin", minioRootPassword: "prod-password-from-config" });
    pulumi.runtime.setAllConfig(config, secretKeys);
    require("../index");
    await settle();
});

describe("prod stack", () => {
    it("targets the prod context through one explicit provider", () => {
        const providers = ofType("pulumi:providers:kubernetes");
        assert.deepEqual(
            providers.map((p) => [p.name, p.inputs.context]),
            [["cluster", "prod"]],
        );
    });
    it("splits the canary at a Gateway (NGINX Gateway Fabric on its pinned address) with disjoint Services, and leaves ingress-nginx out", () => {
        assert.deepEqual(
            ofType("kubernetes:apps/v1:Deployment").map((d) => [d.inputs.metadata.name, d.inputs.spec.replicas, d.inputs.spec.strategy.rollingUpdate]),
            [
                ["web", 6, { maxSurge: 1, maxUnavailable: 0 }],
                ["web-canary", 2, { maxSurge: 1, maxUnavailable: 0 }],
            ],
        );
        assert.deepEqual(k8sObject("kubernetes:core/v1:Service", "web-svc-canary").inputs.spec.selector, { app: "web", track: "canary" });
        const gateway = k8sObject("kubernetes:gateway.networking.k8s.io/v1:Gateway", "web").inputs;
        assert.equal(gateway.spec.gatewayClassName, "nginx");
        assert.deepEqual(gateway.spec.infrastructure, { annotations: { "metallb.io/loadBalancerIPs": "192.168.56.200" } });
        const rules = k8sObject("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web").inputs.spec.rules;
        assert.deepEqual(
            rules.map((r: any) => r.backendRefs.map((b: any) => [b.name, b.weight])),
            [
                [["web-svc-canary", undefined]],
                [
                    ["web-svc", 90],
                    ["web-svc-canary", 10],
                ],
            ],
        );
        assert.deepEqual(ofType("kubernetes:networking.k8s.io/v1:Ingress"), []);
        assert.deepEqual(
            ofType("kubernetes:helm.sh/v4:Chart")
                .map((c) => c.inputs.chart)
                .sort(),
            ["metallb", "oci://ghcr.io/nginx/charts/nginx-gateway-fabric"],
        );
    });
    it("protects both tracks during node maintenance: a budget of 1 each (the rollout takes none down), soft spread across nodes", () => {
        assert.deepEqual(
            ofType("kubernetes:policy/v1:PodDisruptionBudget").map((p) => [p.inputs.metadata.name, p.inputs.spec]),
            [
                ["web", { maxUnavailable: 1, selector: { matchLabels: { app: "web", track: "stable" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" }],
                ["web-canary", { maxUnavailable: 1, selector: { matchLabels: { app: "web", track: "canary" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" }],
            ],
        );
        assert.deepEqual(
            ofType("kubernetes:apps/v1:Deployment").map((d) => [d.inputs.metadata.name, d.inputs.spec.template.spec.topologySpreadConstraints]),
            ["stable", "canary"].map((track, i) => [
                ["web", "web-canary"][i],
                [
                    {
                        maxSkew: 1,
                        topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: { app: "web", track } },
                        matchLabelKeys: ["pod-template-hash"],
                        nodeTaintsPolicy: "Honor",
                    },
                ],
            ]),
        );
    });
    it("waits for the Gateway's address and the route's Accepted and ResolvedRefs, a LoadBalancer's address, nothing for the other Services", () => {
        const readiness = readinessLines();
        const lb = "jsonpath={.status.loadBalancer.ingress[0].ip}";
        const route = '["jsonpath={.status.parents[0].conditions[?(@.type==\\"Accepted\\")].status}=True","jsonpath={.status.parents[0].conditions[?(@.type==\\"ResolvedRefs\\")].status}=True"]';
        assert.deepEqual(readiness, [
            "Gateway default/web  jsonpath={.status.addresses[0].value}",
            `HTTPRoute default/web  ${route}`,
            "Service default/minio  skipAwait",
            `Service default/minio-svc-lb LoadBalancer ${lb}`,
            "Service default/web-svc ClusterIP skipAwait",
            "Service default/web-svc-canary ClusterIP skipAwait",
        ]);
    });
    it("gives MinIO a 100Gi volume and a fixed address from the prod pool", () => {
        const sts = k8sObject("kubernetes:apps/v1:StatefulSet", "minio").inputs.spec;
        assert.equal(sts.volumeClaimTemplates[0].spec.resources.requests.storage, "100Gi");
        assert.deepEqual(k8sObject("kubernetes:core/v1:Service", "minio-svc-lb").inputs.metadata.annotations, {
            "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}",
            "metallb.io/loadBalancerIPs": "192.168.56.201",
        });
        // The addresses pinned by the Gateway (.200) and MinIO (.201) are kept out of automatic assignment.
        assert.deepEqual(
            ofType("kubernetes:metallb.io/v1beta1:IPAddressPool").map((p) => [p.inputs.metadata.name, p.inputs.spec]),
            [
                ["default", { addresses: ["192.168.56.202-192.168.56.250"] }],
                ["default-reserved", { addresses: ["192.168.56.200/32", "192.168.56.201/32"], autoAssign: false }],
            ],
        );
    });
    it("passes its own policy pack", () => {
        assert.ok(policyResources().length > 20);
        assert.deepEqual(checkAll(policyResources()), []);
    });

    it("meets every secure default", () => {
        assert.deepEqual(securityProblems(), []);
    });
});

describe("prod stack: what waits for what", () => {
    it("a release's Gateway waits for NGINX Gateway Fabric (its route through the Gateway); the release's other objects do not", () => {
        const waiting = Object.keys(dependenciesOf)
            .filter((k) => !k.split(" ")[1].startsWith("nginx-gateway") && dependenciesOf[k].some((d) => d.startsWith("nginx-gateway")))
            .sort();
        assert.deepEqual(waiting, ["kubernetes:gateway.networking.k8s.io/v1:Gateway web-gateway"]);
        assert.deepEqual(dependenciesOf["kubernetes:gateway.networking.k8s.io/v1:HTTPRoute web-route"], ["web-gateway"]);
    });
});
