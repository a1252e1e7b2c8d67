// The provisioning steps of one host, as shell scripts. The HostProvisioner component runs them with
// @pulumi/command (local.Command / remote.Command / remote.CopyToRemote); the real-host test
// (`npm run test:hosts`) runs the very same scripts over ssh. Every remote script is idempotent and
// prints `changed: <what>` for each change it makes, so a second run prints none.
import * as crypto from "crypto";
import * as fs from "fs";
import { HostEntry } from "./inventory";

/** Package step: the host's own package manager (dnf or apt-get, detected on the host). */
export interface PackageSettings {
    /** Upgrade every installed package (the lab's `dnf name='*' state=latest`). */
    readonly update: boolean;
    /** Packages to install when missing. */
    readonly install: readonly string[];
    /** Services restarted after packages changed, where they exist (the lab's sshd and rngd). */
    readonly restart: readonly string[];
    /** A local mirror instead of the distribution's: an apt sources line and/or a dnf baseurl. */
    readonly mirror?: { readonly apt?: string; readonly dnf?: string };
}

/** The lab's container, run by a systemd unit at boot (the Kickstart's nginx-container.service). */
export interface ContainerServiceSettings {
    /** Unit name, without `.service`. */
    readonly name: string;
    /** Image, pinned by tag. */
    readonly image: string;
    /** Published ports, as `host:container`. */
    readonly ports: readonly string[];
}

/** The artifact flow: copy a tarball, run a command in a container with it mounted, keep the output. */
export interface ArtifactSettings {
    /** Local path of the tarball. */
    readonly source: string;
    /** Where the tarball goes on the host. */
    readonly remotePath: string;
    readonly image: string;
    /** Where the tarball is mounted in the container (read-only). */
    readonly mountPath: string;
    /** Command run by `sh -c` in the container; its output becomes a stack output. */
    readonly command: string;
    readonly containerName: string;
}

/** Everything a host's steps depend on. */
export interface HostSteps {
    readonly packages?: PackageSettings;
    readonly docker: boolean;
    readonly service?: ContainerServiceSettings;
    readonly artifact?: ArtifactSettings;
    /** Remote path of the inventory copy, relative to the user's home. */
    readonly inventoryPath: string;
}

/**
 * One step: a local script, a remote script, or a local file copied to the host. `keys` are what a
 * remote step's result depends on beyond its script (the artifact's content for the command that
 * reads it): the step re-runs when they change.
 */
export type Step =
    | { readonly id: string; readonly kind: "local"; readonly script: string }
    | { readonly id: string; readonly kind: "remote"; readonly script: string; readonly keys?: readonly string[]; readonly onTimeout?: string }
    | { readonly id: string; readonly kind: "copyFile"; readonly remotePath: string; readonly localPath: string };

/** A value quoted for the POSIX shell. */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Short content hash: a step's `triggers`, so it re-runs only when its own input changes. */
export function hashOf(...parts: (string | Buffer)[]): string {
    const h = crypto.createHash("sha256");
    parts.forEach((part, i) => {
        if (i > 0) h.update("\0");
        h.update(part);
    });
    return h.digest("hex").slice(0, 16);
}

/**
 * SHA-256 of a local file's content, or "missing <path>" when it does not exist yet (the copy then
 * fails naming the path).
 */
export function fileSha256(localPath: string): string {
    return fs.existsSync(localPath) ? crypto.createHash("sha256").update(fs.readFileSync(localPath)).digest("hex") : `missing ${localPath}`;
}

/** Strict mode, and `$SUDO` for the commands that need root when the SSH user is not root. */
const AS_ROOT = `set -eu
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"`;

/** AS_ROOT, plus `changed` (report a change) and `systemd_running`. */
const PRELUDE = `${AS_ROOT}
changed() { echo "changed: $*"; }
systemd_running() { [ -d /run/systemd/system ]; }`;

/**
 * Reachability, run where `pulumi up` runs: bounded TCP dials to the host's SSH port that end in one
 * message telling "connection refused" (the host is up, sshd is not) from "timed out" (the host or
 * the network is down).
 */
export function reachScript(host: HostEntry, attempts: number, perDialTimeoutSeconds: number): string {
    return `set -u
name=${shq(host.name)}; addr=${shq(host.address)}; port=${host.port}; attempts=${attempts}; wait=${perDialTimeoutSeconds}
last=""; i=0
while [ "$i" -lt "$attempts" ]; do
  i=$((i + 1))
  out=$(timeout "$wait" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>&1); rc=$?
  if [ "$rc" -eq 0 ]; then echo "reachable: host \\"$name\\" ($addr:$port)"; exit 0; fi
  case "$out" in
    *"Connection refused"*) last=refused ;;
    *"No route to host"*|*"Network is unreachable"*) last=unreachable ;;
    *) if [ "$rc" -eq 124 ]; then last=timeout; else last="failed: $out"; fi ;;
  esac
  if [ "$i" -lt "$attempts" ]; then sleep 1; fi
done
case "$last" in
  refused) why="connection refused: the host answers but nothing listens on port $port (is sshd running?)" ;;
  timeout) why="timed out: no answer within \${wait}s per attempt (is the host up, and the network to it?)" ;;
  unreachable) why="timed out: no route to host (is the host up, and the network to it?)" ;;
  *) why="$last" ;;
esac
echo "host \\"$name\\" ($addr:$port) is not reachable after $attempts attempts: $why" >&2
exit 1
`;
}

/** Packages: detect dnf or apt-get, point at a mirror when given, upgrade, install, restart services. */
export function packagesScript(p: PackageSettings): string {
    const aptMirror = p.mirror?.apt
        ? `  want=${shq(p.mirror.apt)}
  if [ "$(cat /etc/apt/sources.list.d/bare-metal-platform.list 2>/dev/null)" != "$want" ]; then
    printf '%s\\n' "$want" | $SUDO tee /etc/apt/sources.list.d/bare-metal-platform.list >/dev/null; changed "apt source"
  fi
`
        : "";
    const dnfMirror = p.mirror?.dnf
        ? `  want=$(printf '[bare-metal-platform]\\nname=bare-metal-platform mirror\\nbaseurl=%s\\ngpgcheck=0\\nenabled=1' ${shq(p.mirror.dnf)})
  if [ "$(cat /etc/yum.repos.d/bare-metal-platform.repo 2>/dev/null)" != "$want" ]; then
    printf '%s\\n' "$want" | $SUDO tee /etc/yum.repos.d/bare-metal-platform.repo >/dev/null; changed "dnf repository"
  fi
`
        : "";
    const install = p.install.map(shq).join(" ");
    return `${PRELUDE}
touched=0
if command -v dnf >/dev/null 2>&1; then
${dnfMirror}${
        p.update
            ? `  set +e; $SUDO dnf -q -y check-update >/dev/null; rc=$?; set -e
  if [ "$rc" -eq 100 ]; then $SUDO dnf -q -y upgrade >/dev/null; changed "packages upgraded"; touched=1
  elif [ "$rc" -ne 0 ]; then echo "dnf check-update failed with $rc" >&2; exit 1; fi
`
            : ""
    }  for pkg in ${install}; do
    rpm -q "$pkg" >/dev/null 2>&1 || { $SUDO dnf -q -y install "$pkg" >/dev/null; changed "installed $pkg"; touched=1; }
  done
elif command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
${aptMirror}  $SUDO apt-get -qq update
${
    p.update
        ? `  n=$($SUDO apt-get -s upgrade | grep -c '^Inst ' || true)
  if [ "$n" -gt 0 ]; then $SUDO apt-get -qq -y upgrade >/dev/null; changed "$n packages upgraded"; touched=1; fi
`
        : ""
}  for pkg in ${install}; do
    dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || { $SUDO apt-get -qq -y install "$pkg" >/dev/null; changed "installed $pkg"; touched=1; }
  done
else
  echo "$(hostname): neither dnf nor apt-get found (expected a Fedora/RHEL or Debian/Ubuntu host)" >&2; exit 1
fi
if [ "$touched" -eq 1 ] && systemd_running; then
  for svc in ${p.restart.map(shq).join(" ")}; do
    if systemctl cat "$svc.service" >/dev/null 2>&1; then $SUDO systemctl restart "$svc"; changed "restarted $svc"; fi
  done
fi
`;
}

/** Docker: installed from the distribution (Fedora's `docker`, Debian's `docker.io`), enabled and started. */
export function dockerScript(): string {
    return `${PRELUDE}
if ! command -v docker >/dev/null 2>&1; then
  if command -v dnf >/dev/null 2>&1; then $SUDO dnf -q -y install docker >/dev/null; else DEBIAN_FRONTEND=noninteractive $SUDO apt-get -qq -y install docker.io >/dev/null; fi
  changed "installed docker"
fi
if systemd_running; then
  systemctl is-enabled --quiet docker || { $SUDO systemctl enable docker >/dev/null 2>&1; changed "enabled docker"; }
  systemctl is-active --quiet docker || { $SUDO systemctl start docker; changed "started docker"; }
else
  echo "note: systemd is not running on $(hostname): docker installed, not started"
fi
`;
}

/** The systemd unit that runs the lab's container at boot (also written by the Kickstart's %post). */
export function containerUnit(s: ContainerServiceSettings): string {
    const ports = s.ports.map((p) => ` -p ${p}`).join("");
    return `[Unit]
Description=${s.name} container (bare-metal-platform)
Requires=docker.service
After=docker.service

[Service]
Restart=always
ExecStartPre=-/usr/bin/docker rm -f ${s.name}
ExecStart=/usr/bin/docker run --rm --name ${s.name}${ports} ${s.image}
ExecStop=/usr/bin/docker stop ${s.name}

[Install]
WantedBy=multi-user.target
`;
}

/** Writes the unit when it differs, then enables and starts it (restarts it when it changed). */
export function serviceScript(s: ContainerServiceSettings): string {
    const path = `/etc/systemd/system/${s.name}.service`;
    return `${PRELUDE}
path=${shq(path)}
want=${shq(containerUnit(s).trimEnd())}
fresh=0
if [ "$($SUDO cat "$path" 2>/dev/null || true)" != "$want" ]; then
  printf '%s\\n' "$want" | $SUDO tee "$path" >/dev/null; changed "wrote $path"; fresh=1
fi
if systemd_running; then
  if [ "$fresh" -eq 1 ]; then $SUDO systemctl daemon-reload; fi
  systemctl is-enabled --quiet ${shq(s.name)} || { $SUDO systemctl enable ${shq(s.name)} >/dev/null 2>&1; changed "enabled ${s.name}"; }
  if ! systemctl is-active --quiet ${shq(s.name)}; then $SUDO systemctl start ${shq(s.name)}; changed "started ${s.name}";
  elif [ "$fresh" -eq 1 ]; then $SUDO systemctl restart ${shq(s.name)}; changed "restarted ${s.name}"; fi
else
  echo "note: systemd is not running on $(hostname): $path written, not started"
fi
`;
}

/**
 * Runs the artifact's command in a throw-away container with the tarball mounted (with an init, so
 * that the step's time limit stops the command inside too); prints its output and one more newline, because the command provider drops the last one of every stdout (the output
 * then arrives exactly as the command printed it).
 */
export function artifactScript(a: ArtifactSettings): string {
    return `${AS_ROOT}
$SUDO docker rm -f ${shq(a.containerName)} >/dev/null 2>&1 || true
$SUDO docker run --rm --init --name ${shq(a.containerName)} -v ${shq(`${a.remotePath}:${a.mountPath}:ro`)} ${shq(a.image)} sh -c ${shq(a.command)}
echo
`;
}

/** What the artifact step leaves when its time limit stops it: the container, removed. */
export function artifactCleanup(a: ArtifactSettings): string {
    return `$SUDO docker rm -f ${shq(a.containerName)} >/dev/null 2>&1 || true`;
}

/**
 * Says whether the tarball on the host differs from the local one (`changed: …`) before it is
 * copied: the copy itself (SFTP) cannot tell, and converge mode copies on every run.
 */
export function artifactCheckScript(remotePath: string, sha256: string): string {
    return `${PRELUDE}
have=$($SUDO sha256sum ${shq(remotePath)} 2>/dev/null | cut -d' ' -f1 || true)
[ "$have" = ${shq(sha256)} ] || changed "copied ${remotePath}"
`;
}

/** Writes `content` to `path` (relative to the user's home, or absolute) when it differs. */
export function fileScript(path: string, content: string): string {
    return `${PRELUDE}
path=${shq(path)}
want=${shq(content.replace(/\n$/, ""))}
if [ "$(cat "$path" 2>/dev/null || true)" != "$want" ] || [ ! -f "$path" ]; then
  mkdir -p "$(dirname "$path")" && printf '%s\n' "$want" > "$path"; changed "wrote $path"
fi
`;
}

/** What a step's script ends with when it runs out of time (the `timeout` exit codes). */
export function stepLimitMessage(host: HostEntry, step: string, limitSeconds: number): string {
    return `host "${host.name}" (${host.address}:${host.port}) step ${step}: stopped after the limit of ${limitSeconds}s (hosts.reach.commandTimeoutSeconds)`;
}

/**
 * What the command provider runs for a step: `bash -s` reading this program on stdin. It bounds the
 * step's own script with `timeout` on the host (the provider enforces no customTimeouts), so a hung
 * step fails in time with a message naming the host, the step and the limit, and a failed one ends
 * with a line naming both; the engine's error then quotes "bash -s", not the whole script. What
 * the script ran with sudo outlives `timeout`'s signals (the user's `timeout` may not signal root's
 * processes; sudo ignores signals from its own process group) and would keep the SSH session open: so
 * every other process of the session but this program and its ancestors is then killed (as root
 * when the user has sudo), and `onTimeout` runs (with `$SUDO`) to remove what the step leaves
 * behind (the artifact's container). `prefix` goes before the script, inside the bounded part (the
 * k3s join token, from a secret).
 */
export function stepProgram(host: HostEntry, step: string, script: string, limitSeconds: number, prefix = "", onTimeout = ""): string {
    const body = `${prefix}${script.trimEnd()}`;
    if (/^BMP_STEP_END$/m.test(body)) throw new Error(`step ${step}: the script may not contain a line "BMP_STEP_END"`);
    return `SUDO=""; [ "$(id -u)" -eq 0 ] || { sudo -n true 2>/dev/null && SUDO="sudo -n"; }
timeout -k 5 ${limitSeconds} bash -s <<'BMP_STEP_END'
${body}
BMP_STEP_END
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  keep=" $$ "; p=$$; while [ "$p" -gt 1 ]; do p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); keep="$keep$p "; done
  sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
  $SUDO sh -c 'for d in /proc/[0-9]*; do p=\${d#/proc/}; case "$1 $$ $PPID " in *" $p "*) continue ;; esac; [ "$(sed "s/.*) //" "$d/stat" 2>/dev/null | cut -d" " -f4)" = "$2" ] && kill -KILL "$p" 2>/dev/null; done; true' sh "$keep" "$sid"
${
    onTimeout
        ? `  ${onTimeout}
`
        : ""
}  echo ${shq(stepLimitMessage(host, step, limitSeconds))} >&2
elif [ "$rc" -ne 0 ]; then echo ${shq(`host "${host.name}" (${host.address}:${host.port}) step ${step} failed`)}" (exit $rc)" >&2; fi
exit "$rc"
`;
}

/** "changed" when a step's output reports a change (a `changed: …` line), "ok" otherwise: the recap's words. */
export function stepResult(stdout: string): "ok" | "changed" {
    return /^changed: /m.test(stdout) ? "changed" : "ok";
}

/** The ordered steps of one host. Reachability first; each later step depends on the one before. */
export function hostSteps(host: HostEntry, s: HostSteps, inventory: string, reach: { attempts: number; perDialTimeoutSeconds: number }): Step[] {
    const steps: Step[] = [
        { id: "reach", kind: "local", script: reachScript(host, reach.attempts, reach.perDialTimeoutSeconds) },
        { id: "inventory", kind: "remote", script: fileScript(s.inventoryPath, inventory) },
    ];
    if (s.packages) steps.push({ id: "packages", kind: "remote", script: packagesScript(s.packages) });
    if (s.docker) steps.push({ id: "docker", kind: "remote", script: dockerScript() });
    if (s.service) steps.push({ id: "service", kind: "remote", script: serviceScript(s.service) });
    if (s.artifact) {
        const content = fileSha256(s.artifact.source);
        steps.push({ id: "artifact-check", kind: "remote", script: artifactCheckScript(s.artifact.remotePath, content) });
        steps.push({ id: "artifact-copy", kind: "copyFile", remotePath: s.artifact.remotePath, localPath: s.artifact.source });
        // Keyed on the tarball's content too: a new tarball re-runs the command that reads it.
        steps.push({ id: "artifact-run", kind: "remote", script: artifactScript(s.artifact), keys: [content], onTimeout: artifactCleanup(s.artifact) });
    }
    return steps;
}

/** The annotation the drain step puts on an agent's node before its k3s upgrade; the uncordon step removes it. */
export const K3S_UPGRADE_ANNOTATION = "bmp.local/k3s-upgrade";

/**
 * `installed`: the k3s version on the host (`k3s --version`'s first line), empty when there is no k3s;
 * and `k3s_may_upgrade FROM TO`, which refuses what k3s and Kubernetes do not support: a downgrade,
 * and a step of more than one minor version.
 */
const K3S_INSTALLED = `installed=""
if command -v k3s >/dev/null 2>&1; then
  installed=$(k3s --version 2>/dev/null | sed -n 's/^k3s version \\(v[^ ]*\\).*/\\1/p' | head -n 1)
  [ -n "$installed" ] || { echo "$(uname -n): k3s --version names no version (expected a first line \\"k3s version v…\\")" >&2; exit 1; }
fi
k3s_may_upgrade() {
  if [ "$(printf '%s\\n%s\\n' "$1" "$2" | sort -V | tail -n 1)" != "$2" ]; then
    echo "$(uname -n): k3s $1 is installed, newer than hosts.k3s.version $2 (k3s does not downgrade: set hosts.k3s.version to $1 or later)" >&2; exit 1
  fi
  from=$(printf '%s' "$1" | sed -n 's/^v1\\.\\([0-9][0-9]*\\)\\..*/\\1/p'); to=$(printf '%s' "$2" | sed -n 's/^v1\\.\\([0-9][0-9]*\\)\\..*/\\1/p')
  if [ -n "$from" ] && [ -n "$to" ] && [ "$to" -gt $((from + 1)) ]; then
    echo "$(uname -n): k3s $1 is installed; hosts.k3s.version $2 skips a minor version (Kubernetes upgrades one minor version at a time: set hosts.k3s.version to a v1.$((from + 1)) release, pulumi up, then $2)" >&2; exit 1
  fi
}`;

/** The installer's command line of the server: the same for an install and an upgrade (the installer rewrites the unit from it). */
function k3sServerInstall(version: string, installScriptUrl: string, address: string): string {
    return `curl -sfL ${shq(installScriptUrl)} | $SUDO env INSTALL_K3S_VERSION=${shq(version)} sh -s - server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san ${shq(address)} >/dev/null`;
}

/**
 * k3s server (first orchestrator): servicelb and traefik off, so MetalLB and ingress-nginx own those
 * jobs. Installed when absent; when another version is installed, upgraded the way k3s is, by running
 * its installer again with the new `INSTALL_K3S_VERSION` (a downgrade or a skipped minor version
 * refused), then waited for until its API answers, before any agent is touched.
 */
export function k3sServerScript(version: string, installScriptUrl: string, address: string): string {
    const install = k3sServerInstall(version, installScriptUrl, address);
    return `${PRELUDE}
want=${shq(version)}
${K3S_INSTALLED}
if [ -z "$installed" ]; then
  ${install}
  changed "installed k3s server ${version}"
elif [ "$installed" != "$want" ]; then
  k3s_may_upgrade "$installed" "$want"
  ${install}
  i=0
  until $SUDO k3s kubectl get --raw /readyz >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 120 ] || { echo "$(uname -n): the k3s server did not answer /readyz within 120 s of its upgrade to $want (journalctl -u k3s)" >&2; exit 1; }
    sleep 1
  done
  changed "upgraded k3s server $installed to $want"
fi
`;
}

/** Reads the server's kubeconfig, pointed at its address instead of 127.0.0.1. */
export function k3sKubeconfigScript(address: string): string {
    return `${AS_ROOT}
$SUDO cat /etc/rancher/k3s/k3s.yaml | sed "s#https://127.0.0.1:6443#https://${address}:6443#"
`;
}

/** Reads the server's join token. */
export const K3S_TOKEN_SCRIPT = `${AS_ROOT}
$SUDO cat /var/lib/rancher/k3s/server/node-token
`;

/**
 * An agent's facts before its k3s step, printed as the shell assignments the server's drain and
 * uncordon steps start with: `K3S_NODE` (its node: the host name, lower-cased, as k3s names a node
 * it is not told a name for) and `K3S_INSTALLED` (its k3s version, empty when there is none). An
 * upgrade k3s does not support (a downgrade, a skipped minor version) is refused here, before the
 * node is drained.
 */
export function k3sProbeScript(version: string): string {
    return `${AS_ROOT}
want=${shq(version)}
${K3S_INSTALLED}
if [ -n "$installed" ] && [ "$installed" != "$want" ]; then k3s_may_upgrade "$installed" "$want"; fi
printf "K3S_NODE='%s'\\nK3S_INSTALLED='%s'\\n" "$(uname -n | tr '[:upper:]' '[:lower:]')" "$installed"
`;
}

/**
 * On the server, before an agent's k3s upgrade ({@link k3sProbeScript}'s facts first): marks the
 * node with {@link K3S_UPGRADE_ANNOTATION} and drains it (`kubectl drain` cordons it and evicts its
 * pods through the API, which honours their PodDisruptionBudgets; DaemonSets stay). Nothing when the
 * agent has no k3s yet or already the wanted version.
 */
export function k3sDrainScript(version: string): string {
    return `${PRELUDE}
want=${shq(version)}
if [ -n "$K3S_INSTALLED" ] && [ "$K3S_INSTALLED" != "$want" ]; then
  $SUDO k3s kubectl annotate --overwrite node "$K3S_NODE" ${K3S_UPGRADE_ANNOTATION}="$want" >/dev/null
  $SUDO k3s kubectl drain "$K3S_NODE" --ignore-daemonsets --delete-emptydir-data >/dev/null
  changed "drained $K3S_NODE for its k3s upgrade from $K3S_INSTALLED to $want"
fi
`;
}

/**
 * On the server, after an agent's k3s step: a node the drain step marked is uncordoned once it reports
 * the wanted version and Ready, and its mark removed — also on a later run, when the run that drained
 * it stopped before this step. A node cordoned by hand (no mark) stays as it is.
 */
export function k3sUncordonScript(version: string): string {
    const mark = `{.metadata.annotations.${K3S_UPGRADE_ANNOTATION.replace(/\./g, "\\.")}}`;
    return `${PRELUDE}
want=${shq(version)}
if [ -n "$K3S_INSTALLED" ] && [ -n "$($SUDO k3s kubectl get node "$K3S_NODE" --ignore-not-found -o jsonpath=${shq(mark)})" ]; then
  i=0
  until [ "$($SUDO k3s kubectl get node "$K3S_NODE" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}')" = "$want True" ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || { echo "node $K3S_NODE did not report k3s $want and Ready within 300 s: it stays cordoned (journalctl -u k3s-agent on its host); the next pulumi up uncordons it once it does" >&2; exit 1; }
    sleep 1
  done
  $SUDO k3s kubectl uncordon "$K3S_NODE" >/dev/null
  $SUDO k3s kubectl annotate node "$K3S_NODE" ${K3S_UPGRADE_ANNOTATION}- >/dev/null
  changed "uncordoned $K3S_NODE, on k3s $want"
fi
`;
}

/**
 * k3s agent (endpoints): installed when absent, upgraded by the installer run again with the new
 * version when another one is installed (the server's drain step has drained its node by then). The
 * join token is K3S_TOKEN, set by the step program's prefix (on stdin, a secret: never in a command line).
 */
export function k3sAgentScript(version: string, installScriptUrl: string, serverAddress: string): string {
    const install = `curl -sfL ${shq(installScriptUrl)} | $SUDO env INSTALL_K3S_VERSION=${shq(version)} K3S_URL=${shq(`https://${serverAddress}:6443`)} K3S_TOKEN="$K3S_TOKEN" sh -s - agent >/dev/null`;
    return `${PRELUDE}
want=${shq(version)}
${K3S_INSTALLED}
if [ -z "$installed" ]; then
  ${install}
  changed "installed k3s agent ${version}"
elif [ "$installed" != "$want" ]; then
  k3s_may_upgrade "$installed" "$want"
  ${install}
  changed "upgraded k3s agent $installed to $want"
fi
`;
}
