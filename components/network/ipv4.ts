// IPv4 address arithmetic for MetalLB pools: parse "A.B.C.D-E.F.G.H" ranges and CIDRs,
// and answer whether an address lies inside a pool.

/** An inclusive range of IPv4 addresses, as 32-bit unsigned integers. */
export interface Ipv4Range {
    readonly first: number;
    readonly last: number;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** Parses a dotted-quad address; returns undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) {
        return undefined;
    }
    let value = 0;
    for (const part of parts) {
        if (!OCTET.test(part) || Number(part) > 255) {
            return undefined;
        }
        value = value * 256 + Number(part);
    }
    return value;
}

/** Formats a 32-bit unsigned integer as a dotted quad. */
export function formatIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parses a MetalLB address entry: "A.B.C.D-E.F.G.H" (first ≤ last) or "A.B.C.D/N" (N from 0 to 32).
 * Returns undefined when the text is neither.
 */
export function parseIpv4Range(text: string): Ipv4Range | undefined {
    const dash = text.split("-");
    if (dash.length === 2) {
        const first = parseIpv4(dash[0].trim());
        const last = parseIpv4(dash[1].trim());
        if (first === undefined || last === undefined || first > last) {
            return undefined;
        }
        return { first, last };
    }
    const slash = text.split("/");
    // The prefix length as Go's net.ParseCIDR (MetalLB) reads it: decimal digits, leading zeros allowed.
    if (slash.length === 2 && /^\d+$/.test(slash[1]) && Number(slash[1]) <= 32) {
        const base = parseIpv4(slash[0]);
        if (base === undefined) {
            return undefined;
        }
        const size = 2 ** (32 - Number(slash[1]));
        const first = base - (base % size);
        return { first, last: first + size - 1 };
    }
    return undefined;
}

/** True when `address` is inside one of the `pool` entries (each a range or a CIDR). */
export function poolContains(pool: readonly string[], address: string): boolean {
    const ip = parseIpv4(address);
    if (ip === undefined) {
        return false;
    }
    return pool.some((entry) => {
        const range = parseIpv4Range(entry);
        return range !== undefined && ip >= range.first && ip <= range.last;
    });
}

/**
 * The pool's addresses without `excluded`, as "A.B.C.D-E.F.G.H" ranges (a single address as
 * "A.B.C.D/32"), in order. Used to keep addresses that Services pin out of automatic assignment.
 */
export function poolWithout(pool: readonly string[], excluded: readonly string[]): string[] {
    const out = new Set(excluded.map(parseIpv4).filter((v): v is number => v !== undefined));
    const pieces: string[] = [];
    const emit = (first: number, last: number) => pieces.push(first === last ? `${formatIpv4(first)}/32` : `${formatIpv4(first)}-${formatIpv4(last)}`);
    for (const entry of pool) {
        const range = parseIpv4Range(entry);
        if (range === undefined) continue;
        let start = range.first;
        for (const ip of [...out].filter((v) => v >= range.first && v <= range.last).sort((a, b) => a - b)) {
            if (ip > start) emit(start, ip - 1);
            start = ip + 1;
        }
        if (start <= range.last) emit(start, range.last);
    }
    return pieces;
}
