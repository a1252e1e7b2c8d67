// Test harness: Pulumi mocks that record every registered resource, fail on unknown function
// calls, and helpers to wait for registrations and read the recorded objects.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { decryptValue, keyFromSaltState } from "../scripts/passphrase";

/** One registered resource as the engine would receive it. */
export interface Recorded {
    readonly type: string;
    readonly name: string;
    readonly inputs: any;
    readonly custom: boolean;
    readonly provider?: string;
}

export const recorded: Recorded[] = [];

pulumi.runtime.setMocks(
    {
        newResource(args) {
            recorded.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? false, provider: args.provider });
            // helm.v4.Chart is a remote component: it reports the objects it rendered in `resources`.
            // A command reports what it printed in `stdout`; the mock prints a marker naming the command.
            // A GeneratedKey reports the key it made in `value`.
            const extra =
                args.type === "kubernetes:helm.sh/v4:Chart"
                    ? { resources: [] }
                    : args.type.startsWith("command:")
                      ? { stdout: `<stdout of ${args.name}>` }
                      : args.type === "pulumi-nodejs:dynamic/platform:GeneratedKey"
                        ? { value: `<key of ${args.name}>` }
                        : {};
            return { id: `${args.name}-id`, state: { ...args.inputs, ...extra, ...autonamed(args.type, args.name, args.inputs) } };
        },
        call(args) {
            throw new Error(`unexpected function call ${args.token} in a mock test`);
        },
    },
    "bare-metal-platform",
    "test",
    false,
);

/** The URN of every registration, in order, as the mock monitor makes it (duplicates kept: the engine refuses them). */
export const registeredUrns: string[] = [];
/**
 * What each registration told the engine it waits for, by "type name": the resource names of its
 * `dependencies` (its dependsOn, a component expanded to its children, and the resources its inputs
 * came from), sorted and once each — the order the engine keeps.
 */
export const dependenciesOf: Record<string, string[]> = {};
/** Each registration by URN: its parent's URN ("" for the stack's own) and the URNs of its `dependencies`. */
export const registrations: { urn: string; parent: string; dependencies: string[] }[] = [];
{
    type Request = { getType(): string; getName(): string; getParent(): string; getDependenciesList(): string[] };
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor() as {
        newUrn: (parent: string, type: string, name: string) => string;
        registerResource: (req: Request, callback: unknown) => unknown;
    };
    const newUrn = monitor.newUrn.bind(monitor);
    monitor.newUrn = (parent, type, name) => {
        const urn = newUrn(parent, type, name);
        registeredUrns.push(urn);
        return urn;
    };
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const names = req.getDependenciesList().map((urn) => urn.slice(urn.lastIndexOf("::") + 2));
        dependenciesOf[`${req.getType()} ${req.getName()}`] = [...new Set(names)].sort();
        registrations.push({ urn: newUrn(req.getParent(), req.getType(), req.getName()), parent: req.getParent(), dependencies: req.getDependenciesList() });
        return registerResource(req, callback);
    };
}

/**
 * A Kubernetes object registered without metadata.name gets one from the provider: the resource's
 * name plus a random suffix. The mock uses the fixed suffix "autoname" so tests can name it.
 */
function autonamed(type: string, name: string, inputs: any): Record<string, unknown> {
    if (!type.startsWith("kubernetes:") || type.startsWith("kubernetes:helm") || type === "pulumi:providers:kubernetes" || inputs.metadata === undefined || inputs.metadata.name !== undefined) {
        return {};
    }
    return { metadata: { ...inputs.metadata, name: `${name}-autoname` } };
}

/** Waits until every registration started so far has reached the mock monitor. */
export async function settle(): Promise<void> {
    // waitForRPCs is internal to the SDK but is what `pulumi` itself awaits before exit.
    const settings = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
}

/** Empties the record (between scenarios in one file). */
export function reset(): void {
    for (const k of Object.keys(dependenciesOf)) delete dependenciesOf[k];
    registrations.length = 0;
    recorded.length = 0;
    registeredUrns.length = 0;
}

export function ofType(type: string): Recorded[] {
    return recorded.filter((r) => r.type === type);
}

/** The one resource of this type and logical name; fails when there is not exactly one. */
export function one(type: string, name: string): Recorded {
    const found = recorded.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type} named ${name}, found ${found.length} (have: ${ofType(type)
                .map((r) => r.name)
                .join(", ")})`,
        );
    }
    return found[0];
}

/** The one Kubernetes object of a type with this metadata.name (and namespace, when given). */
export function k8sObject(type: string, name: string, namespace?: string): Recorded {
    const found = ofType(type).filter((r) => r.inputs.metadata?.name === name && (namespace === undefined || (r.inputs.metadata?.namespace ?? "default") === namespace));
    if (found.length !== 1) {
        throw new Error(`expected one ${type} ${namespace ?? "*"}/${name}, found ${found.length}`);
    }
    return found[0];
}

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** True when a deserialized input value is wrapped as a secret. */
export function isSecretValue(v: any): boolean {
    return v !== null && typeof v === "object" && v[SECRET_SIG] === SECRET_VALUE;
}

/** Every string that appears in a value outside a secret wrapper. */
export function plainStrings(v: any): string[] {
    if (isSecretValue(v)) return [];
    if (typeof v === "string") return [v];
    if (Array.isArray(v)) return v.flatMap(plainStrings);
    if (v && typeof v === "object") return Object.values(v).flatMap(plainStrings);
    return [];
}

/** Every container (init containers included) of every workload recorded, with its owner. */
export function containers(): { owner: Recorded; container: any; init: boolean }[] {
    const workloads = recorded.filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"].includes(r.type));
    return workloads.flatMap((owner) => {
        const spec = owner.inputs.spec.template.spec;
        return [...(spec.initContainers ?? []).map((c: any) => ({ owner, container: c, init: true })), ...spec.containers.map((c: any) => ({ owner, container: c, init: false }))];
    });
}

const ROOT = path.join(__dirname, "..");
/** The dev stack's passphrase (dev only; documented in docs/stacks-and-state.md). */
export const DEV_PASSPHRASE = "bare-metal-lab";

/**
 * A stack file's config as the engine hands it to the program: `project:key` → string, objects as
 * JSON, secure values decrypted with the passphrase (or taken from `secrets` when none is given).
 */
export function stackConfig(stack: string, passphrase?: string, secrets: Record<string, string> = {}): { config: Record<string, string>; secretKeys: string[] } {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    const key = passphrase === undefined ? undefined : keyFromSaltState(passphrase, doc.encryptionsalt);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries<any>(doc.config ?? {})) {
        if (v && typeof v === "object" && "secure" in v) {
            if (!key) throw new Error(`${k} is encrypted and no passphrase was given`);
            config[k] = decryptValue(key, v.secure);
            secretKeys.push(k);
        } else {
            config[k] = typeof v === "object" ? JSON.stringify(v) : String(v);
        }
    }
    for (const [k, v] of Object.entries(secrets)) {
        config[`bare-metal-platform:${k}`] = v;
        secretKeys.push(`bare-metal-platform:${k}`);
    }
    return { config, secretKeys };
}

/** A probe's port, whether httpGet, tcpSocket or grpc. */
function probePort(probe: any): number | string | undefined {
    return probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
}

/**
 * The secure-default rules every recorded container must meet, as readable problems (empty when all
 * pass): probes on an exposed port (not for init containers), requests and limits (ephemeral-storage too), an image pinned by
 * tag, no privilege escalation, non-root (pod or container level), no service account token,
 * RuntimeDefault seccomp, all capabilities dropped, read-only root filesystem.
 */
export function securityProblems(): string[] {
    const problems: string[] = [];
    for (const { owner, container: c, init } of containers()) {
        const where = `${owner.inputs.metadata.namespace}/${owner.inputs.metadata.name}/${c.name}`;
        const exposed = (c.ports ?? []).flatMap((p: any) => [p.containerPort, p.name]);
        if (!init) {
            for (const kind of ["readinessProbe", "livenessProbe"]) {
                const port = probePort(c[kind]);
                if (port === undefined) problems.push(`${where}: no ${kind}`);
                else if (!exposed.includes(port)) problems.push(`${where}: ${kind} on port ${port}, which it does not expose (${exposed.join(", ")})`);
            }
        }
        for (const k of ["requests", "limits"]) {
            if (!c.resources?.[k]?.cpu || !c.resources?.[k]?.memory) problems.push(`${where}: no cpu/memory ${k}`);
            // A full node disk evicts pods at random unless each says what it may fill.
            if (!c.resources?.[k]?.["ephemeral-storage"]) problems.push(`${where}: no ephemeral-storage ${k}`);
        }
        if (!/:[^/]+$/.test(c.image) || c.image.endsWith(":latest")) problems.push(`${where}: image ${c.image} is not pinned`);
        if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: may escalate privileges`);
        if (c.securityContext?.privileged) problems.push(`${where}: privileged`);
        const pod = owner.inputs.spec.template.spec;
        if (!(c.securityContext?.runAsNonRoot || pod.securityContext?.runAsNonRoot)) problems.push(`${where}: may run as root`);
        if (pod.automountServiceAccountToken !== false) problems.push(`${where}: mounts a service account token`);
        if ((c.securityContext?.seccompProfile ?? pod.securityContext?.seccompProfile)?.type !== "RuntimeDefault") problems.push(`${where}: no RuntimeDefault seccomp profile`);
        if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where}: keeps its capabilities`);
        if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}: writable root filesystem`);
    }
    return problems;
}

/** The recorded Kubernetes resources as the policy pack sees them (type, name, input props). */
export function policyResources(): { type: string; name: string; urn: string; props: any }[] {
    return recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => ({ type: r.type, name: r.name, urn: `urn:${r.type}::${r.name}`, props: r.inputs }));
}

/**
 * Every Kubernetes object the program registered, as `<type> <resource name> <namespace>/<name>`
 * (`<named by Pulumi>` for an autonamed one), sorted: the charts' objects aside (a chart renders them
 * itself), and the provider.
 */
export function registeredObjects(): string[] {
    return recorded
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"))
        .map((r) => `${r.type} ${r.name} ${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name ?? "<named by Pulumi>"}`)
        .sort();
}

/**
 * What `pulumi up` waits for, one line per Service, Ingress, Gateway and HTTPRoute registered:
 * "<kind> <namespace>/<name> <Service type> <skipAwait | the waitFor expression>", sorted.
 */
export function readinessLines(): string[] {
    const kinds = ["kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:gateway.networking.k8s.io/v1:Gateway", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"];
    return recorded
        .filter((r) => kinds.includes(r.type))
        .map((r) => {
            const a = r.inputs.metadata.annotations ?? {};
            return `${r.inputs.kind} ${r.inputs.metadata.namespace}/${r.inputs.metadata.name} ${r.inputs.spec.type ?? ""} ${a["pulumi.com/skipAwait"] ? "skipAwait" : a["pulumi.com/waitFor"]}`;
        })
        .sort();
}
