// k3s's upgrade path as the hosts' steps run it (components/hosts/scripts.ts), for real, with
// stand-ins on PATH for the k3s binary (its version and `k3s kubectl`), the install script (curl)
// and the hosts' names: each host a folder, every kubectl call and install recorded in one log, in
// the order of the steps in components/hosts/hosts.ts — the server, then each agent probed,
// drained, upgraded and uncordoned before the next.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { k3sAgentScript, k3sDrainScript, k3sProbeScript, k3sServerScript, k3sUncordonScript, stepProgram } from "../components/hosts";

const URL = "https://get.k3s.io";
const SERVER = "192.168.56.10";

/** The stand-ins: the log they write, a host's k3s version and a node's upgrade mark are files under `dir`. */
const STANDINS: Record<string, string> = {
    // The host's name as k3s reads it, upper-case in part: the node's name is lower-case.
    uname: '#!/bin/sh\n[ "$1" = -n ] && { echo "$BMP_HOST"; exit 0; }\nexec /bin/uname "$@"\n',
    sudo: '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n',
    curl: '#!/bin/sh\ncat "$BMP_FAKE/install.sh"\n',
    // The installer: records its variables and arguments, and leaves the version it was given.
    "install.sh": [
        "#!/bin/sh",
        'printf "%s: install %s %s\\n" "$BMP_HOST" "$INSTALL_K3S_VERSION" "$*" >> "$BMP_FAKE/log"',
        'printf %s "$INSTALL_K3S_VERSION" > "$BMP_FAKE/hosts/$BMP_HOST/version"',
        "",
    ].join("\n"),
    k3s: [
        "#!/bin/sh",
        'h="$BMP_FAKE/hosts/$BMP_HOST"',
        'if [ "$1" = --version ]; then printf "k3s version %s (fake)\\ngo version go1.24.6\\n" "$(cat "$h/version")"; exit 0; fi',
        'shift; printf "%s: kubectl %s\\n" "$BMP_HOST" "$*" >> "$BMP_FAKE/log"',
        'case "$*" in',
        '  "annotate --overwrite node "*) printf %s "${5#*=}" > "$BMP_FAKE/mark-$4" ;;',
        '  "annotate node "*) rm -f "$BMP_FAKE/mark-$3" ;;',
        '  "get node "*--ignore-not-found*) cat "$BMP_FAKE/mark-$3" 2>/dev/null || true ;;',
        // The node reports the version its host (named as the node, any case) runs, and Ready.
        '  "get node "*) for d in "$BMP_FAKE"/hosts/*; do [ "$(basename "$d" | tr "[:upper:]" "[:lower:]")" = "$3" ] && printf "%s True" "$(cat "$d/version")"; done ;;',
        "esac",
        "",
    ].join("\n"),
};

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-k3s-"));
    fs.mkdirSync(path.join(dir, "bin"));
    for (const [name, text] of Object.entries(STANDINS)) {
        fs.writeFileSync(path.join(dir, name === "install.sh" ? name : path.join("bin", name)), text, { mode: 0o755 });
    }
    for (const h of ["server", "Agent-1", "Agent-2"]) fs.mkdirSync(path.join(dir, "hosts", h), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs one step's program on "host" as the command provider does (`bash -s`, bounded); k3s is on PATH once installed. */
function step(host: string, id: string, script: string, prefix = ""): { status: number | null; stdout: string; stderr: string } {
    const installed = fs.existsSync(path.join(dir, "hosts", host, "version"));
    const bin = path.join(dir, installed ? "bin" : "bin-without-k3s");
    if (!installed && !fs.existsSync(bin)) {
        fs.mkdirSync(bin);
        for (const f of fs.readdirSync(path.join(dir, "bin"))) if (f !== "k3s") fs.symlinkSync(path.join(dir, "bin", f), path.join(bin, f));
    }
    const r = spawnSync("bash", ["-s"], {
        input: stepProgram({ name: host, address: "10.0.0.1", port: 22, user: "root" }, id, script, 60, prefix),
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BMP_FAKE: dir, BMP_HOST: host },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One `pulumi up`'s k3s steps with `version`, in the order of their dependsOn; the changed lines, or the first failure. */
function up(version: string): { changed: string[]; failed?: string } {
    const changed: string[] = [];
    const run = (host: string, id: string, script: string, prefix = "") => {
        const r = step(host, id, script, prefix);
        changed.push(...r.stdout.split("\n").filter((l) => l.startsWith("changed: ")));
        if (r.status !== 0) throw new Error(r.stderr);
        return r.stdout;
    };
    try {
        run("server", "k3s-server", k3sServerScript(version, URL, SERVER));
        for (const agent of ["Agent-1", "Agent-2"]) {
            const facts = run(agent, `k3s-probe-${agent}`, k3sProbeScript(version));
            run("server", `k3s-drain-${agent}`, k3sDrainScript(version), facts);
            run(agent, `k3s-agent-${agent}`, k3sAgentScript(version, URL, SERVER), "K3S_TOKEN='K10token'\n");
            run("server", `k3s-uncordon-${agent}`, k3sUncordonScript(version), facts);
        }
        return { changed };
    } catch (e) {
        return { changed, failed: (e as Error).message };
    }
}

function takeLog(): string[] {
    const file = path.join(dir, "log");
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n") : [];
    fs.rmSync(file, { force: true });
    return lines;
}

const SERVER_ARGS = `server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san ${SERVER}`;

describe("k3s upgrades, the steps run for real with stand-ins", () => {
    it("installs once; the same version again changes nothing", () => {
        assert.deepEqual(up("v1.33.5+k3s1"), {
            changed: ["changed: installed k3s server v1.33.5+k3s1", "changed: installed k3s agent v1.33.5+k3s1", "changed: installed k3s agent v1.33.5+k3s1"],
        });
        assert.deepEqual(takeLog(), [`server: install v1.33.5+k3s1 ${SERVER_ARGS}`, "Agent-1: install v1.33.5+k3s1 agent", "Agent-2: install v1.33.5+k3s1 agent"]);
        assert.deepEqual(up("v1.33.5+k3s1"), { changed: [] });
        // Only the uncordon steps' look for a mark a stopped run may have left.
        assert.deepEqual(takeLog(), [
            "server: kubectl get node agent-1 --ignore-not-found -o jsonpath={.metadata.annotations.bmp\\.local/k3s-upgrade}",
            "server: kubectl get node agent-2 --ignore-not-found -o jsonpath={.metadata.annotations.bmp\\.local/k3s-upgrade}",
        ]);
    });

    it("a new version: the server first, once its API answers each agent in turn, drained before and uncordoned after", () => {
        up("v1.33.5+k3s1");
        takeLog();
        assert.deepEqual(up("v1.34.1+k3s1"), {
            changed: [
                "changed: upgraded k3s server v1.33.5+k3s1 to v1.34.1+k3s1",
                "changed: drained agent-1 for its k3s upgrade from v1.33.5+k3s1 to v1.34.1+k3s1",
                "changed: upgraded k3s agent v1.33.5+k3s1 to v1.34.1+k3s1",
                "changed: uncordoned agent-1, on k3s v1.34.1+k3s1",
                "changed: drained agent-2 for its k3s upgrade from v1.33.5+k3s1 to v1.34.1+k3s1",
                "changed: upgraded k3s agent v1.33.5+k3s1 to v1.34.1+k3s1",
                "changed: uncordoned agent-2, on k3s v1.34.1+k3s1",
            ],
        });
        const agent = (n: string) => [
            `server: kubectl annotate --overwrite node ${n} bmp.local/k3s-upgrade=v1.34.1+k3s1`,
            `server: kubectl drain ${n} --ignore-daemonsets --delete-emptydir-data`,
            `${n === "agent-1" ? "Agent-1" : "Agent-2"}: install v1.34.1+k3s1 agent`,
            `server: kubectl get node ${n} --ignore-not-found -o jsonpath={.metadata.annotations.bmp\\.local/k3s-upgrade}`,
            `server: kubectl get node ${n} -o jsonpath={.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}`,
            `server: kubectl uncordon ${n}`,
            `server: kubectl annotate node ${n} bmp.local/k3s-upgrade-`,
        ];
        assert.deepEqual(takeLog(), [`server: install v1.34.1+k3s1 ${SERVER_ARGS}`, "server: kubectl get --raw /readyz", ...agent("agent-1"), ...agent("agent-2")]);
        assert.deepEqual(up("v1.34.1+k3s1"), { changed: [] });
    });

    it("a node a stopped run left drained is uncordoned by the next run, though its k3s is already the wanted one", () => {
        up("v1.34.1+k3s1");
        fs.writeFileSync(path.join(dir, "mark-agent-2"), "v1.34.1+k3s1");
        takeLog();
        assert.deepEqual(up("v1.34.1+k3s1"), { changed: ["changed: uncordoned agent-2, on k3s v1.34.1+k3s1"] });
        assert.equal(fs.existsSync(path.join(dir, "mark-agent-2")), false);
    });

    it("refuses a downgrade and a skipped minor version before anything is touched, naming both versions and what to set", () => {
        up("v1.34.1+k3s1");
        takeLog();
        assert.deepEqual(up("v1.33.5+k3s1"), {
            changed: [],
            failed:
                "server: k3s v1.34.1+k3s1 is installed, newer than hosts.k3s.version v1.33.5+k3s1 (k3s does not downgrade: set hosts.k3s.version to v1.34.1+k3s1 or later)\n" +
                'host "server" (10.0.0.1:22) step k3s-server failed (exit 1)\n',
        });
        assert.deepEqual(up("v1.36.0+k3s1"), {
            changed: [],
            failed:
                "server: k3s v1.34.1+k3s1 is installed; hosts.k3s.version v1.36.0+k3s1 skips a minor version (Kubernetes upgrades one minor version at a time: set hosts.k3s.version to a v1.35 release, pulumi up, then v1.36.0+k3s1)\n" +
                'host "server" (10.0.0.1:22) step k3s-server failed (exit 1)\n',
        });
        assert.deepEqual(takeLog(), []);
        // An agent behind the server (a run stopped after the server's upgrade) is refused on its own, before its drain.
        fs.writeFileSync(path.join(dir, "hosts", "Agent-1", "version"), "v1.32.0+k3s1");
        const r = up("v1.34.1+k3s1");
        assert.equal(
            r.failed,
            "Agent-1: k3s v1.32.0+k3s1 is installed; hosts.k3s.version v1.34.1+k3s1 skips a minor version (Kubernetes upgrades one minor version at a time: set hosts.k3s.version to a v1.33 release, pulumi up, then v1.34.1+k3s1)\n" +
                'host "Agent-1" (10.0.0.1:22) step k3s-probe-Agent-1 failed (exit 1)\n',
        );
        assert.deepEqual(takeLog(), []);
    });
});
