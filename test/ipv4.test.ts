import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIpv4, parseIpv4, parseIpv4Range, poolContains } from "../components/network/ipv4";

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
