// The hosts' step scripts (components/hosts/steps/*.sh) run directly by bash, with their inputs as
// environment and a PATH of stand-ins: the host's tools record each call in a log (`# cmd` as root
// through sudo, `$ cmd` as the user), and what root writes under /etc lands in a scratch root. Each
// case asserts the exact output and calls of a first run, and that a second run changes nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { containerUnit, stepFile } from "../components/hosts";

const STEPS = path.join(__dirname, "..", "components", "hosts", "steps");

/** The real tools the scripts use, linked into the stand-ins' folder: nothing else of the machine is on PATH. */
const TOOLS = ["cat", "cut", "dirname", "grep", "head", "mkdir", "printf", "sed", "sha256sum", "sleep", "sort", "tail", "tee", "timeout", "touch", "tr", "uname"];

/**
 * Stand-ins: `sudo` runs its command as "root" (its /etc arguments moved under $ROOT); the others
 * log their call and act on files under $STATE (a package installed is a file `pkg-<name>`).
 */
const STANDINS: Record<string, string> = {
    id: "#!/bin/sh\necho 1000\n",
    hostname: "#!/bin/sh\necho vm1\n",
    sudo: ["#!/bin/bash", '[ "$1" = -n ] && shift', 'args=(); for a in "$@"; do case "$a" in /etc/*) args+=("$ROOT$a") ;; *) args+=("$a") ;; esac; done', 'BMP_PROMPT="#" exec "${args[@]}"', ""].join(
        "\n",
    ),
    "apt-get": [
        "#!/bin/sh",
        'echo "${BMP_PROMPT:-\\$} apt-get $*" >> "$STATE/log"',
        'case "$*" in',
        '  "-s upgrade") [ -e "$STATE/upgraded" ] || printf "Inst libc6 [2.36-9]\\nInst tzdata [2025a]\\nConf libc6\\n" ;;',
        '  "-qq -y upgrade") touch "$STATE/upgraded" ;;',
        '  "-qq -y install "*) touch "$STATE/pkg-$4" ;;',
        "esac",
        "",
    ].join("\n"),
    "dpkg-query": '#!/bin/sh\nfor last; do :; done\n[ -e "$STATE/pkg-$last" ] && printf "install ok installed"\ntrue\n',
    dnf: [
        "#!/bin/sh",
        'echo "${BMP_PROMPT:-\\$} dnf $*" >> "$STATE/log"',
        'case "$*" in',
        '  "-q -y check-update") [ -e "$STATE/upgraded" ] || exit 100 ;;',
        '  "-q -y upgrade") touch "$STATE/upgraded" ;;',
        '  "-q -y install "*) touch "$STATE/pkg-$4" ;;',
        "esac",
        "",
    ].join("\n"),
    rpm: '#!/bin/sh\n[ -e "$STATE/pkg-$2" ]\n',
    // Units that exist: sshd and docker; enabled and active: those with a file.
    systemctl: [
        "#!/bin/sh",
        'echo "${BMP_PROMPT:-\\$} systemctl $*" >> "$STATE/log"',
        'case "$1" in',
        '  cat) [ "$2" = sshd.service ] || [ "$2" = docker.service ] ;;',
        '  is-enabled|is-active) [ -e "$STATE/$1-$3" ] ;;',
        '  enable) touch "$STATE/is-enabled-$2" ;;',
        '  start) touch "$STATE/is-active-$2" ;;',
        "esac",
        "",
    ].join("\n"),
    docker: '#!/bin/sh\necho "${BMP_PROMPT:-\\$} docker $*" >> "$STATE/log"\n[ "$1" = run ] && printf "a.txt\\nb.txt\\n"\ntrue\n',
};

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmp-steps-"));
    for (const d of ["bin", "root/etc/systemd/system", "root/etc/apt/sources.list.d", "state"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
    for (const tool of TOOLS) {
        const real = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
        assert.ok(real, `${tool} not found in /usr/bin or /bin`);
        fs.symlinkSync(real, path.join(dir, "bin", tool));
    }
    for (const [name, text] of Object.entries(STANDINS)) fs.writeFileSync(path.join(dir, "bin", name), text, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Tools the case's host has beyond the basics (`dnf`, `apt-get`, `docker`, `systemctl`…): linked in from the stand-ins. */
function host(...tools: string[]): string {
    const bin = path.join(dir, `host-${tools.join("-")}`);
    if (!fs.existsSync(bin)) {
        fs.mkdirSync(bin);
        const skip = Object.keys(STANDINS).filter((t) => ["apt-get", "dpkg-query", "dnf", "rpm", "docker", "systemctl"].includes(t) && !tools.includes(t));
        for (const f of fs.readdirSync(path.join(dir, "bin"))) if (!skip.includes(f)) fs.symlinkSync(path.join(dir, "bin", f), path.join(bin, f));
    }
    return bin;
}

/** Whether a case may run with systemd "running": a private /run with /run/systemd/system, in a user namespace. */
const canFakeSystemd = spawnSync("/usr/bin/unshare", ["-rm", "/bin/mount", "-t", "tmpfs", "tmpfs", "/run"]).status === 0;

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The stand-ins' log since the last run. */
    calls: string[];
}

/** Runs steps/`file` with `inputs` as environment on a host with `tools`; with systemd running or not. */
function run(file: string, inputs: Record<string, string>, tools: string[], systemd = false): Run {
    const script = path.join(STEPS, file);
    const env = { PATH: host(...tools), ROOT: path.join(dir, "root"), STATE: path.join(dir, "state"), ...inputs };
    const hasSystemd = fs.existsSync("/run/systemd/system");
    const r =
        hasSystemd === systemd
            ? spawnSync("/bin/bash", ["--norc", script], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
            : spawnSync(
                  "/usr/bin/unshare",
                  ["-rm", "/bin/bash", "--norc", "-c", `/bin/mount -t tmpfs tmpfs /run && ${systemd ? "/bin/mkdir -p /run/systemd/system && " : ""}exec /bin/bash --norc "$0"`, script],
                  {
                      env,
                      encoding: "utf8",
                      stdio: ["ignore", "pipe", "pipe"],
                  },
              );
    const log = path.join(dir, "state", "log");
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    fs.rmSync(log, { force: true });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const PACKAGES = { PKG_UPDATE: "1", PKG_INSTALL: "hello rng-tools", PKG_RESTART: "sshd rngd", PKG_APT_MIRROR: "", PKG_DNF_MIRROR: "" };

describe("host step scripts, run by bash", () => {
    it("packages on apt: upgrades, installs what is missing, then changes nothing", () => {
        const first = run("packages.sh", PACKAGES, ["apt-get", "dpkg-query"]);
        assert.deepEqual([first.status, first.stderr], [0, ""]);
        assert.equal(first.stdout, "changed: 2 packages upgraded\nchanged: installed hello\nchanged: installed rng-tools\n");
        assert.deepEqual(first.calls, ["# apt-get -qq update", "# apt-get -s upgrade", "# apt-get -qq -y upgrade", "# apt-get -qq -y install hello", "# apt-get -qq -y install rng-tools"]);
        const second = run("packages.sh", PACKAGES, ["apt-get", "dpkg-query"]);
        assert.deepEqual([second.status, second.stdout, second.calls], [0, "", ["# apt-get -qq update", "# apt-get -s upgrade"]]);
    });

    it("packages on apt with a mirror: writes the sources line first", () => {
        const line = "deb [trusted=yes] file:/srv/local-repo ./";
        const r = run("packages.sh", { ...PACKAGES, PKG_UPDATE: "0", PKG_INSTALL: "", PKG_APT_MIRROR: line }, ["apt-get", "dpkg-query"]);
        assert.deepEqual([r.status, r.stdout, r.calls], [0, "changed: apt source\n", ["# apt-get -qq update"]]);
        assert.equal(fs.readFileSync(path.join(dir, "root/etc/apt/sources.list.d/bare-metal-platform.list"), "utf8"), `${line}\n`);
    });

    it("packages on dnf with systemd: upgrades, installs, restarts the services that exist, then changes nothing", (t) => {
        if (!canFakeSystemd && !fs.existsSync("/run/systemd/system")) return t.skip("needs `unshare -rm` (user namespaces) to give the script a /run/systemd/system");
        const first = run("packages.sh", { ...PACKAGES, PKG_INSTALL: "rng-tools" }, ["dnf", "rpm", "systemctl"], true);
        assert.deepEqual([first.status, first.stderr], [0, ""]);
        assert.equal(first.stdout, "changed: packages upgraded\nchanged: installed rng-tools\nchanged: restarted sshd\n");
        assert.deepEqual(first.calls, [
            "# dnf -q -y check-update",
            "# dnf -q -y upgrade",
            "# dnf -q -y install rng-tools",
            "$ systemctl cat sshd.service",
            "# systemctl restart sshd",
            "$ systemctl cat rngd.service",
        ]);
        const second = run("packages.sh", { ...PACKAGES, PKG_INSTALL: "rng-tools" }, ["dnf", "rpm", "systemctl"], true);
        assert.deepEqual([second.status, second.stdout, second.calls], [0, "", ["# dnf -q -y check-update"]]);
    });

    it("packages with neither dnf nor apt-get: fails naming the host", () => {
        const r = run("packages.sh", PACKAGES, []);
        assert.deepEqual([r.status, r.stdout, r.stderr], [1, "", "vm1: neither dnf nor apt-get found (expected a Fedora/RHEL or Debian/Ubuntu host)\n"]);
    });

    it("docker without systemd: installed, not started", () => {
        const r = run("docker.sh", {}, ["apt-get"]);
        assert.deepEqual([r.status, r.stderr], [0, ""]);
        assert.equal(r.stdout, "changed: installed docker\nnote: systemd is not running on vm1: docker installed, not started\n");
        assert.deepEqual(r.calls, ["# apt-get -qq -y install docker.io"]);
    });

    it("docker with systemd: enabled and started, then nothing", (t) => {
        if (!canFakeSystemd && !fs.existsSync("/run/systemd/system")) return t.skip("needs `unshare -rm` (user namespaces) to give the script a /run/systemd/system");
        const first = run("docker.sh", {}, ["docker", "systemctl"], true);
        assert.deepEqual([first.status, first.stdout], [0, "changed: enabled docker\nchanged: started docker\n"]);
        assert.deepEqual(first.calls, ["$ systemctl is-enabled --quiet docker", "# systemctl enable docker", "$ systemctl is-active --quiet docker", "# systemctl start docker"]);
        const second = run("docker.sh", {}, ["docker", "systemctl"], true);
        assert.deepEqual([second.status, second.stdout, second.calls], [0, "", ["$ systemctl is-enabled --quiet docker", "$ systemctl is-active --quiet docker"]]);
    });

    it("service: writes the unit as root, starts it, restarts it when the unit changes", (t) => {
        if (!canFakeSystemd && !fs.existsSync("/run/systemd/system")) return t.skip("needs `unshare -rm` (user namespaces) to give the script a /run/systemd/system");
        const service = { name: "web", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] };
        const inputs = (image: string) => ({ SERVICE_NAME: "web", SERVICE_UNIT: containerUnit({ ...service, image }).trimEnd() });
        const unit = path.join(dir, "root/etc/systemd/system/web.service");
        const first = run("service.sh", inputs(service.image), ["systemctl"], true);
        assert.deepEqual([first.status, first.stderr], [0, ""]);
        assert.equal(first.stdout, "changed: wrote /etc/systemd/system/web.service\nchanged: enabled web\nchanged: started web\n");
        assert.equal(fs.readFileSync(unit, "utf8"), containerUnit(service));
        assert.deepEqual(first.calls, ["# systemctl daemon-reload", "$ systemctl is-enabled --quiet web", "# systemctl enable web", "$ systemctl is-active --quiet web", "# systemctl start web"]);
        const second = run("service.sh", inputs(service.image), ["systemctl"], true);
        assert.deepEqual([second.status, second.stdout], [0, ""]);
        const upgraded = run("service.sh", inputs("docker.io/library/nginx:1.27.0"), ["systemctl"], true);
        assert.equal(upgraded.stdout, "changed: wrote /etc/systemd/system/web.service\nchanged: restarted web\n");
        assert.deepEqual(upgraded.calls, ["# systemctl daemon-reload", "$ systemctl is-enabled --quiet web", "$ systemctl is-active --quiet web", "# systemctl restart web"]);
    });

    it("artifact-check: says `changed` until the host's tarball has the local content", () => {
        const tarball = path.join(dir, "artifact.tar.gz");
        const sha = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"; // sha256 of "foo"
        const inputs = { ARTIFACT_PATH: tarball, ARTIFACT_SHA256: sha };
        assert.deepEqual(run("artifact-check.sh", inputs, []).stdout, `changed: copied ${tarball}\n`);
        fs.writeFileSync(tarball, "foo");
        assert.deepEqual(run("artifact-check.sh", inputs, []).stdout, "");
    });

    it("artifact-run: a fresh container with the tarball mounted read-only, its output and one more newline", () => {
        const r = run(
            "artifact-run.sh",
            { ARTIFACT_CONTAINER: "art", ARTIFACT_PATH: "/tmp/a b.tar.gz", ARTIFACT_MOUNT: "/a.tar.gz", ARTIFACT_IMAGE: "busybox:1.37.0", ARTIFACT_COMMAND: "tar tzf /a.tar.gz" },
            ["docker"],
        );
        assert.deepEqual([r.status, r.stdout, r.stderr], [0, "a.txt\nb.txt\n\n", ""]);
        assert.deepEqual(r.calls, ["# docker rm -f art", "# docker run --rm --init --name art -v /tmp/a b.tar.gz:/a.tar.gz:ro busybox:1.37.0 sh -c tar tzf /a.tar.gz"]);
    });

    it("a script fails on a missing input, naming it", () => {
        const r = run("artifact-check.sh", { ARTIFACT_PATH: "/tmp/x" }, []);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /ARTIFACT_SHA256: unbound variable\n$/);
    });

    it("what a host is sent: each sourced file inlined, no comment or blank line", () => {
        for (const file of fs.readdirSync(STEPS).filter((f) => f.endsWith(".sh"))) {
            const sent = stepFile(file);
            assert.ok(sent.endsWith("\n"), file);
            assert.deepEqual(
                sent
                    .slice(0, -1)
                    .split("\n")
                    .filter((line) => /^\s*(#|\. |$)/.test(line)),
                [],
                file,
            );
        }
        assert.equal(stepFile("k3s-token.sh"), `set -eu\nSUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"\n$SUDO cat /var/lib/rancher/k3s/server/node-token\n`);
    });
});
