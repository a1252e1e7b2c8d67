// Kubernetes' grammar (config/grammar.ts) on the test vectors of k8s.io/apimachinery's own tests
// (util/validation/validation_test.go, api/resource/quantity_test.go) and the container runtime's
// reference tests; the real API server judges the rest in test/e2e/configfields.e2e.ts.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { DELIBERATE_RULES } from "../config/deliberate";
import {
    compareQuantities,
    ingressPrefixPathProblem,
    isDns1035Label,
    isDns1123Label,
    isDns1123Subdomain,
    isIngressHost,
    isLabelValue,
    isPathSegmentName,
    parseImageReference,
    parseQuantity,
    percentValue,
    trimDecodedSpace,
} from "../config/grammar";

const accepts = (f: (s: string) => boolean, values: string[]) =>
    assert.deepEqual(
        values.filter((v) => !f(v)),
        [],
    );
const refuses = (f: (s: string) => boolean, values: string[]) => assert.deepEqual(values.filter(f), []);

describe("names and label values, as apimachinery's validation tests have them", () => {
    it("DNS-1123 labels", () => {
        accepts(isDns1123Label, ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2", "a".repeat(63)]);
        refuses(isDns1123Label, [
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "_a",
            "a_b",
            "1_",
            "_1",
            "1_2",
            ".",
            "a.",
            ".a",
            "a.b",
            "1.",
            ".1",
            "1.2",
            " ",
            "a ",
            " a",
            "a b",
            "1 ",
            " 1",
            "1 2",
            "a".repeat(64),
        ]);
    });
    it("DNS-1123 subdomains", () => {
        accepts(isDns1123Subdomain, [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "012",
            "1a",
            "1-a",
            "1--a--b--2",
            "a.a",
            "ab.a",
            "abc.a",
            "a1.a",
            "a-1.a",
            "a--1--2--b.a",
            "a.1",
            "ab.1",
            "abc.1",
            "a1.1",
            "a-1.1",
            "a--1--2--b.1",
            "0.a",
            "01.a",
            "012.a",
            "1a.a",
            "1-a.a",
            "1--a--b--2",
            "0.1",
            "01.1",
            "012.1",
            "1a.1",
            "1-a.1",
            "1--a--b--2.1",
            "a.b.c.d.e",
            "aa.bb.cc.dd.ee",
            "1.2.3.4.5",
            "11.22.33.44.55",
            "a".repeat(253),
        ]);
        refuses(isDns1123Subdomain, [
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "_a",
            "a_b",
            "1_",
            "_1",
            "1_2",
            ".",
            "a.",
            ".a",
            "a..b",
            "1.",
            ".1",
            "1..2",
            " ",
            "a ",
            " a",
            "a b",
            "1 ",
            " 1",
            "1 2",
            "A.a",
            "aB.a",
            "ab.A",
            "A1.a",
            "a1.A",
            "A.1",
            "aB.1",
            "A1.1",
            "1A.1",
            "0.A",
            "01.A",
            "012.A",
            "1A.a",
            "1a.A",
            "A.B.C.D.E",
            "AA.BB.CC.DD.EE",
            "a.B.c.d.e",
            "aa.bB.cc.dd.ee",
            "a@b",
            "a,b",
            "a_b",
            "a;b",
            "a:b",
            "a%b",
            "a?b",
            "a$b",
            "a".repeat(254),
        ]);
    });
    it("DNS-1035 labels (Service names)", () => {
        accepts(isDns1035Label, ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "a".repeat(63)]);
        refuses(isDns1035Label, ["0", "01", "012", "1a", "1-a", "1--a--b--2", "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "a.b", "a".repeat(64)]);
    });
    it("label values", () => {
        accepts(isLabelValue, ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "a".repeat(63), "", "Mixed_Case.v1"]);
        refuses(isLabelValue, ["nospecialchars%^=@", "Tama-nui-te-rā", '"quoted"', " spaced", "-starts", "ends-", "_starts", "ends.", "a".repeat(64)]);
    });
    it("Ingress hosts: a DNS name or a wildcard, never an IP address (leading zeros too)", () => {
        accepts(isIngressHost, ["app.local", "a", "*.app.local", "1.2.3", "1.2.3.4.5", "256.1.1.1"]);
        refuses(isIngressHost, ["", "App.local", "*", "*.", "a.*.local", "**.local", "1.2.3.4", "010.0.0.1", "0.0.0.0", "app.local.", "a_b.local"]);
    });
    it("Ingress Prefix paths", () => {
        assert.deepEqual(["/", "/web", "/a b", "/é", "/a.b/", "/..a", "/.well-known"].map(ingressPrefixPathProblem), Array(7).fill(undefined));
        assert.deepEqual(["web", "", "//", "/a/./b", "/a/../b", "/a%2fb", "/a/..", "/a/."].map(ingressPrefixPathProblem), [
            "must be an absolute path",
            "must be an absolute path",
            "must not contain '//'",
            "must not contain '/./'",
            "must not contain '/../'",
            "must not contain '%2f'",
            "cannot end with '/..'",
            "cannot end with '/.'",
        ]);
    });
    it("RBAC names: path segment names", () => {
        accepts(isPathSegmentName, ["admin", "system:auth-delegator", "My Role", "a.b", "..."]);
        refuses(isPathSegmentName, ["", ".", "..", "a/b", "a%b"]);
    });
    it("percentages of maxSurge / maxUnavailable", () => {
        assert.deepEqual(["25%", "0%", "00%", "150%", "007%", "25", "%", "-1%", "1.5%", " 5%", "5 %"].map(percentValue), [
            25n,
            0n,
            0n,
            150n,
            7n,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
        ]);
    });
});

describe("quantities, as apimachinery's ParseQuantity reads them", () => {
    const value = (s: string) => {
        const q = parseQuantity(s);
        return q === undefined ? undefined : `${q.negative ? "-" : ""}${q.digits}e${q.exp10}`;
    };
    it("every suffix, decimals and exponents", () => {
        const cases: [string, string][] = [
            ["0", "0e0"],
            ["0n", "0e0"],
            ["0Ki", "0e0"],
            ["5n", "5e-9"],
            ["4u", "4e-6"],
            ["3m", "3e-3"],
            ["9", "9e0"],
            ["8k", "8e3"],
            ["7M", "7e6"],
            ["6G", "6e9"],
            ["5T", "5e12"],
            ["2P", "2e15"],
            ["1E", "1e18"],
            ["1Ki", "1024e0"],
            ["7Mi", `${7 * 2 ** 20}e0`],
            ["3Ei", `${3n * 2n ** 60n}e0`],
            ["1.5Gi", `${1.5 * 2 ** 30}e0`],
            [".5Mi", `${2 ** 19}e0`],
            ["1.5", "15e-1"],
            ["1.", "1e0"],
            [".001", "1e-3"],
            ["1e3", "1e3"],
            ["1E3", "1e3"],
            ["1e+3", "1e3"],
            ["1e-3", "1e-3"],
            ["100m", "1e-1"],
            ["+1", "1e0"],
            ["-1", "-1e0"],
            ["1e-12", "1e-9"],
            ["0.1n", "1e-9"],
            ["1.G", "1e9"],
            ["9223372036854775808", "9223372036854775807e0"],
            ["1e1000", "1e1000"],
        ];
        assert.deepEqual(
            cases.map(([s]) => [s, value(s)]),
            cases,
        );
    });
    it("refuses what ParseQuantity refuses", () => {
        assert.deepEqual(
            ["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", "1e", "1KiB", "1 Gi", "1Mb", "1K", "0x10", "1e3e", "１"].filter(
                (s) => parseQuantity(s) !== undefined,
            ),
            [],
        );
    });
    it("compares exactly, whatever the suffixes", () => {
        const q = (s: string) => parseQuantity(s)!;
        assert.deepEqual(
            [
                ["1", "1000m"],
                ["1Ki", "1.024k"],
                ["1e3", "1k"],
                ["0.1", "100m"],
                ["1Gi", "1G"],
                ["-1", "0"],
                ["1e1000", "1E"],
                ["999m", "1"],
            ].map(([a, b]) => compareQuantities(q(a), q(b))),
            [0, 0, 0, 0, 1, -1, 1, -1],
        );
    });
    it("trims what the API server's decoder trims: Go's TrimSpace on the raw JSON text", () => {
        assert.equal(trimDecodedSpace(" 1Gi\u00a0\u0085"), "1Gi");
        assert.equal(trimDecodedSpace("\t1"), "\t1");
        assert.equal(trimDecodedSpace("\ufeff1"), "\ufeff1");
    });
});

describe("image references, as the container runtime parses them", () => {
    const digest = "a".repeat(64);
    it("accepts registries, ports, paths, tags and digests", () => {
        const refs = [
            "busybox:1",
            "docker.io/library/busybox:1.37.0",
            "localhost:5000/a/b:tag",
            "registry.k8s.io/pause:3.10",
            "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
            `a@sha256:${digest}`,
            `a:1@sha256:${digest}`,
            "Registry.Example/a:1",
            "a__b/c-d.e:TAG_1",
            "busybox",
        ];
        assert.deepEqual(
            refs.filter((r) => parseImageReference(r) === undefined),
            [],
        );
        assert.deepEqual(parseImageReference(`a:1@sha256:${digest}`), { name: "a", tag: "1", digest: `sha256:${digest}` });
    });
    it("refuses what the runtime refuses", () => {
        const refs = [
            "Busybox:1",
            "a:",
            ":1",
            "a:tag with space",
            "a@sha256:abc",
            `a@sha256:${"A".repeat(64)}`,
            `a@md5:${"a".repeat(32)}`,
            "-a:1",
            "a//b:1",
            "a___b:1",
            digest,
            "a:-1",
            `a:${"t".repeat(129)}`,
            "",
        ];
        assert.deepEqual(
            refs.filter((r) => parseImageReference(r) !== undefined),
            [],
        );
    });
});

describe("the program's deliberate extra rules", () => {
    it("docs/configuration.md lists each one with its reason (config/deliberate.ts, held to the API server by test/e2e/configfields.e2e.ts)", () => {
        const docs = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration.md"), "utf8");
        assert.deepEqual(
            DELIBERATE_RULES.flatMap((r) => [r.rule, r.reason]).filter((t) => !docs.includes(t)),
            [],
        );
    });
});
