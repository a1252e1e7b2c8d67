// Shared schema primitives: names, numbers, quantities, addresses, images and chart sources. Every
// message names what is allowed; the key and the value are added by formatIssue, so a bad value
// reads: `key: "value" is not <what is allowed>`.
import { z } from "zod";
import { parseIpv4, parseIpv4Range } from "../components/network/ipv4";
import { compareQuantities, INT32_MAX, isDns1123Subdomain, isIngressHost, isLabelValue, isPathSegmentName, parseImageReference, parseQuantity, percentValue, trimDecodedSpace } from "./grammar";

/** A config path, as zod reports it: `["releases", "web", "services", 0, "name"]`. */
export type ConfigPath = readonly (string | number)[];
/** Adds one problem at a config path (the cross checks' only way to report). */
export type Report = (path: ConfigPath, message: string) => void;

/** A config path as the user writes it: `releases.web.services[0].name`. */
export function formatPath(path: ConfigPath | readonly PropertyKey[]): string {
    return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), "");
}

/** Renders a config value for an error message (JSON, shortened). */
export function renderValue(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** An error option whose message reads `"value" is not <expected>` (or `is required; …`). */
export function expected(what: string) {
    return {
        error: (issue: { input?: unknown }) => (issue.input === undefined ? `is required (expected ${what})` : `${renderValue(issue.input)} is not ${what}`),
    };
}

/** A string matching `pattern`; anything else reads `"value" is not <what>`. */
export function matching(pattern: RegExp, what: string) {
    return z.string(expected(what)).regex(pattern, expected(what));
}

/** An object schema whose missing value is its own defaults (every key at its default). */
export function withDefaults<T extends z.ZodObject>(schema: T) {
    return schema.default(schema.parse({}) as z.core.util.NoUndefined<z.output<T>>);
}

/** A non-empty string; anything else reads `"value" is not <what>`. */
export function nonEmpty(what: string) {
    return z.string(expected(what)).min(1, expected(what));
}

/** Edit distance between two keys (for "did you mean" in unknown-key messages). */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

/** The known key nearest to `key` when it is a plausible misspelling (at most a third of it differs). */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = distance(key, k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    return best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 3)) ? best : undefined;
}

/** The message for an unknown key: the nearest known key if any, and every allowed one. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
    const near = nearestKey(key, known);
    return `unknown key (${near === undefined ? "" : `did you mean "${near}"? `}allowed: ${known.join(", ")})`;
}

/** How strict() hands its allowed keys to unknownKeyLines (zod's issue does not carry them). */
const KNOWN_KEYS = "\u0000known:";

/** A strict object: an unknown key is refused by name (see unknownKeyLines), other values by what is allowed. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
    const known = Object.keys(shape);
    const allowed = known.join(", ");
    return z.strictObject(shape, {
        error: (issue) => {
            if (issue.code === "unrecognized_keys") {
                return `${KNOWN_KEYS}${JSON.stringify(known)}`;
            }
            return issue.input === undefined ? `is required (expected an object with keys ${allowed})` : `${renderValue(issue.input)} is not an object (expected keys ${allowed})`;
        },
    });
}

/** One line per unknown key of a strict object's issue (`metallb.adresses: unknown key (did you mean …)`); undefined for other issues. */
export function unknownKeyLines(issue: z.core.$ZodIssue): string[] | undefined {
    if (issue.code !== "unrecognized_keys" || !issue.message.startsWith(KNOWN_KEYS)) {
        return undefined;
    }
    const known = JSON.parse(issue.message.slice(KNOWN_KEYS.length)) as string[];
    return issue.keys.map((key) => `${formatPath([...(issue.path as ConfigPath), key])}: ${unknownKeyMessage(key, known)}`);
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain (IsDNS1123Subdomain): dot-separated DNS labels, at most 253 in all. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL_WHAT = "a DNS label (lowercase letters, digits and '-', at most 63)";
const DNS_SUBDOMAIN_WHAT = "a DNS name (lowercase letters, digits and '-', in labels separated by '.', at most 253)";
const LABEL_VALUE_WHAT = "a label value (letters, digits, '-', '_' and '.', a letter or digit at both ends, at most 63)";
const HOST_WHAT = 'a host name such as "app.local" or "*.app.local" (a DNS name, not an IP address)';
const RBAC_NAME_WHAT = "an RBAC name (not empty, \".\" or \"..\"; no '/' or '%')";
export const dnsLabel = matching(DNS_LABEL, DNS_LABEL_WHAT);
/** A name the API server takes for a Service: a DNS-1035 label (starts with a letter). */
export const serviceName = matching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Service name (a DNS-1035 label: a lowercase letter first, then letters, digits and '-', at most 63)");
export const dnsName = z.string(expected(DNS_SUBDOMAIN_WHAT)).refine(isDns1123Subdomain, expected(DNS_SUBDOMAIN_WHAT));
/** A label value (IsValidLabelValue): empty, or letters, digits, '-', '_' and '.' with a letter or digit at both ends. */
export const labelValue = z.string(expected(LABEL_VALUE_WHAT)).refine(isLabelValue, expected(LABEL_VALUE_WHAT));
/** An Ingress host: a DNS name, or a wildcard `*.` + one; never an IP address (the API server's rule). */
export const ingressHost = z.string(expected(HOST_WHAT)).refine(isIngressHost, expected(HOST_WHAT));
/** An RBAC name (ClusterRole, binding, roleRef): anything but "", "." and "..", without '/' or '%' (path.IsValidPathSegmentName). */
export const rbacName = z.string(expected(RBAC_NAME_WHAT)).refine(isPathSegmentName, expected(RBAC_NAME_WHAT));
export const bool = z.boolean(expected("true or false"));

export function intIn(min: number, max: number) {
    const what = `a whole number from ${min} to ${max}`;
    return z.number(expected(what)).int(expected(what)).min(min, expected(what)).max(max, expected(what));
}

/** A chart source: repository URL and an exact version (no ranges). */
export function chartSource(defaults: { repo: string; version: string }) {
    return strict({
        repo: matching(/^(https?|oci):\/\/\S+$/, "an http(s) or oci:// chart repository URL")
            .default(defaults.repo)
            .describe("Chart repository: an http(s) URL or an oci:// registry path."),
        version: matching(/^\d+\.\d+\.\d+$/, 'an exact chart version such as "1.2.3" (ranges and "latest" are not allowed)')
            .default(defaults.version)
            .describe("Exact chart version (no ranges)."),
    }).default(defaults);
}

/**
 * An image reference the container runtime can pull (the API server does not check it), pinned by a
 * tag or a digest, never `latest`.
 */
const PINNED = 'an image pinned by tag or digest, such as "repo/name:1.2.3"';
export const pinnedImage = z
    .string(expected(PINNED))
    .refine((s) => parseImageReference(s) !== undefined, expected(`${PINNED} (a reference the container runtime can parse: lowercase repository, tag of letters, digits, '_', '.', '-')`))
    .refine(
        (s) => {
            const ref = parseImageReference(s);
            return ref === undefined || ref.tag !== undefined || ref.digest !== undefined;
        },
        expected(`${PINNED} (without a tag or digest the runtime pulls "latest")`),
    )
    .refine((s) => parseImageReference(s)?.tag !== "latest", expected('an image pinned by tag or digest (":latest" is not a pin)'));

const IPV4 = 'an IPv4 address such as "172.17.255.2"';
export const ipv4Address = z.string(expected(IPV4)).refine((s) => parseIpv4(s) !== undefined, expected(IPV4));
const IPV4_RANGE = 'an IPv4 range (expected "A.B.C.D-E.F.G.H" or a CIDR)';
export const ipv4Pool = z.string(expected(IPV4_RANGE)).refine((s) => parseIpv4Range(s) !== undefined, expected(IPV4_RANGE));

/**
 * maxSurge / maxUnavailable: a whole number (an int32, at least 0) or a percentage ("150%": surge may
 * exceed 100 %), as the API server takes them. maxUnavailable's cap of 100 % and "not both zero" are
 * rules across the two (rollingProblem).
 */
const INT_OR_PERCENT = 'a whole number from 0 or a percentage such as "25%"';
export const intOrPercent = z.union([intIn(0, INT32_MAX), z.string().refine((s) => percentValue(s) !== undefined, expected(INT_OR_PERCENT))], expected(INT_OR_PERCENT));

/**
 * A resource quantity as the API server parses it (ParseQuantity: "100m", "1.5Gi", "1e3", "2k"…),
 * at least `min`. A number is taken as its decimal text (YAML's `cpu: 1`), and the spaces the
 * API server's decoder would trim are trimmed.
 */
function quantityAtLeast(min: "0" | "above 0", what: string) {
    const example = what === "cpu" ? '"100m" or "1.5"' : what === "memory" ? '"64Mi" or "1.5Gi"' : '"10Gi" or "1.5Gi"';
    const allowed = `a ${what} quantity such as ${example} (a decimal number with an optional suffix m, k, M, G, T, P, E, Ki … Ei or exponent; ${min === "0" ? "at least 0" : "above 0"})`;
    return z
        .union([z.string(), z.number().refine(Number.isFinite)], expected(allowed))
        .transform((v) => trimDecodedSpace(String(v)))
        .refine((s) => {
            const q = parseQuantity(s);
            return q !== undefined && (min === "0" ? !q.negative : !q.negative && q.digits !== 0n);
        }, expected(allowed));
}
/** A storage request: a quantity above 0 (the API server refuses an empty claim). */
export const quantity = quantityAtLeast("above 0", "storage");
export const cpu = quantityAtLeast("0", "cpu");
export const memory = quantityAtLeast("0", "memory");

/** a - b's sign for two quantities the schema accepted. */
function compareQuantityText(a: string, b: string): number {
    const [x, y] = [parseQuantity(a), parseQuantity(b)];
    return x === undefined || y === undefined ? 0 : compareQuantities(x, y);
}

/** A container's requests and limits, as the components take them. */
export interface ResourceDefaults {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * Container requests and limits with the defaults of one part (a release's, MinIO's): a key left out
 * keeps that part's default, so `limits.memory` alone changes only that limit. A request above its
 * limit is refused (the API server would).
 */
export function resourcesSchema(defaults: ResourceDefaults) {
    const { requests, limits } = defaults;
    return withDefaults(
        strict({
            requests: withDefaults(strict({ cpu: cpu.default(requests.cpu).describe("CPU request."), memory: memory.default(requests.memory).describe("Memory request.") })).describe(
                "What the scheduler reserves.",
            ),
            limits: withDefaults(strict({ cpu: cpu.default(limits.cpu).describe("CPU limit."), memory: memory.default(limits.memory).describe("Memory limit.") })).describe(
                "What the container may use at most; each at least its request.",
            ),
        }).superRefine((r, ctx) => {
            if (compareQuantityText(r.requests.cpu, r.limits.cpu) > 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["requests", "cpu"],
                    message: `${renderValue(r.requests.cpu)} is above limits.cpu ${renderValue(r.limits.cpu)} (expected a request at most its limit)`,
                });
            }
            if (compareQuantityText(r.requests.memory, r.limits.memory) > 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["requests", "memory"],
                    message: `${renderValue(r.requests.memory)} is above limits.memory ${renderValue(r.limits.memory)} (expected a request at most its limit)`,
                });
            }
        }),
    );
}
