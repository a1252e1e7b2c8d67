// The whole program on the dev stack (the lab's names and numbers), on mocks.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { checkAll } from "../policy/rules";
import {
    containers,
    dependenciesOf,
    securityProblems,
    DEV_PASSPHRASE,
    isSecretValue,
    k8sObject,
    ofType,
    one,
    plainStrings,
    recorded,
    settle,
    stackConfig,
    policyResources,
    readinessLines,
} from "./harness";

const { config, secretKeys } = stackConfig("dev", DEV_PASSPHRASE);
let program: any;

before(async () => {
    pulumi.runtime.setAllConfig(config, secretKeys);
    program = require("../index");
    await settle();
});

const count = (type: string) => ofType(type).length;

describe("dev stack: what waits for what", () => {
    /** The registrations that wait for a resource whose name starts with `prefix`, the component's own children left out. */
    const waitingFor = (prefix: string) =>
        Object.keys(dependenciesOf)
            .filter((k) => !k.split(" ")[1].startsWith(prefix) && dependenciesOf[k].some((d) => d.startsWith(prefix)))
            .sort();

    it("only the LoadBalancer Services (and CoreDNS's, all LoadBalancers) wait for MetalLB; ingress-nginx's chart installs beside it", () => {
        assert.deepEqual(waitingFor("metallb-"), ["kubernetes:core/v1:Service minio-lb", "kubernetes:core/v1:Service web-web-svc-lb", "platform:network:CoreDnsExternal coredns"]);
        assert.deepEqual(dependenciesOf["kubernetes:core/v1:Service web-web-svc-lb"], ["metallb-chart", "metallb-l2", "metallb-pool", "metallb-reserved-pool"]);
        assert.deepEqual(dependenciesOf["platform:network:IngressNginx ingress-nginx"], ["ns-ingress-nginx"]);
    });

    it("only the Ingresses (the releases' and the Dashboard's) and the verify step's route check wait for ingress-nginx", () => {
        assert.deepEqual(waitingFor("ingress-nginx-"), [
            "kubernetes:batch/v1:Job verify",
            "kubernetes:networking.k8s.io/v1:Ingress web-canary-ingress",
            "kubernetes:networking.k8s.io/v1:Ingress web-ingress",
            "platform:network:Dashboard dashboard",
        ]);
    });

    it("the verify Job waits for what its checks request (the Services, the ingress's address) and the NetworkPolicies, never a rollout: it runs beside them", () => {
        assert.deepEqual(dependenciesOf["kubernetes:batch/v1:Job verify"], [
            "clock-my-service",
            "ingress-nginx-chart",
            "nginx-nginx-svc",
            "web-canary-web-svc",
            "web-web-svc",
            "web-web-svc-cip",
            "web-web-svc-lb",
            "web-web-svc-np",
        ]);
        assert.deepEqual(dependenciesOf["platform:apps:Verify verify"], [
            "netpol-canary-allow-dns",
            "netpol-canary-allow-same-namespace",
            "netpol-canary-allow-web",
            "netpol-canary-default-deny",
            "netpol-default-allow-clock",
            "netpol-default-allow-dns",
            "netpol-default-allow-minio",
            "netpol-default-allow-nginx",
            "netpol-default-allow-same-namespace",
            "netpol-default-allow-web",
            "netpol-default-default-deny",
            "ns-platform-verify",
        ]);
    });

    it("a release and MinIO wait for their namespaces only: their ConfigMaps, Deployments, StatefulSet and other Services start at once", () => {
        assert.deepEqual(
            ["clock", "nginx", "web"].map((r) => dependenciesOf[`platform:apps:CanaryRelease ${r}`]),
            [["ns-default"], ["ns-default"], ["ns-canary", "ns-default"]],
        );
        assert.deepEqual(dependenciesOf["platform:storage:MinIO minio"], ["ns-default"]);
        assert.deepEqual(dependenciesOf["kubernetes:apps/v1:Deployment web-stable"], ["web-stable-page"], "its page, which it mounts");
        assert.deepEqual(dependenciesOf["kubernetes:core/v1:Service web-web-svc-cip"], []);
        assert.deepEqual(dependenciesOf["kubernetes:apps/v1:StatefulSet minio"], ["minio-credentials", "minio-headless"]);
    });
});

describe("dev stack: the lab's objects", () => {
    it("registers no inputs on the components themselves (they would show as an extra update in every diff)", () => {
        const components = recorded.filter((r) => r.type.startsWith("platform:"));
        assert.ok(components.length > 10);
        assert.deepEqual(
            components.filter((r) => Object.keys(r.inputs).length > 0).map((r) => r.name),
            [],
        );
    });

    it("declares the expected number of each kind", () => {
        assert.deepEqual(
            {
                deployments: count("kubernetes:apps/v1:Deployment"),
                configMaps: count("kubernetes:core/v1:ConfigMap"),
                services: count("kubernetes:core/v1:Service"),
                ingresses: count("kubernetes:networking.k8s.io/v1:Ingress"),
                charts: count("kubernetes:helm.sh/v4:Chart"),
                statefulSets: count("kubernetes:apps/v1:StatefulSet"),
                daemonSets: count("kubernetes:apps/v1:DaemonSet"),
                secrets: count("kubernetes:core/v1:Secret"),
                serviceAccounts: count("kubernetes:core/v1:ServiceAccount"),
                clusterRoles: count("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"),
                clusterRoleBindings: count("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
                roleBindings: count("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"),
                namespaces: count("kubernetes:core/v1:Namespace"),
                namespacePatches: count("kubernetes:core/v1:NamespacePatch"),
                pools: ofType("kubernetes:metallb.io/v1beta1:IPAddressPool").length,
                l2: ofType("kubernetes:metallb.io/v1beta1:L2Advertisement").length,
                providers: count("pulumi:providers:kubernetes"),
                disruptionBudgets: count("kubernetes:policy/v1:PodDisruptionBudget"),
            },
            {
                deployments: 5, // clock-deployment, nginx stable + canary, web stable + canary
                configMaps: 5,
                services: 12, // my-service, nginx-svc, 4 web + canary web-svc, 2 coredns, minio + minio-svc-lb, node-exporter
                ingresses: 3, // web, web-canary, dashboard
                charts: 3, // metallb, ingress-nginx, dashboard
                statefulSets: 1,
                daemonSets: 1,
                secrets: 1,
                serviceAccounts: 7, // bob, dave, carol, jane, ken + node-exporter + ingress-nginx-admission
                clusterRoles: 3, // prometheus, node-exporter, ingress-nginx-admission
                clusterRoleBindings: 4, // bob, prometheus, node-exporter, ingress-nginx-admission
                roleBindings: 3, // jane, ken, ingress-nginx-admission
                namespaces: 8, // + default, labelled in place; platform-verify is the verify Job's
                namespacePatches: 1,
                pools: 2, // the pool, and the reserved pool of pinned addresses (CoreDNS, ingress-nginx)
                l2: 1,
                providers: 1,
                disruptionBudgets: 5, // one per track: every one has more than one replica (MinIO, a single pod, none)
            },
        );
    });

    it("sends every Kubernetes object through the stack's explicit provider", () => {
        const k8sResources = recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
        assert.ok(k8sResources.length > 40);
        const unprovided = k8sResources.filter((r) => !r.provider?.includes("pulumi:providers:kubernetes::cluster"));
        assert.deepEqual(
            unprovided.map((r) => r.name),
            [],
        );
    });

    it("creates the lab's namespaces with Pod Security levels", () => {
        const levels = Object.fromEntries(
            [...ofType("kubernetes:core/v1:Namespace"), ...ofType("kubernetes:core/v1:NamespacePatch")].map((r) => [
                r.inputs.metadata.name,
                r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
            ]),
        );
        assert.deepEqual(levels, {
            canary: "restricted",
            default: "restricted",
            dev: "restricted",
            "ingress-nginx": "baseline",
            "kubernetes-dashboard": "baseline",
            "metallb-system": "privileged",
            monitoring: "privileged",
            prometheus: "restricted",
            "platform-verify": "restricted",
        });
    });

    it("reproduces the lab's Deployments, replicas and versions", () => {
        const deployments = Object.fromEntries(
            ofType("kubernetes:apps/v1:Deployment").map((d) => [
                `${d.inputs.metadata.namespace}/${d.inputs.metadata.name}`,
                [d.inputs.spec.replicas, d.inputs.metadata.labels.version, d.inputs.metadata.labels.track],
            ]),
        );
        assert.deepEqual(deployments, {
            "default/clock-deployment": [4, "1.0", "stable"],
            "default/nginx-deployment-stable": [29, "1.0", "stable"],
            "default/nginx-deployment-canary": [3, "1.1", "canary"],
            "default/web": [3, "1.0", "stable"],
            "canary/web": [3, "1.1", "canary"],
        });
    });

    it("gives the web app the lab's Services: headless, ClusterIP, NodePort, LoadBalancer", () => {
        const web = ["web-svc", "web-svc-cip", "web-svc-np", "web-svc-lb"].map((n) => {
            const s = k8sObject("kubernetes:core/v1:Service", n, "default").inputs.spec;
            return [n, s.type, s.clusterIP, s.ports[0].port, s.ports[0].targetPort];
        });
        assert.deepEqual(web, [
            ["web-svc", "ClusterIP", "None", 80, "http"],
            ["web-svc-cip", "ClusterIP", undefined, 80, "http"],
            ["web-svc-np", "NodePort", undefined, 80, "http"],
            ["web-svc-lb", "LoadBalancer", undefined, 80, "http"],
        ]);
        const deployment = k8sObject("kubernetes:apps/v1:Deployment", "web", "default").inputs;
        assert.deepEqual(deployment.spec.template.spec.containers[0].ports, [{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    });

    it("routes app.local/web to web-svc and the canary header to canary/web-svc", () => {
        const main = k8sObject("kubernetes:networking.k8s.io/v1:Ingress", "web", "default").inputs;
        const canary = k8sObject("kubernetes:networking.k8s.io/v1:Ingress", "web-canary", "canary").inputs;
        assert.equal(main.spec.rules[0].host, "app.local");
        assert.deepEqual(canary.spec.rules[0].host, main.spec.rules[0].host);
        assert.deepEqual(canary.spec.rules[0].http.paths[0].path, "/web");
        assert.equal(main.spec.rules[0].http.paths[0].backend.service.name, "web-svc");
        assert.equal(canary.spec.rules[0].http.paths[0].backend.service.name, "web-svc");
        assert.deepEqual(canary.metadata.annotations, {
            "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress[0].ip}",
            "nginx.ingress.kubernetes.io/rewrite-target": "/",
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-by-header": "canary",
            "nginx.ingress.kubernetes.io/canary-weight": "50",
        });
        assert.deepEqual(k8sObject("kubernetes:core/v1:Service", "web-svc", "canary").inputs.spec.selector, { app: "web", track: "canary" });
    });

    it("puts every container under probes on a port it exposes, with requests, limits and a pinned image", () => {
        assert.equal(containers().length, 9); // 5 nginx, 2 init (web tracks), minio, node-exporter
        assert.deepEqual(securityProblems(), []);
    });
});

describe("dev stack: what `pulumi up` waits for", () => {
    it("every Service, Ingress, Gateway and HTTPRoute says it: a LoadBalancer and an Ingress their address, every other Service nothing", () => {
        const readiness = readinessLines();
        const lb = "jsonpath={.status.loadBalancer.ingress[0].ip}";
        assert.deepEqual(readiness, [
            `Ingress canary/web-canary  ${lb}`,
            `Ingress default/web  ${lb}`,
            `Ingress kubernetes-dashboard/dashboard  ${lb}`,
            // The canary's own Service (headless, as the main Ingress's backend web-svc is).
            "Service canary/web-svc ClusterIP skipAwait",
            "Service default/minio  skipAwait",
            `Service default/minio-svc-lb LoadBalancer ${lb}`,
            "Service default/my-service ClusterIP skipAwait",
            "Service default/nginx-svc ClusterIP skipAwait",
            "Service default/web-svc ClusterIP skipAwait",
            "Service default/web-svc-cip ClusterIP skipAwait",
            `Service default/web-svc-lb LoadBalancer ${lb}`,
            "Service default/web-svc-np NodePort skipAwait",
            `Service kube-system/coredns-svc-lb-tcp LoadBalancer ${lb}`,
            `Service kube-system/coredns-svc-lb-udp LoadBalancer ${lb}`,
            "Service monitoring/node-exporter  skipAwait",
        ]);
    });
});

describe("dev stack: secrets and outputs", () => {
    it("isolates the app namespaces: default deny, DNS out, each app opened on its port", () => {
        const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);
        assert.deepEqual(policies.sort(), [
            "canary/allow-dns",
            "canary/allow-same-namespace",
            "canary/allow-web",
            "canary/default-deny",
            "default/allow-clock",
            "default/allow-dns",
            "default/allow-minio",
            "default/allow-nginx",
            "default/allow-same-namespace",
            "default/allow-web",
            "default/default-deny",
        ]);
        const web = k8sObject("kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-web", "default").inputs.spec;
        assert.deepEqual(web.ingress, [{ ports: [{ protocol: "TCP", port: 8000 }] }], "web is published by web-svc-np and web-svc-lb");
        const clock = k8sObject("kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-clock", "default").inputs.spec;
        assert.deepEqual(clock.podSelector, { matchLabels: { app: "clock-nginx" } });
        assert.deepEqual(clock.ingress[0].ports, [{ protocol: "TCP", port: 8080 }]);
    });

    it("passes its own policy pack", () => {
        assert.ok(policyResources().length > 40);
        assert.deepEqual(checkAll(policyResources()), []);
    });

    it("never sends the MinIO password in plain text", () => {
        const password = config["bare-metal-platform:minioRootPassword"];
        const leaks = recorded.filter((r) => plainStrings(r.inputs).some((s) => s.includes(password)));
        assert.deepEqual(
            leaks.map((r) => r.name),
            [],
        );
        const secret = one("kubernetes:core/v1:Secret", "minio-credentials").inputs;
        assert.ok(isSecretValue(secret.stringData.password) || isSecretValue(secret.stringData));
    });

    it("exports the URLs, the canary curl line, the ingress address and the MinIO endpoint", async () => {
        const value = async (o: unknown) => (pulumi.Output.isInstance(o) ? new Promise((resolve) => (o as pulumi.Output<string>).apply(resolve)) : o);
        assert.deepEqual(await value(program.appUrls), { web: "http://app.local/web" });
        assert.deepEqual(await value(program.canaryCurl), { web: 'curl -H "canary: always" http://app.local/web' });
        assert.equal(await value(program.ingressAddress), "172.17.255.3");
        assert.equal(program.minioEndpoint, "http://minio.default.svc.cluster.local:9000");
        assert.deepEqual(program.loadBalancerPool, ["172.17.255.1-172.17.255.255"]);
        assert.equal(program.corednsAddress, "172.17.255.2");
    });
});
