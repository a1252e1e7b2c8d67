import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIpv4, parseIpv4, parseIpv4Range, poolContains, poolWithout } from "../components/network/ipv4";

describe("ipv4", () => {
    it("parses dotted quads and refuses anything else", () => {
        assert.equal(parseIpv4("172.17.255.1"), ((172 * 256 + 17) * 256 + 255) * 256 + 1);
        assert.deepEqual(["256.0.0.1", "1.2.3", "01.2.3.4", "a.b.c.d", "1.2.3.4.5"].map(parseIpv4), [undefined, undefined, undefined, undefined, undefined]);
        assert.equal(formatIpv4(parseIpv4("10.20.30.40")!), "10.20.30.40");
    });
    it("parses the lab's range and CIDRs", () => {
        const r = parseIpv4Range("172.17.255.1-172.17.255.255")!;
        assert.deepEqual([formatIpv4(r.first), formatIpv4(r.last)], ["172.17.255.1", "172.17.255.255"]);
        const c = parseIpv4Range("192.168.56.77/28")!;
        assert.deepEqual([formatIpv4(c.first), formatIpv4(c.last)], ["192.168.56.64", "192.168.56.79"]);
        assert.equal(parseIpv4Range("10.0.0.9-10.0.0.1"), undefined);
    });
    it("answers pool membership", () => {
        const pool = ["172.17.255.1-172.17.255.255", "10.0.0.0/30"];
        assert.deepEqual(
            ["172.17.255.2", "172.17.254.9", "10.0.0.3", "10.0.0.4", "nonsense"].map((ip) => poolContains(pool, ip)),
            [true, false, true, false, false],
        );
    });
});

describe("poolWithout", () => {
    it("cuts pinned addresses out of ranges and CIDRs, keeping the rest as ranges", () => {
        assert.deepEqual(poolWithout(["172.17.255.1-172.17.255.255"], ["172.17.255.2", "172.17.255.3"]), ["172.17.255.1/32", "172.17.255.4-172.17.255.255"]);
        assert.deepEqual(poolWithout(["10.0.0.0/30"], ["10.0.0.0", "10.0.0.3", "192.168.1.1"]), ["10.0.0.1-10.0.0.2"]);
        assert.deepEqual(poolWithout(["10.0.0.5/32"], ["10.0.0.5"]), []);
    });
});

describe("poolWithout, property: exactly the pool's addresses minus the excluded ones, none twice", () => {
    it("holds for 300 generated pools and exclusions", () => {
        let seed = 42;
        const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
        const base = parseIpv4("10.1.0.0") as number;
        for (let i = 0; i < 300; i++) {
            const first = base + rand(200);
            const pool = [`${formatIpv4(first)}-${formatIpv4(first + rand(40))}`, `${formatIpv4(base + 300 + rand(8) * 4)}/30`];
            const excluded = Array.from({ length: rand(6) }, () => formatIpv4(base + rand(320)));
            const expand = (entries: string[]) =>
                entries.flatMap((e) => {
                    const r = parseIpv4Range(e) as { first: number; last: number };
                    return Array.from({ length: r.last - r.first + 1 }, (_, k) => r.first + k);
                });
            const got = expand(poolWithout(pool, excluded));
            const want = [...new Set(expand(pool))].filter((ip) => !excluded.map(parseIpv4).includes(ip));
            assert.deepEqual(
                [...got].sort((a, b) => a - b),
                want.sort((a, b) => a - b),
                JSON.stringify({ pool, excluded }),
            );
            assert.equal(new Set(got).size, got.length);
        }
    });
});
