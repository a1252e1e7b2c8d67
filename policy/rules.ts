// The policy pack's rules as plain functions over Kubernetes objects, so that each one can be tested
// without the Pulumi CLI. pack.ts turns them into @pulumi/policy policies.
//
// Each rule catches a mistake the lab made by hand and only saw later, from the API server, a
// controller or a pod that never became ready. Every message names the object, the field and the fix.
import { INGRESS_NGINX_ANNOTATIONS, METALLB_LOAD_BALANCER_IPS } from "../components/core/constants";
import { planCoreDnsExternal } from "../components/network/coreDnsExternal";
import { parseIpv4, poolContains } from "../components/network/ipv4";
import { planMetalLB } from "../components/network/metallb";
import { COMPONENT_NAMES } from "../plan/names";

/** A resource as a policy sees it: Pulumi type token, logical name and input properties. */
export interface PolicyResource {
    readonly type: string;
    readonly name: string;
    readonly urn?: string;
    readonly props: any;
}

/** A resource that a rule reports, with the one-line message saying what is wrong and how to fix it. */
export interface Violation {
    readonly resource: PolicyResource;
    readonly message: string;
}

/** An entry of the exemption list: a rule that does not apply to one object, and why. */
export interface Exemption {
    /** Rule name, as in {@link RULES}. */
    readonly rule: string;
    readonly kind: string;
    /** Namespace of the object; absent matches any namespace. */
    readonly namespace?: string;
    readonly name: string;
    /** Why the object needs it: shown in docs/security.md's table and kept beside the entry. */
    readonly reason: string;
}

/** Settings of the pack (policy config `platform`), with the defaults below. */
export interface PolicySettings {
    /** Addresses MetalLB may hand out when no IPAddressPool is in the stack (MetalLB installed elsewhere). */
    readonly pool?: readonly string[];
    /** Objects a rule does not apply to. Defaults to {@link DEFAULT_EXEMPTIONS}. */
    readonly exemptions?: readonly Exemption[];
}

const COREDNS_REASON = "selects the cluster's own CoreDNS pods (k8s-app=kube-dns), which the cluster runs and no stack declares";

/** The objects exempted, as their components name them with their defaults (a stack that moves them lists its own exemptions). */
const METALLB = planMetalLB(COMPONENT_NAMES.metallb, {});
const COREDNS = planCoreDnsExternal(COMPONENT_NAMES.coredns, {});

/**
 * The documented allow-list (docs/security.md, "Policy pack"):
 * - MetalLB's speaker answers ARP for the pool's addresses: it runs on the host network and needs the
 *   NET_RAW capability, which the chart adds to its container;
 * - the CoreDNS LoadBalancer Services publish the cluster's built-in DNS pods, not a workload of the stack.
 */
export const DEFAULT_EXEMPTIONS: readonly Exemption[] = [
    {
        rule: "no-privileged-containers",
        kind: "DaemonSet",
        namespace: METALLB.namespace,
        name: METALLB.chart!.speaker,
        reason: "MetalLB's speaker answers ARP for the pool's addresses on the host network (NET_RAW)",
    },
    ...COREDNS.services.map((s) => ({ rule: "service-selects-pods", kind: "Service", namespace: COREDNS.namespace, name: s.name, reason: COREDNS_REASON })),
];

/** One rule: checks a resource on its own, or the whole stack at once. */
export interface Rule {
    readonly name: string;
    readonly description: string;
    readonly resource?: (r: PolicyResource, settings: PolicySettings) => string[];
    readonly stack?: (resources: readonly PolicyResource[], settings: PolicySettings) => Violation[];
}

// ---------------------------------------------------------------------------------------------
// Reading Kubernetes objects from Pulumi resources
// ---------------------------------------------------------------------------------------------

/**
 * Kind of a Kubernetes resource from its props or its type token (`kubernetes:apps/v1:Deployment`);
 * undefined for any other resource, so no rule looks at another provider's objects.
 */
export function kindOf(r: PolicyResource): string | undefined {
    if (!r.type.startsWith("kubernetes:")) {
        return undefined;
    }
    if (typeof r.props?.kind === "string") {
        return r.props.kind;
    }
    const m = /^kubernetes:[^:]+:(\w+)$/.exec(r.type);
    return m?.[1];
}

/** `Kind namespace/name` as kubectl would name the object. */
export function describe(r: PolicyResource): string {
    const kind = kindOf(r) ?? r.type;
    const name = r.props?.metadata?.name ?? r.name;
    const ns = r.props?.metadata?.namespace;
    return ns ? `${kind} ${ns}/${name}` : `${kind} ${name}`;
}

function namespaceOf(r: PolicyResource): string {
    return r.props?.metadata?.namespace ?? "default";
}

/** The pod template of a workload (or the pod itself), when the resource has one. */
export function podTemplate(r: PolicyResource): { labels: Record<string, string>; spec: any; path: string } | undefined {
    const kind = kindOf(r);
    const spec = r.props?.spec;
    if (spec === undefined) {
        return undefined;
    }
    switch (kind) {
        case "Pod":
            return { labels: r.props?.metadata?.labels ?? {}, spec, path: "spec" };
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return spec.template ? { labels: spec.template.metadata?.labels ?? {}, spec: spec.template.spec ?? {}, path: "spec.template.spec" } : undefined;
        case "CronJob": {
            const t = spec.jobTemplate?.spec?.template;
            return t ? { labels: t.metadata?.labels ?? {}, spec: t.spec ?? {}, path: "spec.jobTemplate.spec.template.spec" } : undefined;
        }
        default:
            return undefined;
    }
}

interface ContainerAt {
    readonly container: any;
    /** Field path, such as `spec.template.spec.containers[0]`. */
    readonly path: string;
}

function containersOf(r: PolicyResource): ContainerAt[] {
    const t = podTemplate(r);
    if (t === undefined) {
        return [];
    }
    const list = (field: string) => ((t.spec[field] ?? []) as any[]).map((container, i) => ({ container, path: `${t.path}.${field}[${i}]` }));
    return [...list("initContainers"), ...list("containers")];
}

/** Whether the settings' exemption list takes this object out of this rule. */
export function exempt(rule: string, r: PolicyResource, settings: PolicySettings): boolean {
    const list = settings.exemptions ?? DEFAULT_EXEMPTIONS;
    const kind = kindOf(r);
    const name = r.props?.metadata?.name ?? r.name;
    const ns = r.props?.metadata?.namespace;
    return list.some((e) => e.rule === rule && e.kind === kind && e.name === name && (e.namespace === undefined || e.namespace === ns));
}

/** Wraps a per-container check into a per-resource rule function. */
function eachContainer(check: (c: ContainerAt, r: PolicyResource) => string[]): (r: PolicyResource) => string[] {
    return (r) => containersOf(r).flatMap((c) => check(c, r));
}

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

const PROBES = ["readinessProbe", "livenessProbe", "startupProbe"] as const;

/** 1. A probe must target a port the container exposes (the lab probed 80 while nginx listened on 8000). */
const probePortExposed: Rule = {
    name: "probe-port-exposed",
    description: "Readiness, liveness and startup probes target a port the container declares in `ports`.",
    resource: eachContainer(({ container, path }, r) => {
        const ports = (container.ports ?? []) as any[];
        const numbers = ports.map((p) => p.containerPort);
        const names = ports.map((p) => p.name).filter((n) => n !== undefined);
        const declared = ports.length === 0 ? "none" : ports.map((p) => (p.name ? `${p.containerPort} (${p.name})` : String(p.containerPort))).join(", ");
        return PROBES.flatMap((probe) => {
            const handler = container[probe];
            const port = handler?.httpGet?.port ?? handler?.tcpSocket?.port ?? handler?.grpc?.port;
            if (port === undefined || (typeof port === "number" ? numbers.includes(port) : names.includes(port) || numbers.includes(Number(port)))) {
                return [];
            }
            const field = `${path}.${probe}`;
            return [
                `${describe(r)}: ${field} targets port ${JSON.stringify(port)}, which container "${container.name}" does not expose (ports: ${declared}); point the probe at the port the server listens on, or add it to ports`,
            ];
        });
    }),
};

function isZero(v: unknown): boolean {
    return v === 0 || v === "0" || v === "0%";
}

/** 2. maxSurge and maxUnavailable both 0: the API server rejects it, but only at apply time. */
const rollingUpdateProgress: Rule = {
    name: "rolling-update-can-progress",
    description: "A RollingUpdate strategy does not set maxSurge and maxUnavailable both to 0.",
    resource: (r) => {
        const kind = kindOf(r);
        const field = kind === "Deployment" ? "strategy" : kind === "DaemonSet" ? "updateStrategy" : undefined;
        const rolling = field ? r.props?.spec?.[field]?.rollingUpdate : undefined;
        if (rolling === undefined || !isZero(rolling.maxSurge) || !isZero(rolling.maxUnavailable)) {
            return [];
        }
        return [
            `${describe(r)}: spec.${field}.rollingUpdate sets maxSurge and maxUnavailable both to 0, so no pod may be added or removed and the rollout cannot progress; set maxSurge to 1 (or maxUnavailable to 1)`,
        ];
    },
};

const CREDENTIAL_NAME = /PASSWORD|PASSWD|SECRET|KEY|TOKEN/i;
/**
 * Names that say where a credential is, not what it is: `METALLB_ML_SECRET_KEY_PATH` (a file path),
 * `METALLB_ML_SECRET_NAME` (a Secret's name), `*_FILE`, `*_REF`. Their literal values are fine.
 */
const CREDENTIAL_LOCATION = /_(PATH|FILE|DIR|NAME|REF)$/i;

/** 3. A credential-looking env var with a literal value (the lab's MinIO password in plain env). */
const noCredentialLiterals: Rule = {
    name: "no-credential-literals",
    description: "Env vars named like credentials (PASSWORD, SECRET, KEY, TOKEN) come from a Secret, not a literal value (names ending _PATH, _FILE, _DIR, _NAME or _REF only say where one is).",
    resource: eachContainer(({ container, path }, r) =>
        ((container.env ?? []) as any[]).flatMap((e, i) =>
            CREDENTIAL_NAME.test(e.name ?? "") && !CREDENTIAL_LOCATION.test(e.name ?? "") && e.value !== undefined && e.value !== ""
                ? [`${describe(r)}: ${path}.env[${i}] ${e.name} is a literal value; put it in a Secret and use valueFrom.secretKeyRef (or envFrom.secretRef)`]
                : [],
        ),
    ),
};

/** The tag of an image reference, "" when it has none; undefined when pinned by digest. */
export function imageTag(image: string): string | undefined {
    if (image.includes("@sha256:")) {
        return undefined;
    }
    const lastSlash = image.lastIndexOf("/");
    const colon = image.indexOf(":", lastSlash + 1);
    return colon < 0 ? "" : image.slice(colon + 1);
}

/** 4. Images are pinned: a tag that is not `latest`, or a digest. */
const pinnedImages: Rule = {
    name: "pinned-images",
    description: "Every image is pinned by a tag other than `latest`, or by digest.",
    resource: eachContainer(({ container, path }, r) => {
        const image = container.image;
        if (typeof image !== "string") {
            return [`${describe(r)}: ${path}.image is not set; set an image pinned by tag, such as "repo/name:1.2.3"`];
        }
        const tag = imageTag(image);
        if (tag === "") {
            return [`${describe(r)}: ${path}.image "${image}" has no tag, so it means :latest; pin it by tag, such as "${image}:1.2.3", or by digest`];
        }
        if (tag === "latest") {
            return [`${describe(r)}: ${path}.image "${image}" is tagged latest, which moves; pin it by a version tag or by digest`];
        }
        return [];
    }),
};

/** 5. A Service selector must match the labels of a pod template in the stack (same namespace). */
const serviceSelectsPods: Rule = {
    name: "service-selects-pods",
    description: "Every Service with a selector matches the pod template of a workload in the same namespace of the stack.",
    stack: (resources) => {
        const templates = resources.flatMap((r) => {
            const t = podTemplate(r);
            return t ? [{ ns: namespaceOf(r), labels: t.labels, owner: r }] : [];
        });
        return resources.flatMap((r) => {
            const selector = r.props?.spec?.selector;
            if (kindOf(r) !== "Service" || selector === undefined || Object.keys(selector).length === 0) {
                return [];
            }
            const ns = namespaceOf(r);
            const matches = templates.filter((t) => t.ns === ns && Object.entries(selector).every(([k, v]) => t.labels[k] === v));
            if (matches.length > 0) {
                return [];
            }
            const wanted = Object.entries(selector)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(",");
            return [
                {
                    resource: r,
                    message: `${describe(r)}: spec.selector ${wanted} matches no pod template in namespace "${ns}", so the Service has no endpoints; fix the selector or the workload's labels`,
                },
            ];
        });
    },
};

const CANARY = INGRESS_NGINX_ANNOTATIONS.canary;

interface Route {
    readonly host: string;
    readonly path: string;
}

function routesOf(r: PolicyResource): Route[] {
    return ((r.props?.spec?.rules ?? []) as any[]).flatMap((rule) => ((rule.http?.paths ?? []) as any[]).map((p) => ({ host: rule.host ?? "", path: p.path ?? "/" }) satisfies Route));
}

/** 6. A canary Ingress needs a main Ingress with the same host and path (the controller's merge error). */
const canaryHasMain: Rule = {
    name: "canary-ingress-has-main",
    description: "Every canary Ingress (nginx.ingress.kubernetes.io/canary) has a main Ingress with the same host and path.",
    stack: (resources) => {
        const ingresses = resources.filter((r) => kindOf(r) === "Ingress");
        const isCanary = (r: PolicyResource) => String(r.props?.metadata?.annotations?.[CANARY]) === "true";
        const main = new Set(ingresses.filter((r) => !isCanary(r)).flatMap((r) => routesOf(r).map((x) => `${x.host} ${x.path}`)));
        return ingresses.filter(isCanary).flatMap((r) =>
            routesOf(r)
                .filter((x) => !main.has(`${x.host} ${x.path}`))
                .map((x) => ({
                    resource: r,
                    message: `${describe(r)}: canary route host "${x.host}" path "${x.path}" has no main Ingress with the same host and path, so ingress-nginx cannot merge it; declare the main Ingress or use its host and path`,
                })),
        );
    },
};

const LB_ANNOTATIONS = ["metallb.universe.tf/loadBalancerIPs", METALLB_LOAD_BALANCER_IPS];

/** 7. A fixed LoadBalancer address must be in the MetalLB pool, or the Service stays <pending>. */
const loadBalancerIpInPool: Rule = {
    name: "load-balancer-ip-in-pool",
    description: "A fixed LoadBalancer address (spec.loadBalancerIP or MetalLB's annotation) lies in the stack's MetalLB pool.",
    stack: (resources, settings) => {
        const pools = resources.filter((r) => kindOf(r) === "IPAddressPool");
        const pool = pools.length > 0 ? pools.flatMap((p) => (p.props?.spec?.addresses ?? []) as string[]) : [...(settings.pool ?? [])];
        if (pool.length === 0) {
            return [];
        }
        return resources.flatMap((r) => {
            if (kindOf(r) !== "Service") {
                return [];
            }
            const annotations = r.props?.metadata?.annotations ?? {};
            const fixed: [string, string][] = [
                ...(r.props?.spec?.loadBalancerIP ? [["spec.loadBalancerIP", r.props.spec.loadBalancerIP] as [string, string]] : []),
                ...LB_ANNOTATIONS.filter((a) => annotations[a]).flatMap((a) =>
                    String(annotations[a])
                        .split(",")
                        .map((ip) => [`metadata.annotations["${a}"]`, ip.trim()] as [string, string]),
                ),
            ];
            return fixed
                .filter(([, ip]) => parseIpv4(ip) !== undefined && !poolContains(pool, ip))
                .map(([field, ip]) => ({
                    resource: r,
                    message: `${describe(r)}: ${field} ${ip} is outside the MetalLB pool (${pool.join(", ")}), so the Service would stay <pending>; pick an address in the pool or widen the pool`,
                }));
        });
    },
};

/** 8. Requests and limits on every container, so one pod cannot starve a node. */
const requestsAndLimits: Rule = {
    name: "requests-and-limits",
    description: "Every container sets cpu and memory requests and a memory limit and a cpu limit.",
    resource: eachContainer(({ container, path }, r) => {
        const missing = [
            ["requests", "cpu"],
            ["requests", "memory"],
            ["limits", "cpu"],
            ["limits", "memory"],
        ]
            .filter(([kind, res]) => container.resources?.[kind]?.[res] === undefined)
            .map(([kind, res]) => `${kind}.${res}`);
        return missing.length === 0 ? [] : [`${describe(r)}: ${path}.resources lacks ${missing.join(", ")}; set cpu and memory requests and limits on container "${container.name}"`];
    }),
};

/** Capabilities an unprivileged container may add (binding ports below 1024). */
const HARMLESS_CAPABILITIES = new Set(["NET_BIND_SERVICE"]);

/** 9. No privileged container and none that may escalate, outside the documented allow-list. */
const noPrivileged: Rule = {
    name: "no-privileged-containers",
    description: "No container is privileged, adds capabilities beyond NET_BIND_SERVICE, or may escalate privileges (allowPrivilegeEscalation must be false), outside the exemptions.",
    resource: (r) =>
        containersOf(r).flatMap(({ container, path }) => {
            const sc = container.securityContext ?? {};
            const problems: string[] = [];
            if (sc.privileged === true) {
                problems.push(`${path}.securityContext.privileged is true`);
            }
            if (sc.allowPrivilegeEscalation !== false) {
                problems.push(`${path}.securityContext.allowPrivilegeEscalation is ${sc.allowPrivilegeEscalation === true ? "true" : "not set (so it defaults to true)"}`);
            }
            const added = ((sc.capabilities?.add ?? []) as string[]).filter((c) => !HARMLESS_CAPABILITIES.has(c));
            if (added.length > 0) {
                problems.push(`${path}.securityContext.capabilities.add has ${added.join(", ")}`);
            }
            return problems.map(
                (p) => `${describe(r)}: ${p}; set privileged false, allowPrivilegeEscalation false and drop the capabilities, or add the object to the pack's exemptions with a reason`,
            );
        }),
};

// ---------------------------------------------------------------------------------------------
// The Gateway API: HTTPRoutes and their Gateways (releases with split "gateway")
// ---------------------------------------------------------------------------------------------

interface RouteRule {
    readonly index: number;
    readonly matches: any[];
    readonly backendRefs: any[];
}

function routeRules(r: PolicyResource): RouteRule[] {
    return ((r.props?.spec?.rules ?? []) as any[]).map((rule, index) => ({ index, matches: rule.matches ?? [], backendRefs: rule.backendRefs ?? [] }));
}

const httpRoutes = (resources: readonly PolicyResource[]) => resources.filter((r) => kindOf(r) === "HTTPRoute");

/** The set of `namespace/name` of a kind in the stack. */
function namesOf(resources: readonly PolicyResource[], kind: string): Set<string> {
    return new Set(resources.filter((r) => kindOf(r) === kind).map((r) => `${namespaceOf(r)}/${r.props?.metadata?.name}`));
}

/** The refs of an HTTPRoute to objects of `kind` (the refs' default kind) that the stack does not declare, as `namespace/name`. */
function danglingRefs(r: PolicyResource, refs: readonly any[], kind: string, declared: ReadonlySet<string>): string[] {
    return refs
        .filter((ref) => (ref.kind ?? kind) === kind)
        .map((ref) => `${ref.namespace ?? namespaceOf(r)}/${ref.name}`)
        .filter((id) => !declared.has(id));
}

/** 10. Every backendRef of an HTTPRoute names a Service of the stack (else: 500s, ResolvedRefs false). */
const routeBackendsExist: Rule = {
    name: "route-backends-exist",
    description: "Every backendRef of an HTTPRoute names a Service declared in the stack (in the ref's namespace).",
    stack: (resources) => {
        const services = namesOf(resources, "Service");
        return httpRoutes(resources).flatMap((r) =>
            routeRules(r).flatMap((rule) =>
                danglingRefs(r, rule.backendRefs, "Service", services).map((id) => ({
                    resource: r,
                    message: `${describe(r)}: rules[${rule.index}] sends to Service ${id}, which the stack does not declare, so those requests fail; name one of the stack's Services`,
                })),
            ),
        );
    },
};

/** 11. A rule that splits between backends gives weights that add up to 100 (percentages, as the config says). */
const routeWeightsAddUp: Rule = {
    name: "route-weights-add-up",
    description: "In an HTTPRoute rule that splits between weighted backendRefs, the weights add up to 100, so each is the percentage it reads as.",
    stack: (resources) =>
        httpRoutes(resources).flatMap((r) =>
            routeRules(r)
                // One backend takes every request whatever its weight (the API server defaults it to 1).
                .filter((rule) => rule.backendRefs.length > 1 && rule.backendRefs.some((b) => b.weight !== undefined))
                .flatMap((rule) => {
                    const sum = rule.backendRefs.reduce((acc, b) => acc + Number(b.weight ?? 1), 0);
                    return sum === 100
                        ? []
                        : [
                              {
                                  resource: r,
                                  message: `${describe(r)}: rules[${rule.index}] backend weights add up to ${sum}, not 100, so the split is not the percentages it shows; make them add up to 100`,
                              },
                          ];
                }),
        ),
};

/** 12. An HTTPRoute attaches to a Gateway of the stack (else it is never served: Accepted false). */
const routeHasGateway: Rule = {
    name: "route-has-gateway",
    description: "Every parentRef of an HTTPRoute names a Gateway declared in the stack.",
    stack: (resources) => {
        const gateways = namesOf(resources, "Gateway");
        return httpRoutes(resources).flatMap((r) =>
            danglingRefs(r, r.props?.spec?.parentRefs ?? [], "Gateway", gateways).map((id) => ({
                resource: r,
                message: `${describe(r)}: parentRefs names Gateway ${id}, which the stack does not declare, so no Gateway serves the route; name the release's Gateway`,
            })),
        );
    },
};

/** 13. A canary rule (a header match) has a default rule for the same path, or everyone else gets 404. */
const canaryRouteHasDefault: Rule = {
    name: "canary-route-has-default",
    description: "Every HTTPRoute rule that matches a header has a rule without header matches for the same path in the same route.",
    stack: (resources) =>
        httpRoutes(resources).flatMap((r) => {
            const rules = routeRules(r);
            const pathOf = (m: any) => `${m.path?.type ?? "PathPrefix"} ${m.path?.value ?? "/"}`;
            const plain = new Set(rules.flatMap((rule) => rule.matches.filter((m) => (m.headers ?? []).length === 0).map(pathOf)));
            if (rules.some((rule) => rule.matches.length === 0)) plain.add("PathPrefix /");
            return rules.flatMap((rule) =>
                rule.matches
                    .filter((m) => (m.headers ?? []).length > 0 && !plain.has(pathOf(m)) && !plain.has("PathPrefix /"))
                    .map((m) => ({
                        resource: r,
                        message: `${describe(r)}: rules[${rule.index}] matches header ${m.headers.map((h: any) => `${h.name}: ${h.value}`).join(", ")} on ${m.path?.value ?? "/"} with no rule for that path without the header, so every other request gets 404; add the default rule`,
                    })),
            );
        }),
};

// ---------------------------------------------------------------------------------------------
// Node maintenance: disruption budgets (a drain evicts through the API, which honours them)
// ---------------------------------------------------------------------------------------------

/** Whether a label selector selects these labels. policy/v1: an empty selector selects every pod of the namespace, none selects nothing. */
function selectorMatches(selector: any, labels: Record<string, string>): boolean {
    if (selector === undefined || selector === null) {
        return false;
    }
    const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpression = ((selector.matchExpressions ?? []) as any[]).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                return has && (e.values ?? []).includes(labels[e.key]);
            case "NotIn":
                return !has || !(e.values ?? []).includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
    return byLabel && byExpression;
}

/** Workloads whose replicas a drain evicts (a DaemonSet's pods are left alone by `kubectl drain --ignore-daemonsets`). */
const REPLICATED = new Set(["Deployment", "StatefulSet", "ReplicaSet"]);

/** spec.replicas, or the API server's default 1; undefined while unknown (computed at preview). */
function replicasOf(r: PolicyResource): number | undefined {
    const n = r.props?.spec?.replicas;
    return n === undefined ? 1 : typeof n === "number" ? n : undefined;
}

const budgets = (resources: readonly PolicyResource[]) => resources.filter((r) => kindOf(r) === "PodDisruptionBudget");

/** The replicated workloads of the stack whose pods a budget selects (same namespace). */
function budgeted(pdb: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => {
        const t = podTemplate(r);
        return REPLICATED.has(kindOf(r) ?? "") && t !== undefined && namespaceOf(r) === namespaceOf(pdb) && selectorMatches(pdb.props?.spec?.selector, t.labels);
    });
}

/** A PodDisruptionBudget's percentage as a number, or undefined for an integer. */
function percentOf(v: unknown): number | undefined {
    const m = typeof v === "string" ? /^(\d+)%$/.exec(v) : null;
    return m ? Number(m[1]) : undefined;
}

/** 14. More than one replica and no budget: one drain may take them all. */
const replicasHaveBudget: Rule = {
    name: "replicas-have-budget",
    description: "Every Deployment, StatefulSet or ReplicaSet with more than one replica has a PodDisruptionBudget in its namespace that selects its pods.",
    stack: (resources) => {
        const pdbs = budgets(resources);
        return resources.flatMap((r) => {
            const t = podTemplate(r);
            const replicas = replicasOf(r);
            if (!REPLICATED.has(kindOf(r) ?? "") || t === undefined || replicas === undefined || replicas <= 1) {
                return [];
            }
            if (pdbs.some((p) => namespaceOf(p) === namespaceOf(r) && selectorMatches(p.props?.spec?.selector, t.labels))) {
                return [];
            }
            const selector = Object.entries(r.props?.spec?.selector?.matchLabels ?? t.labels)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(",");
            return [
                {
                    resource: r,
                    message: `${describe(r)}: ${replicas} replicas and no PodDisruptionBudget in namespace "${namespaceOf(r)}" selects its pods, so one drain may evict them all at once; declare a PodDisruptionBudget over ${selector} with maxUnavailable 1 (or what its rollout takes down)`,
                },
            ];
        });
    },
};

/** 15. A budget that can never be satisfied: every drain of a node holding one of its pods waits for ever. */
const budgetAllowsEviction: Rule = {
    name: "budget-allows-eviction",
    description: "A PodDisruptionBudget lets at least one pod be evicted: maxUnavailable above 0, minAvailable below 100% and below the replicas of the workloads of the stack it selects.",
    stack: (resources) =>
        budgets(resources).flatMap((pdb) => {
            const spec = pdb.props?.spec ?? {};
            const never = (field: string, why: string, fix: string) => [
                {
                    resource: pdb,
                    message: `${describe(pdb)}: spec.${field} ${JSON.stringify(spec[field])} ${why}, so no pod can ever be evicted and every drain of a node holding one waits for ever; ${fix}`,
                },
            ];
            if (spec.maxUnavailable !== undefined) {
                return spec.maxUnavailable === 0 || percentOf(spec.maxUnavailable) === 0 ? never("maxUnavailable", "lets none go", "set maxUnavailable to 1 or more") : [];
            }
            if (spec.minAvailable === undefined) {
                return [];
            }
            const percent = percentOf(spec.minAvailable);
            if (percent !== undefined && percent >= 100) {
                return never("minAvailable", "keeps every pod it selects", "set minAvailable below 100%, or maxUnavailable 1");
            }
            const workloads = budgeted(pdb, resources);
            const counts = workloads.map(replicasOf);
            if (workloads.length === 0 || counts.some((n) => n === undefined)) {
                return [];
            }
            const total = (counts as number[]).reduce((a, b) => a + b, 0);
            // The disruption controller rounds a percentage of minAvailable up.
            const required = percent !== undefined ? Math.ceil((percent * total) / 100) : Number(spec.minAvailable);
            const of = workloads.map(describe).join(", ");
            if (total === 0 || required < total) {
                return [];
            }
            return total === 1
                ? never("minAvailable", `keeps the one replica of ${of}`, "a single pod needs no budget: remove it, or set maxUnavailable 1")
                : never("minAvailable", `keeps all ${total} replicas of ${of}`, `set minAvailable below ${total}, or maxUnavailable 1`);
        }),
};

/** The pack's rules, in the order they are reported. */
export const RULES: readonly Rule[] = [
    probePortExposed,
    rollingUpdateProgress,
    noCredentialLiterals,
    pinnedImages,
    serviceSelectsPods,
    canaryHasMain,
    loadBalancerIpInPool,
    requestsAndLimits,
    noPrivileged,
    routeBackendsExist,
    routeWeightsAddUp,
    routeHasGateway,
    canaryRouteHasDefault,
    replicasHaveBudget,
    budgetAllowsEviction,
];

/** One rule over one resource, minus exemptions. */
export function checkResource(rule: Rule, r: PolicyResource, settings: PolicySettings): string[] {
    return rule.resource && !exempt(rule.name, r, settings) ? rule.resource(r, settings) : [];
}

/** One stack rule over all resources, minus exemptions. */
export function checkStack(rule: Rule, resources: readonly PolicyResource[], settings: PolicySettings): Violation[] {
    return rule.stack ? rule.stack(resources, settings).filter((v) => !exempt(rule.name, v.resource, settings)) : [];
}

/** Runs every rule over a stack's resources: what `pulumi preview --policy-pack policy` would report. */
export function checkAll(resources: readonly PolicyResource[], settings: PolicySettings = {}): { rule: string; message: string }[] {
    return RULES.flatMap((rule) => [
        ...resources.flatMap((r) => checkResource(rule, r, settings).map((message) => ({ rule: rule.name, message }))),
        ...checkStack(rule, resources, settings).map((v) => ({ rule: rule.name, message: v.message })),
    ]);
}
