// The platform's `helm test`: a short-lived Job inside `pulumi up`, beside the releases' rollouts,
// that requests every Service of every release and its ingress or gateway route (with the canary
// header where there is a canary) until each page names the expected version. A failure fails
// `pulumi up`, one line per failure, through the Job's termination message, which the kubernetes
// provider's Job await reports. The script is verify.sh, beside this file.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { declared, type DeclaredObject } from "../core/planned";
import { restrictedContainer, restrictedPod } from "../core/security";
import { CLOCK_INIT_IMAGE } from "./clockApp";

/** One request of the verify step and what its page must name. */
export interface VerifyCheck {
    /** The release it belongs to. */
    readonly release: string;
    /** What is requested, as the failure line names it: `Service default/web-svc`, `route app.local/web (canary: always)`. */
    readonly target: string;
    /** The URL requested. */
    readonly url: string;
    /** Headers sent with it (`Host`, the canary header). Defaults to none. */
    readonly headers?: Readonly<Record<string, string>>;
    /** The versions an answer may name (either track's where the split sends to both). */
    readonly versions: readonly string[];
    /** Why nothing is requested: no pod can answer (every track it reaches scaled to 0). The script prints it. */
    readonly skip?: string;
}

/** What {@link Verify} `name` declares: one Job, named by Pulumi after the component (a new one replaces it when a release changes), made by `enabled`. */
export function planVerify(name: string, args: Pick<VerifyArgs, "namespace">): { readonly objects: readonly DeclaredObject[] } {
    return { objects: [declared("Verify", name, { apiVersion: "batch/v1", kind: "Job", namespace: args.namespace, source: { path: ["enabled"], value: true } })] };
}

/** Arguments of {@link Verify}. */
export interface VerifyArgs {
    /** Namespace of the Job (its own, so that the apps' NetworkPolicies can let it in by name). */
    readonly namespace: string;
    /** The requests. An Input: a route's URL holds an address known once its controller gave it. */
    readonly checks: pulumi.Input<readonly VerifyCheck[]>;
    /**
     * What the Job re-runs on: any change of it gives the Job a new pod template, so the Job is
     * replaced and runs again (the releases' config, say). Defaults to the checks alone.
     */
    readonly trigger?: unknown;
    /**
     * How long `pulumi up` waits for the Job. Defaults to 300 s. Its checks are requested again, one
     * second apart, for all of it but 20 s ({@link checkSeconds}): the Job starts beside the rollouts
     * it checks, so a page may name the old version, or nothing answer, until the rollout is done.
     */
    readonly timeoutSeconds?: number;
}

/** What {@link releaseChecks} reads of a release's config. */
export interface VerifiedRelease {
    readonly split: "replicas" | "ingress" | "gateway";
    /** Port nginx listens on: a headless Service's pods are requested on it. */
    readonly port: number;
    readonly stable: { readonly version: string; readonly replicas: number };
    readonly canary?: { readonly version: string; readonly replicas: number; readonly weight: number; readonly header: string };
    readonly ingress?: { readonly host?: string; readonly path: string };
    readonly gateway?: { readonly port: number; readonly dataPlaneNamespace?: string };
}

/**
 * The checks of one release: each of its Services (the versions its selector's track serves: a
 * `track` label names one, none names both), then its route at `address` (the ingress controller's
 * or the Gateway's; none: no route check) — without the canary header the versions the weight can
 * send to, with it the canary's. A track scaled to 0 serves no version: a check whose every version
 * is such a track's is skipped, with the reason, since no pod can answer it (scaling a release to 0
 * is a lab operation, not a failure).
 */
export function releaseChecks(name: string, r: VerifiedRelease, services: readonly k8s.core.v1.Service[], address: pulumi.Input<string | undefined>): pulumi.Output<VerifyCheck[]> {
    const stable = [r.stable.version];
    const canary = r.canary ? [r.canary.version] : [];
    const both = [...stable, ...canary];
    const scaledToZero = [...(r.stable.replicas === 0 ? stable : []), ...(r.canary?.replicas === 0 ? canary : [])];
    /** The check, its versions narrowed to the tracks that have pods; skipped when none has. */
    const served = (check: VerifyCheck): VerifyCheck => {
        const versions = check.versions.filter((v) => !scaledToZero.includes(v));
        return versions.length > 0 ? { ...check, versions } : { ...check, skip: `version ${check.versions.join(" or ")} has no pod (replicas 0)` };
    };
    const serviceChecks = services.map((svc) =>
        pulumi.all([svc.metadata, svc.spec]).apply(([m, spec]): VerifyCheck => {
            const track = spec.selector?.track;
            // A headless Service has no address of its own: its name resolves to the pods, on their port.
            const headless = spec.clusterIP === "None";
            const host = headless || !spec.clusterIP ? `${m.name}.${m.namespace}.svc` : spec.clusterIP;
            const port = headless ? r.port : spec.ports[0].port;
            const versions = track === "canary" && r.canary ? canary : track === "stable" ? stable : both;
            return served({ release: name, target: `Service ${m.namespace}/${m.name}`, url: `http://${host}:${port}/`, versions });
        }),
    );
    return pulumi.all([pulumi.all(serviceChecks), pulumi.output(address)]).apply(([checks, addr]) => {
        if (!r.ingress || addr === undefined) return checks;
        const hostName = r.ingress.host;
        // Clients reach a Gateway's own data plane (NGINX Gateway Fabric's) on the listener's port; a
        // controller shared by every Gateway (k3s's Traefik, `dataPlaneNamespace` set) on its own
        // Service's HTTP port, 80 — its listener's port (8000) is the entry point behind it.
        const port = r.split === "gateway" && r.gateway?.dataPlaneNamespace === undefined ? (r.gateway?.port ?? 80) : 80;
        const url = `http://${addr}${port === 80 ? "" : `:${port}`}${r.ingress.path}`;
        const headers: Record<string, string> = hostName ? { Host: hostName } : {};
        const where = `route ${hostName ?? addr}${r.ingress.path}`;
        const plain = r.split === "replicas" ? both : !r.canary || r.canary.weight === 0 ? stable : r.canary.weight === 100 ? canary : both;
        const routes: VerifyCheck[] = [served({ release: name, target: where, url, headers, versions: plain })];
        if (r.canary && r.split !== "replicas") {
            routes.push(served({ release: name, target: `${where} (${r.canary.header}: always)`, url, headers: { ...headers, [r.canary.header]: "always" }, versions: canary }));
        }
        // ingress-nginx sends a canary's requests only beside a main backend with pods: with the stable
        // track at 0 it answers 503 to every request of the host and path, the canary header's too.
        const mainless = r.split === "ingress" && r.stable.replicas === 0;
        const routeChecks = mainless ? routes.map((c) => ({ ...c, skip: `ingress-nginx answers 503 while the stable track (version ${r.stable.version}) has no pod (replicas 0)` })) : routes;
        return [...checks, ...routeChecks];
    });
}

/** The annotation on the Job's pod template that carries the trigger's hash. */
export const VERIFY_TRIGGER_ANNOTATION = "bmp.local/verify-trigger";
/** busybox's nobody. */
const NOBODY = 65534;

/** The Job's script ({@link verifyEnvironment} gives it the checks), beside this file. */
export const VERIFY_SCRIPT = fs.readFileSync(path.join(__dirname, "verify.sh"), "utf8");

/** What separates the fields of a check in `VERIFY_CHECKS` (ASCII's unit separator: no config value holds it). */
const FIELD = "\x1f";

/**
 * The Job's environment for {@link VERIFY_SCRIPT}: the checks, one a line (release, target, URL,
 * versions, the reason it is skipped, then each header as `Name: value`), and how long they may take
 * together.
 */
export function verifyEnvironment(checks: readonly VerifyCheck[], seconds: number): { name: string; value: string }[] {
    const lines = checks.map((c) => [c.release, c.target, c.url, c.versions.join(" "), c.skip ?? "", ...Object.entries(c.headers ?? {}).map(([k, v]) => `${k}: ${v}`)].join(FIELD));
    return [
        { name: "VERIFY_CHECKS", value: lines.join("\n") },
        { name: "VERIFY_SECONDS", value: String(seconds) },
    ];
}

/**
 * How long the checks may take of the step's time: all of it but 20 s (at least 10 s), which the
 * pod's start and the failure report keep, so that a failed check is reported before the Job's
 * deadline stops the pod.
 */
export function checkSeconds(timeoutSeconds: number): number {
    return Math.max(timeoutSeconds - 20, 10);
}

/** The first 12 hex digits of the SHA-256 of a value's JSON. */
export function triggerHash(value: unknown): string {
    return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 12);
}

/**
 * The verify step: one Job (named by Pulumi, `verify-<suffix>`) whose pod runs {@link VERIFY_SCRIPT}
 * on the checks ({@link verifyEnvironment}).
 * Its pod template carries the trigger's hash, so a change of the releases replaces the Job (a new
 * one runs before the old one is deleted); an unchanged stack leaves it alone. `backoffLimit: 0`: a
 * failed check is a result, not a flake to retry (the script retries each request itself). No
 * `ttlSecondsAfterFinished`: the finished Job and its pod stay until Pulumi deletes them (on
 * replacement or destroy), because a Job the TTL controller deleted is drift that every
 * `pulumi preview --refresh` would propose to recreate. The finished pod holds no address and counts
 * against no quota or budget; a drain deletes it like any finished pod.
 */
export class Verify extends pulumi.ComponentResource {
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: VerifyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:apps:Verify", name, {}, opts);
        const seconds = args.timeoutSeconds ?? 300;
        const timeout = `${seconds}s`;
        const env = pulumi.output(args.checks).apply((checks) => verifyEnvironment(checks, checkSeconds(seconds)));
        const trigger = env.apply((e) => triggerHash({ trigger: args.trigger ?? null, env: e }));
        // Ready (the Job await): once it completed; failed, with its pod's termination message, when a check failed.
        this.job = new k8s.batch.v1.Job(
            name,
            {
                metadata: { namespace: args.namespace, labels: { app: name } },
                spec: {
                    backoffLimit: 0,
                    activeDeadlineSeconds: seconds,
                    template: {
                        metadata: { labels: { app: name }, annotations: { [VERIFY_TRIGGER_ANNOTATION]: trigger } },
                        spec: {
                            restartPolicy: "Never",
                            automountServiceAccountToken: false,
                            securityContext: restrictedPod(NOBODY),
                            containers: [
                                {
                                    name: "verify",
                                    image: CLOCK_INIT_IMAGE,
                                    command: ["sh", "-c", VERIFY_SCRIPT],
                                    env,
                                    terminationMessagePolicy: "FallbackToLogsOnError",
                                    securityContext: restrictedContainer(),
                                    resources: {
                                        requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "16Mi" },
                                        limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" },
                                    },
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this, customTimeouts: { create: timeout, update: timeout } },
        );
        this.registerOutputs({});
    }
}
