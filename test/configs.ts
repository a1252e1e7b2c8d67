// Generated configs for the config properties (test/config.property.test.ts) and the e2e dry-run
// batch (test/e2e/config.e2e.ts): arbitraries over the config's space, with names drawn from small
// pools — mostly everyday values, sometimes one known to collide — and mutations that put junk in
// one value.
import fc from "fast-check";

export const SECRETS = { minioRootUser: "admin", minioRootPassword: "longenough" };
// Each pool: mostly distinct everyday values, sometimes a value known to collide with something.
const NAMES = pick(["clock", "shop", "blog", "api"], ["a", "a-b", "web", "minio", "dns", "b-web", "web-canary", "canary"]);
const SERVICE_NAMES = pick(["s1", "s2", "s3", "s4", "s5", "s6"], ["web", "b-web", "web-canary", "minio", "minio-svc-lb"]);
const NAMESPACES = pick(["default", "dev", "shop"], ["canary", "a", "a-b", "kube-system", "metallb-system", "monitoring", "ingress-nginx"]);
const NAMESPACES_ANY = ["default", "dev", "a", "kube-system"];
/** Mostly absent (the default), sometimes set. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: arb, weight: 1 });
const mostly = (value: boolean) => fc.oneof({ arbitrary: fc.constant(value), weight: 5 }, { arbitrary: fc.constant(!value), weight: 1 });
const ADDRESSES = pick(["172.17.255.2", "172.17.255.3", "172.17.255.4", "172.17.255.5", "172.17.255.6"], ["10.0.0.1"]);
const ACCOUNTS = pick(["bob", "dave", "carol", "jane", "ken"], ["c", "b-c", "node-exporter", "minio"]);
/** Accounts bind existing ClusterRoles; group grants create their own. */
const GRANTED_ROLES = pick(["admin", "view", "edit"], ["prometheus"]);
const GROUP_ROLES = pick(["prometheus", "reader", "lister"], ["admin", "edit", "node-exporter", "bob"]);

function pick<T>(everyday: readonly T[], colliding: readonly T[]): fc.Arbitrary<T> {
    const usual = fc.constantFrom(...everyday);
    return colliding.length === 0 ? usual : fc.oneof({ arbitrary: usual, weight: 15 }, { arbitrary: fc.constantFrom(...colliding), weight: 1 });
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const oneOf = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** Drops the keys whose value is undefined (a key left out, as in a stack file). */
const compact = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const service = fc
    .record({ name: SERVICE_NAMES, type: maybe(oneOf(["ClusterIP", "Headless", "NodePort", "LoadBalancer"])), loadBalancerIP: maybe(ADDRESSES) })
    .map((s) => compact({ ...s, loadBalancerIP: s.type === "LoadBalancer" ? s.loadBalancerIP : undefined }));

const release = fc
    .record({
        namespace: maybe(NAMESPACES),
        app: pick([undefined], ["shared", "minio"]),
        split: pick([undefined, "replicas", "ingress", "gateway"], []),
        stable: fc.record({ name: maybe(NAMES), namespace: rarely(NAMESPACES), replicas: fc.integer({ min: 0, max: 3 }) }).map(compact),
        canary: maybe(fc.record({ name: rarely(NAMES), namespace: rarely(pick(["canary"], NAMESPACES_ANY)), weight: fc.integer({ min: 0, max: 100 }) }).map(compact)),
        services: fc.uniqueArray(service, { selector: (x) => x.name, minLength: 1, maxLength: 3 }),
        ingress: maybe(fc.record({ name: maybe(NAMES), host: pick(["app.local", "other.local"], [undefined]), path: maybe(oneOf(["/", "/web"])) }).map(compact)),
        gateway: rarely(fc.record({ className: maybe(pick(["nginx", "envoy"], ["s1"])), loadBalancerIP: maybe(ADDRESSES), dataPlaneNamespace: rarely(oneOf(["kube-system"])) }).map(compact)),
        // Node maintenance: budgets, spread and ephemeral storage, on or off and tuned (their refusals have message tests).
        disruptionBudget: rarely(fc.record({ enabled: fc.boolean(), maxUnavailable: maybe(oneOf([1, 2, "25%"])) }).map(compact)),
        topologySpread: rarely(fc.record({ enabled: fc.boolean(), whenUnsatisfiable: oneOf(["ScheduleAnyway", "DoNotSchedule"]), zone: fc.boolean() })),
        ephemeralStorage: rarely(fc.record({ enabled: fc.boolean(), request: oneOf(["64Mi", "1Gi"]), limit: oneOf(["1Gi", "2Gi"]) })),
    })
    .map(compact);

export const config = fc
    .record({
        releases: fc.dictionary(NAMES, release, { maxKeys: 3 }),
        metallb: fc.record({ addresses: pick([["172.17.255.1-172.17.255.255"], ["172.17.255.0/25", "172.17.255.128/25"]], [["172.17.255.0/24", "172.17.255.10-172.17.255.20"]]) }),
        ingressNginx: fc.record({ enabled: mostly(true), loadBalancerIP: maybe(ADDRESSES) }).map(compact),
        nginxGateway: fc.record({ enabled: mostly(true), className: pick(["nginx"], ["s1", "web"]) }),
        coredns: fc.record({ enabled: mostly(false), address: ADDRESSES }),
        minio: fc
            .record({
                enabled: fc.boolean(),
                name: oneOf(["minio", "web", "store"]),
                namespace: NAMESPACES,
                loadBalancer: fc.record({ enabled: fc.boolean(), name: oneOf(["minio-svc-lb", "minio", "web"]), loadBalancerIP: maybe(ADDRESSES) }).map(compact),
            })
            .map(compact),
        nodeExporter: fc.record({ enabled: fc.boolean(), namespace: pick(["monitoring"], ["default", "dev"]) }),
        access: fc.record({
            accounts: fc.array(fc.record({ name: ACCOUNTS, namespace: NAMESPACES, grant: maybe(fc.record({ clusterRole: GRANTED_ROLES, namespace: maybe(NAMESPACES) }).map(compact)) }).map(compact), {
                maxLength: 4,
            }),
            groups: fc.uniqueArray(fc.record({ namespace: NAMESPACES, clusterRole: GROUP_ROLES, rules: fc.constant([{ resources: ["pods"], verbs: ["get"] }]) }), {
                selector: (g) => g.clusterRole,
                maxLength: 2,
            }),
        }),
        security: fc.record({ networkPolicies: fc.boolean() }),
    })
    .map((c) => ({ ...SECRETS, ...c }));

/** Junk for a mutation: values of every JSON type, some of them near-valid. */
const junk = fc.oneof(fc.constantFrom(-1, 0, 1.5, 70000, "", "x", "Bad_Name", "172.17.255.256", "/", true, null, [], {}, ["x"]), fc.string({ maxLength: 8 }));

/** Every path to a value in a JSON document (for mutations). */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
    if (value !== null && typeof value === "object") return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
    return [at];
}

function mutated(doc: Record<string, unknown>, path: (string | number)[], value: unknown): Record<string, unknown> {
    const copy = structuredClone(doc);
    let node: any = copy;
    for (const part of path.slice(0, -1)) node = node[part];
    node[path[path.length - 1]] = value;
    return copy;
}

/** A config with one value (not the secrets) replaced by junk. */
export const mutatedConfig = config.chain((doc) => {
    const candidates = paths(doc).filter((p) => p.length > 0 && !["minioRootUser", "minioRootPassword"].includes(String(p[0])));
    return fc.tuple(oneOf(candidates), junk).map(([path, value]) => mutated(doc, path, value));
});

/** A config document as the engine hands it over: `project:key` → text. */
export function stackText(doc: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [`bare-metal-platform:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}
