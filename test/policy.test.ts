// The policy pack, without the CLI: every rule with a resource that passes and one that fails (on its
// exact message), the pack as @pulumi/policy sees it, and the dev and prod stacks passing their own pack.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "../policy/pack";
import { checkAll, DEFAULT_EXEMPTIONS, imageTag, PolicyResource, PolicySettings, RULES } from "../policy/rules";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const POOL = "kubernetes:metallb.io/v1beta1:IPAddressPool";

/** A container that meets every rule. */
function goodContainer(): any {
    return {
        name: "nginx",
        image: "docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine",
        ports: [{ name: "http", containerPort: 8000 }],
        readinessProbe: { httpGet: { path: "/", port: 8000 } },
        livenessProbe: { tcpSocket: { port: "http" } },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        env: [{ name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "minio", key: "password" } } }],
    };
}

function deployment(edit: (d: any) => void = () => {}, name = "web", namespace = "default"): PolicyResource {
    const props: any = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace },
        spec: {
            replicas: 3,
            selector: { matchLabels: { app: "web" } },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            template: { metadata: { labels: { app: "web", track: "stable" } }, spec: { containers: [goodContainer()] } },
        },
    };
    edit(props);
    return { type: DEPLOYMENT, name, urn: `urn:pulumi:dev::bare-metal-platform::${DEPLOYMENT}::${name}`, props };
}

function service(name: string, spec: any, annotations?: Record<string, string>, namespace = "default"): PolicyResource {
    return { type: SERVICE, name, urn: `urn:${name}`, props: { apiVersion: "v1", kind: "Service", metadata: { name, namespace, annotations }, spec } };
}

function ingress(name: string, namespace: string, host: string, path: string, canary = false): PolicyResource {
    const annotations = canary ? { "nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "50" } : {};
    return {
        type: INGRESS,
        name,
        urn: `urn:${name}`,
        props: {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name, namespace, annotations },
            spec: { ingressClassName: "nginx", rules: [{ host, http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: "web-svc", port: { number: 80 } } } }] } }] },
        },
    };
}

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

function gateway(name = "web", namespace = "default"): PolicyResource {
    return {
        type: GATEWAY,
        name: `${name}-gateway`,
        props: {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name, namespace },
            spec: { gatewayClassName: "nginx", listeners: [{ name: "http", protocol: "HTTP", port: 80 }] },
        },
    };
}

const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** A PodDisruptionBudget over app=web (the stable track unless `selector` says otherwise). */
function pdb(spec: any, name = "web", namespace = "default", selector: any = { matchLabels: { app: "web", track: "stable" } }): PolicyResource {
    return { type: PDB, name: `${name}-pdb`, urn: `urn:${name}-pdb`, props: { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name, namespace }, spec: { selector, ...spec } } };
}

/** The release web's HTTPRoute as the program makes it: canary by header, then stable/canary by weight. */
function route(edit: (spec: any) => void = () => {}): PolicyResource {
    const path = { type: "PathPrefix", value: "/web" };
    const spec: any = {
        parentRefs: [{ name: "web" }],
        hostnames: ["app.local"],
        rules: [
            { matches: [{ path, headers: [{ type: "Exact", name: "canary", value: "always" }] }], backendRefs: [{ name: "web-svc-canary", port: 80 }] },
            {
                matches: [{ path }],
                backendRefs: [
                    { name: "web-svc", port: 80, weight: 50 },
                    { name: "web-svc-canary", port: 80, weight: 50 },
                ],
            },
        ],
    };
    edit(spec);
    return { type: ROUTE, name: "web-route", props: { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "web", namespace: "default" }, spec } };
}

/** A stack whose only problems are the route's: the Gateway and both Services exist. */
const routeStack = (r: PolicyResource, withGateway = true): PolicyResource[] => [
    deployment(),
    deployment((d) => (d.spec.template.metadata.labels.track = "canary"), "web-canary"),
    pdb({ maxUnavailable: 1 }),
    pdb({ maxUnavailable: 1 }, "web-canary", "default", { matchLabels: { app: "web", track: "canary" } }),
    service("web-svc", { selector: { app: "web", track: "stable" } }),
    service("web-svc-canary", { selector: { app: "web", track: "canary" } }),
    ...(withGateway ? [gateway()] : []),
    r,
];

const pool = (addresses: string[]): PolicyResource => ({
    type: POOL,
    name: "pool",
    props: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "default", namespace: "metallb-system" }, spec: { addresses } },
});

/** The messages one rule reports over these resources. */
function report(rule: string, resources: PolicyResource[], settings: PolicySettings = {}): string[] {
    return checkAll(resources, settings)
        .filter((v) => v.rule === rule)
        .map((v) => v.message);
}

describe("policy pack: the rules", () => {
    it("has fifteen named rules, each described", () => {
        assert.deepEqual(
            RULES.map((r) => r.name),
            [
                "probe-port-exposed",
                "rolling-update-can-progress",
                "no-credential-literals",
                "pinned-images",
                "service-selects-pods",
                "canary-ingress-has-main",
                "load-balancer-ip-in-pool",
                "requests-and-limits",
                "no-privileged-containers",
                "route-backends-exist",
                "route-weights-add-up",
                "route-has-gateway",
                "canary-route-has-default",
                "replicas-have-budget",
                "budget-allows-eviction",
            ],
        );
        for (const r of RULES) assert.ok(r.description.length > 20, r.name);
    });

    it("a well-formed stack passes every rule", () => {
        const stack = [
            deployment(),
            pdb({ maxUnavailable: 1 }),
            service("web-svc", { type: "ClusterIP", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8000 }] }),
            service("web-svc-lb", { type: "LoadBalancer", selector: { app: "web" } }, { "metallb.io/loadBalancerIPs": "172.17.255.3" }),
            ingress("web", "default", "app.local", "/web"),
            ingress("web-canary", "canary", "app.local", "/web", true),
            pool(["172.17.255.1-172.17.255.255"]),
        ];
        assert.deepEqual(checkAll(stack), []);
    });

    it("probe-port-exposed: the lab's probe on 80 while nginx listens on 8000", () => {
        const bad = deployment((d) => (d.spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/", port: 80 } }));
        assert.deepEqual(report("probe-port-exposed", [bad]), [
            `Deployment default/web: spec.template.spec.containers[0].readinessProbe targets port 80, which container "nginx" does not expose (ports: 8000 (http)); point the probe at the port the server listens on, or add it to ports`,
        ]);
        const named = deployment((d) => (d.spec.template.spec.containers[0].livenessProbe = { tcpSocket: { port: "metrics" } }));
        assert.deepEqual(report("probe-port-exposed", [named]), [
            `Deployment default/web: spec.template.spec.containers[0].livenessProbe targets port "metrics", which container "nginx" does not expose (ports: 8000 (http)); point the probe at the port the server listens on, or add it to ports`,
        ]);
        assert.deepEqual(report("probe-port-exposed", [deployment()]), []);
    });

    it("rolling-update-can-progress: maxSurge and maxUnavailable both 0", () => {
        const bad = deployment((d) => (d.spec.strategy.rollingUpdate = { maxSurge: 0, maxUnavailable: "0%" }));
        assert.deepEqual(report("rolling-update-can-progress", [bad]), [
            "Deployment default/web: spec.strategy.rollingUpdate sets maxSurge and maxUnavailable both to 0, so no pod may be added or removed and the rollout cannot progress; set maxSurge to 1 (or maxUnavailable to 1)",
        ]);
        const recreate = deployment((d) => (d.spec.strategy = { type: "Recreate" }));
        assert.deepEqual(report("rolling-update-can-progress", [deployment(), recreate]), []);
    });

    it("no-credential-literals: MinIO's password in plain env", () => {
        const bad = deployment(
            (d) =>
                (d.spec.template.spec.containers[0].env = [
                    { name: "MINIO_ROOT_USER", value: "minio" },
                    { name: "MINIO_ROOT_PASSWORD", value: "minio123" },
                    { name: "API_TOKEN", value: "t" },
                    // MetalLB's chart: where the memberlist key is, not the key itself.
                    { name: "METALLB_ML_SECRET_KEY_PATH", value: "/etc/ml_secret_key" },
                    { name: "METALLB_ML_SECRET_NAME", value: "metallb-memberlist" },
                ]),
        );
        assert.deepEqual(report("no-credential-literals", [bad]), [
            "Deployment default/web: spec.template.spec.containers[0].env[1] MINIO_ROOT_PASSWORD is a literal value; put it in a Secret and use valueFrom.secretKeyRef (or envFrom.secretRef)",
            "Deployment default/web: spec.template.spec.containers[0].env[2] API_TOKEN is a literal value; put it in a Secret and use valueFrom.secretKeyRef (or envFrom.secretRef)",
        ]);
        assert.deepEqual(report("no-credential-literals", [deployment()]), []);
    });

    it("pinned-images: no tag, latest, and what counts as pinned", () => {
        const untagged = deployment((d) => (d.spec.template.spec.containers[0].image = "nginx"));
        const latest = deployment((d) => (d.spec.template.spec.initContainers = [{ ...goodContainer(), name: "copy", image: "localhost:5000/busybox:latest" }]));
        assert.deepEqual(report("pinned-images", [untagged, latest]), [
            `Deployment default/web: spec.template.spec.containers[0].image "nginx" has no tag, so it means :latest; pin it by tag, such as "nginx:1.2.3", or by digest`,
            `Deployment default/web: spec.template.spec.initContainers[0].image "localhost:5000/busybox:latest" is tagged latest, which moves; pin it by a version tag or by digest`,
        ]);
        assert.equal(imageTag("localhost:5000/nginx"), "");
        assert.equal(imageTag("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"), "RELEASE.2025-09-07T16-13-09Z");
        assert.equal(imageTag("nginx@sha256:0123"), undefined);
    });

    it("service-selects-pods: a selector no pod template carries", () => {
        const stray = service("web-svc", { selector: { app: "web", track: "canary" } });
        const otherNs = service("web-svc", { selector: { app: "web" } }, undefined, "canary");
        assert.deepEqual(report("service-selects-pods", [deployment(), stray, otherNs]), [
            `Service default/web-svc: spec.selector app=web,track=canary matches no pod template in namespace "default", so the Service has no endpoints; fix the selector or the workload's labels`,
            `Service canary/web-svc: spec.selector app=web matches no pod template in namespace "canary", so the Service has no endpoints; fix the selector or the workload's labels`,
        ]);
        const noSelector = service("external", { type: "ClusterIP" });
        assert.deepEqual(report("service-selects-pods", [deployment(), noSelector, service("ok", { selector: { track: "stable" } })]), []);
    });

    it("canary-ingress-has-main: the controller's merge error, at preview", () => {
        const canary = ingress("web-canary", "canary", "app.local", "/web", true);
        assert.deepEqual(report("canary-ingress-has-main", [canary, ingress("web", "default", "other.local", "/web")]), [
            `Ingress canary/web-canary: canary route host "app.local" path "/web" has no main Ingress with the same host and path, so ingress-nginx cannot merge it; declare the main Ingress or use its host and path`,
        ]);
        assert.deepEqual(report("canary-ingress-has-main", [canary, ingress("web", "default", "app.local", "/web")]), []);
    });

    it("the Gateway API: the release's route, as the program makes it, passes every rule", () => {
        assert.deepEqual(checkAll(routeStack(route())), []);
    });

    it("route-backends-exist: a backendRef naming no Service of the stack", () => {
        const stray = route((spec) => (spec.rules[1].backendRefs[1] = { name: "web-svc-canry", port: 80, weight: 50 }));
        assert.deepEqual(report("route-backends-exist", routeStack(stray)), [
            "HTTPRoute default/web: rules[1] sends to Service default/web-svc-canry, which the stack does not declare, so those requests fail; name one of the stack's Services",
        ]);
        const elsewhere = route((spec) => (spec.rules[0].backendRefs[0] = { name: "web-svc-canary", namespace: "canary", port: 80 }));
        assert.deepEqual(report("route-backends-exist", routeStack(elsewhere)), [
            "HTTPRoute default/web: rules[0] sends to Service canary/web-svc-canary, which the stack does not declare, so those requests fail; name one of the stack's Services",
        ]);
    });

    it("route-weights-add-up: 50 + 40 is not a percentage split", () => {
        const off = route((spec) => (spec.rules[1].backendRefs[1].weight = 40));
        assert.deepEqual(report("route-weights-add-up", routeStack(off)), [
            "HTTPRoute default/web: rules[1] backend weights add up to 90, not 100, so the split is not the percentages it shows; make them add up to 100",
        ]);
        // One backend takes everything, whatever the weight the API server gives it (1).
        assert.deepEqual(report("route-weights-add-up", routeStack(route((spec) => (spec.rules[0].backendRefs[0].weight = 1)))), []);
        // 100 and 0 (a promoted canary that still has its Service) add up.
        assert.deepEqual(report("route-weights-add-up", routeStack(route((spec) => ((spec.rules[1].backendRefs[0].weight = 100), (spec.rules[1].backendRefs[1].weight = 0))))), []);
    });

    it("route-has-gateway: a route whose parentRef names no Gateway of the stack", () => {
        assert.deepEqual(report("route-has-gateway", routeStack(route(), false)), [
            "HTTPRoute default/web: parentRefs names Gateway default/web, which the stack does not declare, so no Gateway serves the route; name the release's Gateway",
        ]);
    });

    it("canary-route-has-default: a header rule with no rule for its path without the header", () => {
        const onlyCanary = route((spec) => spec.rules.pop());
        assert.deepEqual(report("canary-route-has-default", routeStack(onlyCanary)), [
            "HTTPRoute default/web: rules[0] matches header canary: always on /web with no rule for that path without the header, so every other request gets 404; add the default rule",
        ]);
    });

    it("load-balancer-ip-in-pool: by spec, by annotation, and from settings when the stack has no pool", () => {
        const bySpec = service("lb", { type: "LoadBalancer", loadBalancerIP: "10.0.0.5" });
        const byAnnotation = service("lb2", { type: "LoadBalancer" }, { "metallb.universe.tf/loadBalancerIPs": "172.17.255.9, 192.168.1.1" });
        assert.deepEqual(report("load-balancer-ip-in-pool", [pool(["172.17.255.1-172.17.255.255"]), bySpec, byAnnotation]), [
            "Service default/lb: spec.loadBalancerIP 10.0.0.5 is outside the MetalLB pool (172.17.255.1-172.17.255.255), so the Service would stay <pending>; pick an address in the pool or widen the pool",
            `Service default/lb2: metadata.annotations["metallb.universe.tf/loadBalancerIPs"] 192.168.1.1 is outside the MetalLB pool (172.17.255.1-172.17.255.255), so the Service would stay <pending>; pick an address in the pool or widen the pool`,
        ]);
        assert.deepEqual(report("load-balancer-ip-in-pool", [bySpec], { pool: ["10.0.0.0/29"] }), []);
        assert.deepEqual(report("load-balancer-ip-in-pool", [bySpec], { pool: ["10.0.1.0/29"] }), [
            "Service default/lb: spec.loadBalancerIP 10.0.0.5 is outside the MetalLB pool (10.0.1.0/29), so the Service would stay <pending>; pick an address in the pool or widen the pool",
        ]);
        // No pool anywhere: nothing to check against.
        assert.deepEqual(report("load-balancer-ip-in-pool", [bySpec]), []);
    });

    it("requests-and-limits: every container, init containers included", () => {
        const bad = deployment((d) => {
            d.spec.template.spec.containers[0].resources = { requests: { cpu: "10m" } };
            d.spec.template.spec.initContainers = [{ ...goodContainer(), name: "copy", resources: undefined }];
        });
        assert.deepEqual(report("requests-and-limits", [bad]), [
            `Deployment default/web: spec.template.spec.initContainers[0].resources lacks requests.cpu, requests.memory, limits.cpu, limits.memory; set cpu and memory requests and limits on container "copy"`,
            `Deployment default/web: spec.template.spec.containers[0].resources lacks requests.memory, limits.cpu, limits.memory; set cpu and memory requests and limits on container "nginx"`,
        ]);
        assert.deepEqual(report("requests-and-limits", [deployment()]), []);
    });

    it("no-privileged-containers: privileged, escalation, capabilities — and the documented allow-list", () => {
        const bad = deployment((d) => (d.spec.template.spec.containers[0].securityContext = { privileged: true, capabilities: { add: ["NET_ADMIN", "NET_BIND_SERVICE"] } }));
        const expected = [
            "Deployment default/web: spec.template.spec.containers[0].securityContext.privileged is true; set privileged false, allowPrivilegeEscalation false and drop the capabilities, or add the object to the pack's exemptions with a reason",
            "Deployment default/web: spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is not set (so it defaults to true); set privileged false, allowPrivilegeEscalation false and drop the capabilities, or add the object to the pack's exemptions with a reason",
            "Deployment default/web: spec.template.spec.containers[0].securityContext.capabilities.add has NET_ADMIN; set privileged false, allowPrivilegeEscalation false and drop the capabilities, or add the object to the pack's exemptions with a reason",
        ];
        assert.deepEqual(report("no-privileged-containers", [bad]), expected);
        const speaker: PolicyResource = {
            type: "kubernetes:apps/v1:DaemonSet",
            name: "metallb-speaker",
            props: {
                kind: "DaemonSet",
                metadata: { name: "metallb-speaker", namespace: "metallb-system" },
                spec: { template: { metadata: { labels: {} }, spec: { hostNetwork: true, containers: [{ ...goodContainer(), securityContext: { capabilities: { add: ["NET_RAW"] } } }] } } },
            },
        };
        assert.deepEqual(report("no-privileged-containers", [speaker]), [], "the speaker is on the default allow-list");
        assert.equal(report("no-privileged-containers", [speaker], { exemptions: [] }).length, 2, "an empty allow-list checks it");
        assert.deepEqual(report("no-privileged-containers", [bad], { exemptions: [{ rule: "no-privileged-containers", kind: "Deployment", name: "web", reason: "test" }] }), []);
        assert.deepEqual(
            DEFAULT_EXEMPTIONS.map((e) => `${e.rule} ${e.kind} ${e.namespace}/${e.name}`),
            [
                "no-privileged-containers DaemonSet metallb-system/metallb-speaker",
                "service-selects-pods Service kube-system/coredns-svc-lb-tcp",
                "service-selects-pods Service kube-system/coredns-svc-lb-udp",
            ],
        );
    });
});

describe("policy pack: disruption budgets", () => {
    const statefulSet = (replicas: number | undefined): PolicyResource => ({
        type: "kubernetes:apps/v1:StatefulSet",
        name: "minio",
        props: {
            kind: "StatefulSet",
            metadata: { name: "minio", namespace: "default" },
            spec: { replicas, selector: { matchLabels: { app: "minio" } }, template: { metadata: { labels: { app: "minio" } }, spec: { containers: [goodContainer()] } } },
        },
    });

    it("replicas-have-budget: three replicas and no budget, or a budget in another namespace or over other pods", () => {
        const message =
            'Deployment default/web: 3 replicas and no PodDisruptionBudget in namespace "default" selects its pods, so one drain may evict them all at once; declare a PodDisruptionBudget over app=web with maxUnavailable 1 (or what its rollout takes down)';
        assert.deepEqual(report("replicas-have-budget", [deployment()]), [message]);
        assert.deepEqual(report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 }, "web", "canary")]), [message]);
        assert.deepEqual(report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 }, "web", "default", { matchLabels: { app: "web", track: "canary" } })]), [message]);
        assert.deepEqual(report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 }, "web", "default", null)]), [message], "no selector selects nothing");
    });

    it("replicas-have-budget: a budget over its pods (by labels, by expressions, or empty: the whole namespace), and single pods, pass", () => {
        assert.deepEqual(report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 })]), []);
        assert.deepEqual(
            report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 }, "web", "default", { matchExpressions: [{ key: "track", operator: "In", values: ["stable", "canary"] }] })]),
            [],
        );
        assert.deepEqual(report("replicas-have-budget", [deployment(), pdb({ maxUnavailable: 1 }, "all", "default", {})]), []);
        // One pod (MinIO), none, or the API server's default of 1: a budget could only block the drain.
        assert.deepEqual(report("replicas-have-budget", [statefulSet(1), statefulSet(undefined), deployment((d) => (d.spec.replicas = 0))]), []);
        // A DaemonSet's pods are no drain's to evict.
        const ds: PolicyResource = {
            type: "kubernetes:apps/v1:DaemonSet",
            name: "ne",
            props: { kind: "DaemonSet", metadata: { name: "ne" }, spec: { template: { metadata: { labels: { app: "ne" } }, spec: { containers: [] } } } },
        };
        assert.deepEqual(report("replicas-have-budget", [ds]), []);
    });

    it("budget-allows-eviction: maxUnavailable 0, minAvailable 100% or all the replicas — and MinIO's minAvailable 1", () => {
        const tail = "so no pod can ever be evicted and every drain of a node holding one waits for ever";
        assert.deepEqual(report("budget-allows-eviction", [deployment(), pdb({ maxUnavailable: 0 })]), [
            `PodDisruptionBudget default/web: spec.maxUnavailable 0 lets none go, ${tail}; set maxUnavailable to 1 or more`,
        ]);
        assert.deepEqual(report("budget-allows-eviction", [deployment(), pdb({ maxUnavailable: "0%" })]), [
            `PodDisruptionBudget default/web: spec.maxUnavailable "0%" lets none go, ${tail}; set maxUnavailable to 1 or more`,
        ]);
        assert.deepEqual(report("budget-allows-eviction", [pdb({ minAvailable: "100%" })]), [
            `PodDisruptionBudget default/web: spec.minAvailable "100%" keeps every pod it selects, ${tail}; set minAvailable below 100%, or maxUnavailable 1`,
        ]);
        assert.deepEqual(report("budget-allows-eviction", [deployment(), pdb({ minAvailable: 3 })]), [
            `PodDisruptionBudget default/web: spec.minAvailable 3 keeps all 3 replicas of Deployment default/web, ${tail}; set minAvailable below 3, or maxUnavailable 1`,
        ]);
        // 67% of 3 rounds up to 3, as the disruption controller rounds it.
        assert.deepEqual(report("budget-allows-eviction", [deployment(), pdb({ minAvailable: "67%" })]), [
            `PodDisruptionBudget default/web: spec.minAvailable "67%" keeps all 3 replicas of Deployment default/web, ${tail}; set minAvailable below 3, or maxUnavailable 1`,
        ]);
        assert.deepEqual(report("budget-allows-eviction", [statefulSet(1), pdb({ minAvailable: 1 }, "minio", "default", { matchLabels: { app: "minio" } })]), [
            `PodDisruptionBudget default/minio: spec.minAvailable 1 keeps the one replica of StatefulSet default/minio, ${tail}; a single pod needs no budget: remove it, or set maxUnavailable 1`,
        ]);
    });

    it("budget-allows-eviction: budgets a drain can get through pass", () => {
        const ok = [pdb({ maxUnavailable: 1 }), pdb({ maxUnavailable: "25%" }), pdb({ minAvailable: 2 }), pdb({ minAvailable: "66%" })];
        for (const p of ok) assert.deepEqual(report("budget-allows-eviction", [deployment(), p]), [], JSON.stringify(p.props.spec));
        // Over the two tracks (3 + 3 replicas), minAvailable 5 leaves one to evict.
        const canary = deployment((d) => (d.spec.template.metadata.labels.track = "canary"), "web-canary");
        assert.deepEqual(report("budget-allows-eviction", [deployment(), canary, pdb({ minAvailable: 5 }, "web", "default", { matchLabels: { app: "web" } })]), []);
        // Nothing of the stack selected, or its replicas unknown at preview: nothing to compare with.
        assert.deepEqual(report("budget-allows-eviction", [pdb({ minAvailable: 3 })]), []);
        assert.deepEqual(report("budget-allows-eviction", [deployment((d) => (d.spec.replicas = { unknown: true })), pdb({ minAvailable: 3 })]), []);
        // A workload scaled to zero has no pod to keep.
        assert.deepEqual(report("budget-allows-eviction", [deployment((d) => (d.spec.replicas = 0)), pdb({ minAvailable: 1 })]), []);
    });
});

describe("policy pack: as the engine runs it", () => {
    const byName = Object.fromEntries(POLICIES.map((p) => [p.name, p]));
    const defaults = { exemptions: DEFAULT_EXEMPTIONS };

    it("serves every rule as a mandatory policy of the pack", () => {
        assert.equal(PACK_NAME, "bare-metal-platform");
        assert.deepEqual(
            POLICIES.map((p) => p.name),
            RULES.map((r) => r.name),
        );
        for (const p of POLICIES) assert.equal(p.enforcementLevel, "mandatory", p.name);
    });

    it("reports a resource rule's violation through validateResource", async () => {
        const bad = deployment((d) => (d.spec.template.spec.containers[0].image = "nginx:latest"));
        const reports: string[] = [];
        const policy = byName["pinned-images"] as ResourceValidationPolicy;
        await (policy.validateResource as any)({ ...bad, getConfig: () => defaults }, (m: string) => reports.push(m));
        assert.deepEqual(reports, [`Deployment default/web: spec.template.spec.containers[0].image "nginx:latest" is tagged latest, which moves; pin it by a version tag or by digest`]);
    });

    it("reports a stack rule's violation, with the resource's URN, through validateStack", async () => {
        const reports: [string, string | undefined][] = [];
        const policy = byName["service-selects-pods"] as StackValidationPolicy;
        const stray = service("web-svc", { selector: { app: "nope" } });
        await (policy.validateStack as any)({ resources: [deployment(), stray], getConfig: () => defaults }, (m: string, urn?: string) => reports.push([m, urn]));
        assert.deepEqual(reports, [
            [
                `Service default/web-svc: spec.selector app=nope matches no pod template in namespace "default", so the Service has no endpoints; fix the selector or the workload's labels`,
                "urn:web-svc",
            ],
        ]);
    });
});
