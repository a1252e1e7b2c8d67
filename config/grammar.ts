// Kubernetes' own grammar for the values the config puts into objects, as the API server applies it:
// names and label values (k8s.io/apimachinery/pkg/util/validation), resource quantities
// (k8s.io/apimachinery/pkg/api/resource, ParseQuantity), int-or-percent (apps validation), Ingress
// hosts and paths (networking validation), RBAC names (path segment names) and image references as
// the container runtime parses them (github.com/distribution/reference, ParseNormalizedNamed).
// Plain functions, so that the schema and its tests share one definition; test/grammar.test.ts holds
// them to apimachinery's own test vectors and test/e2e/configfields.e2e.ts to the real API server.

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const WILDCARD_DNS1123_SUBDOMAIN = new RegExp(`^\\*\\.${LABEL}(\\.${LABEL})*$`);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** IsDNS1123Label: the names of namespaces and most objects' names that end up in DNS. */
export function isDns1123Label(s: string): boolean {
    return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** IsDNS1123Subdomain: most object names (Deployments, Ingresses, ServiceAccounts…), storage classes. */
export function isDns1123Subdomain(s: string): boolean {
    return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** IsDNS1035Label: Service names (a letter first). */
export function isDns1035Label(s: string): boolean {
    return s.length <= 63 && DNS1035_LABEL.test(s);
}

/** IsValidLabelValue: empty, or at most 63 of letters, digits, '-', '_', '.', alphanumeric at both ends. */
export function isLabelValue(s: string): boolean {
    return s.length <= 63 && LABEL_VALUE.test(s);
}

/** k8s.io/utils/net ParseIPSloppy's IPv4 form: four decimal parts of at most 255, leading zeros allowed. */
export function isSloppyIpv4(s: string): boolean {
    const parts = s.split(".");
    return parts.length === 4 && parts.every((p) => /^\d+$/.test(p) && Number(p) <= 255);
}

/** An Ingress rule's host: a DNS subdomain or `*.` + one, never an IP address. */
export function isIngressHost(s: string): boolean {
    if (s.includes("*")) return s.length <= 253 && WILDCARD_DNS1123_SUBDOMAIN.test(s);
    return isDns1123Subdomain(s) && !isSloppyIpv4(s);
}

/** Why the API server refuses an Ingress path of pathType Prefix, or undefined when it takes it. */
export function ingressPrefixPathProblem(p: string): string | undefined {
    if (!p.startsWith("/")) return "must be an absolute path";
    const sequence = ["//", "/./", "/../", "%2f", "%2F"].find((s) => p.includes(s));
    if (sequence !== undefined) return `must not contain '${sequence}'`;
    const suffix = ["/..", "/."].find((s) => p.endsWith(s));
    return suffix === undefined ? undefined : `cannot end with '${suffix}'`;
}

/** An RBAC object or roleRef name (path.IsValidPathSegmentName): not "." or "..", no '/' or '%'. */
export function isPathSegmentName(s: string): boolean {
    return s !== "" && s !== "." && s !== ".." && !/[/%]/.test(s);
}

/** A strategy's percentage ("25%" → 25n): the rollout's own reading (components/apps/strategy.ts), which the checks share. */
export { percentValue } from "../components/apps/strategy";

/** int32 bounds: what a JSON integer in an int32 field may be. */
export const INT32_MAX = 2 ** 31 - 1;

// --- resource quantities --------------------------------------------------------------------------

/**
 * A quantity's exact value: `digits × 10^exp10`, negative when `negative`. Kept as a power of ten
 * because a valid quantity may be 1e999999999 (the API server keeps its scale, not its digits).
 */
export interface Quantity {
    readonly negative: boolean;
    readonly digits: bigint;
    readonly exp10: number;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const INT64_MAX = 2n ** 63n - 1n;
const SUFFIX_CHARS = "eEinumkKMGTP";

/** parseQuantityString: sign, numerator, fraction and suffix, or undefined (ErrFormatWrong). */
function scanQuantity(str: string): { positive: boolean; value: string; num: string; denom: string; suffix: string } | undefined {
    let positive = true;
    let pos = 0;
    const end = str.length;
    if (str[0] === "-" || str[0] === "+") {
        positive = str[0] !== "-";
        pos++;
    }
    while (pos < end && str[pos] === "0") pos++;
    if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
    let i = pos;
    while (i < end && /[0-9]/.test(str[i])) i++;
    let num = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom: "", suffix: "" };
    pos = i;
    if (num === "") num = "0";
    let denom = "";
    if (str[pos] === ".") {
        pos++;
        i = pos;
        while (i < end && /[0-9]/.test(str[i])) i++;
        denom = str.slice(pos, i);
        if (i >= end) return { positive, value: str, num, denom, suffix: "" };
        pos = i;
    }
    const value = str.slice(0, pos);
    const suffixStart = pos;
    while (pos < end && SUFFIX_CHARS.includes(str[pos])) pos++;
    if (pos >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
    if (str[pos] === "-" || str[pos] === "+") pos++;
    while (pos < end && /[0-9]/.test(str[pos])) pos++;
    return pos >= end ? { positive, value, num, denom, suffix: str.slice(suffixStart) } : undefined;
}

/** The suffix's base and exponent (suffixHandler.interpret), or undefined (ErrSuffix). */
function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: "DecimalSI" | "BinarySI" | "DecimalExponent" } | undefined {
    if (suffix in DECIMAL_SUFFIXES) return { base: 10, exponent: DECIMAL_SUFFIXES[suffix], format: "DecimalSI" };
    if (suffix in BINARY_SUFFIXES) return { base: 2, exponent: BINARY_SUFFIXES[suffix], format: "BinarySI" };
    if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
        // strconv.ParseInt(s, 10, 64), then Go's int32 conversion (which wraps).
        if (!/^[+-]?[0-9]+$/.test(suffix.slice(1))) return undefined;
        const parsed = BigInt(suffix.slice(1));
        if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) return undefined;
        return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
    }
    return undefined;
}

/** Drops trailing zeros of `digits` into the exponent (a canonical form for comparisons). */
function normal(negative: boolean, digits: bigint, exp10: number): Quantity {
    if (digits === 0n) return { negative: false, digits: 0n, exp10: 0 };
    while (digits % 10n === 0n) {
        digits /= 10n;
        exp10++;
    }
    return { negative, digits, exp10 };
}

/**
 * ParseQuantity: the quantity a string is, or undefined where the API server refuses it. Mirrors
 * apimachinery's fast path (exact, uncapped) and its slow path (rounded up to 1n, and capped at
 * 2^63-1 for SI suffixes). The JSON decoder trims surrounding spaces first: see trimGoSpace.
 */
export function parseQuantity(str: string): Quantity | undefined {
    if (str.length === 0) return undefined;
    if (str === "0") return normal(false, 0n, 0);
    const scanned = scanQuantity(str);
    if (scanned === undefined) return undefined;
    const { positive, value, num, denom } = scanned;
    const suffix = interpretSuffix(scanned.suffix);
    if (suffix === undefined) return undefined;
    const { base, exponent, format } = suffix;

    let precision: number;
    let scale = 0;
    let mantissa = 1n;
    if (format === "BinarySI") {
        if (exponent >= 0 && denom.length === 0) {
            mantissa = 1n << BigInt(exponent);
            precision = 15 - num.length - Math.trunc(Math.fround((exponent * 3) / 10)) - 1;
        } else {
            precision = -1;
        }
    } else {
        scale = exponent;
        precision = 18 - (num.length + denom.length);
    }
    if (precision >= 0) {
        scale -= denom.length;
        if (scale >= -9) {
            const shifted = BigInt(num + denom);
            const result = shifted * mantissa;
            if (result <= INT64_MAX) return normal(!positive, result, scale);
        }
    }
    // The slow path: inf.Dec's SetString (needs a digit), the suffix applied, rounded up, capped.
    const match = /^[+-]?([0-9]*)(?:\.([0-9]*))?$/.exec(value);
    if (match === null || (match[1] + (match[2] ?? "")).length === 0) return undefined;
    const fraction = match[2] ?? "";
    let digits = BigInt(match[1] + fraction);
    let exp10 = -fraction.length;
    if (base === 10) exp10 += exponent;
    else digits *= 1n << BigInt(exponent);
    let q = normal(false, digits, exp10);
    if (q.digits !== 0n && q.exp10 < -9) {
        // Round away from zero to nano; anything below 1n becomes 1n.
        const drop = -9 - q.exp10;
        const size = q.digits.toString().length;
        q = drop >= size ? normal(false, 1n, -9) : normal(false, (q.digits + 10n ** BigInt(drop) - 1n) / 10n ** BigInt(drop), -9);
    }
    if (format !== "DecimalExponent" && compareQuantities(q, normal(false, INT64_MAX, 0)) > 0) q = normal(false, INT64_MAX, 0);
    return { ...q, negative: !positive && q.digits !== 0n };
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
    const sign = (q: Quantity) => (q.digits === 0n ? 0 : q.negative ? -1 : 1);
    if (sign(a) !== sign(b)) return Math.sign(sign(a) - sign(b));
    if (sign(a) === 0) return 0;
    const magnitude = (q: Quantity) => q.digits.toString().length + q.exp10;
    let order: number;
    if (magnitude(a) !== magnitude(b)) {
        order = Math.sign(magnitude(a) - magnitude(b));
    } else {
        const low = Math.min(a.exp10, b.exp10);
        const x = a.digits * 10n ** BigInt(a.exp10 - low);
        const y = b.digits * 10n ** BigInt(b.exp10 - low);
        order = x === y ? 0 : x > y ? 1 : -1;
    }
    return sign(a) * order;
}

/**
 * The spaces the API server trims off a quantity: its decoder applies Go's strings.TrimSpace to the
 * raw JSON text, so only the spaces that JSON carries unescaped count (a tab arrives as `\t`, which
 * is not trimmed, and so are U+2028/U+2029, which Go's encoder escapes).
 */
export function trimDecodedSpace(s: string): string {
    return s.replace(/^[ \u0085\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+|[ \u0085\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+$/g, "");
}

// --- image references -----------------------------------------------------------------------------

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);
/** The digest algorithms the runtime knows, with their encoded lengths (opencontainers/go-digest). */
const DIGESTS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * An image reference as the container runtime parses it (ParseNormalizedNamed): an optional
 * registry, a lowercase repository path of at most 255 characters, an optional tag and an optional
 * digest of a known algorithm. Returns its tag and digest, or undefined when it does not parse.
 */
export function parseImageReference(s: string): { name: string; tag?: string; digest?: string } | undefined {
    if (/^[a-f0-9]{64}$/.test(s)) return undefined;
    const slash = s.indexOf("/");
    const first = slash === -1 ? "" : s.slice(0, slash);
    // Without a registry (docker.io implied) the whole path must be lowercase; a registry may not be.
    const domain = slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) ? first : "";
    const rest = domain === "" ? s : s.slice(slash + 1);
    const m = REFERENCE.exec(domain === "" ? rest : `${domain}/${rest}`);
    if (m === null || (domain === "" && /[A-Z]/.test(rest.split(/[:@]/)[0])) || m[1].length > 255) return undefined;
    if (m[3] !== undefined) {
        const [algorithm, encoded] = m[3].split(":");
        if (DIGESTS[algorithm] !== encoded.length || !/^[a-f0-9]+$/.test(encoded)) return undefined;
    }
    return { name: m[1], tag: m[2], digest: m[3] };
}
