// The provisioning steps of one host: the shell scripts of steps/, each with its inputs as shell
// assignments before it. The HostProvisioner component runs them with @pulumi/command (local.Command /
// remote.Command / remote.CopyToRemote); the real-host test (`npm run test:hosts`) runs the very same
// scripts over ssh. Every remote script is idempotent and prints `changed: <what>` for each change it
// makes, so a second run prints none.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
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
 * reads it): the step re-runs when they change. `container` is the container a remote step runs,
 * removed when the step's time limit stops it.
 */
export type Step =
    | { readonly id: string; readonly kind: "local"; readonly script: string }
    | { readonly id: string; readonly kind: "remote"; readonly script: string; readonly keys?: readonly string[]; readonly container?: string }
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

/** The folder of the step scripts. */
const STEPS_DIR = path.join(__dirname, "steps");

/** A step script's line that sources another file of steps/ (shellcheck follows it; the host has no copy). */
const SOURCE_LINE = /^\. "\$\(dirname "\$0"\)\/([a-z0-9-]+\.sh)"$/;

const stepFiles = new Map<string, string>();

/**
 * A file of components/hosts/steps/ as it is sent to a host: each line sourcing another file of
 * steps/ replaced by that file's lines, comment lines left out.
 */
export function stepFile(file: string): string {
    let text = stepFiles.get(file);
    if (text === undefined) {
        text = fs
            .readFileSync(path.join(STEPS_DIR, file), "utf8")
            .split("\n")
            .filter((line) => line !== "" && !/^\s*#/.test(line))
            .map((line) => {
                const sourced = SOURCE_LINE.exec(line);
                return sourced ? stepFile(sourced[1]).trimEnd() : line;
            })
            .join("\n")
            .concat("\n");
        stepFiles.set(file, text);
    }
    return text;
}

/** A step's script: its inputs as shell assignments (quoted), then {@link stepFile}. */
export function stepScript(file: string, inputs: Readonly<Record<string, string | number>> = {}): string {
    const assignments = Object.entries(inputs).map(([name, value]) => `${name}=${shq(String(value))}\n`);
    return `${assignments.join("")}${stepFile(file)}`;
}

/** How a host is named in the steps' messages: `host "vm1" (10.231.1.2:22)`. */
export function hostLabel(host: HostEntry): string {
    return `host "${host.name}" (${host.address}:${host.port})`;
}

/** Reachability, run where `pulumi up` runs (steps/reach.sh). */
export function reachScript(host: HostEntry, attempts: number, perDialTimeoutSeconds: number): string {
    return stepScript("reach.sh", { HOST_NAME: host.name, HOST_ADDRESS: host.address, HOST_PORT: host.port, REACH_ATTEMPTS: attempts, REACH_DIAL_SECONDS: perDialTimeoutSeconds });
}

/** Packages: dnf or apt-get, detected on the host (steps/packages.sh). */
export function packagesScript(p: PackageSettings): string {
    return stepScript("packages.sh", {
        PKG_UPDATE: p.update ? 1 : 0,
        PKG_INSTALL: p.install.join(" "),
        PKG_RESTART: p.restart.join(" "),
        PKG_APT_MIRROR: p.mirror?.apt ?? "",
        PKG_DNF_MIRROR: p.mirror?.dnf ?? "",
    });
}

/** Docker from the distribution, enabled and started (steps/docker.sh). */
export function dockerScript(): string {
    return stepScript("docker.sh");
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

/** Writes the unit when it differs, then enables and starts it; restarts it when it changed (steps/service.sh). */
export function serviceScript(s: ContainerServiceSettings): string {
    return stepScript("service.sh", { SERVICE_NAME: s.name, SERVICE_UNIT: containerUnit(s).trimEnd() });
}

/** Runs the artifact's command in a throw-away container with the tarball mounted; prints its output (steps/artifact-run.sh). */
export function artifactScript(a: ArtifactSettings): string {
    return stepScript("artifact-run.sh", {
        ARTIFACT_CONTAINER: a.containerName,
        ARTIFACT_PATH: a.remotePath,
        ARTIFACT_MOUNT: a.mountPath,
        ARTIFACT_IMAGE: a.image,
        ARTIFACT_COMMAND: a.command,
    });
}

/** Says whether the tarball on the host differs from the local one, before it is copied (steps/artifact-check.sh). */
export function artifactCheckScript(remotePath: string, sha256: string): string {
    return stepScript("artifact-check.sh", { ARTIFACT_PATH: remotePath, ARTIFACT_SHA256: sha256 });
}

/** Writes `content` to `file` (relative to the user's home, or absolute) when it differs (steps/file.sh). */
export function fileScript(file: string, content: string): string {
    return stepScript("file.sh", { FILE_PATH: file, FILE_CONTENT: content.replace(/\n$/, "") });
}

/**
 * What the command provider runs for a step: `bash -s` reading steps/step.sh with `script` in its
 * here-document, bounded by `timeout` on the host (the provider enforces no customTimeouts).
 * `prefix` goes before the script, inside the bounded part (the k3s join token, from a secret);
 * `container` is removed when the limit stops the step (the artifact's container).
 */
export function stepProgram(host: HostEntry, step: string, script: string, limitSeconds: number, prefix = "", container = ""): string {
    const body = `${prefix}${script.trimEnd()}`;
    if (/^BMP_STEP_END$/m.test(body)) throw new Error(`step ${step}: the script may not contain a line "BMP_STEP_END"`);
    return stepScript("step.sh", { STEP_NAME: `${hostLabel(host)} step ${step}`, STEP_LIMIT: limitSeconds, STEP_CONTAINER: container }).replace(/^BMP_STEP_SCRIPT$/m, () => body);
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
        steps.push({ id: "artifact-run", kind: "remote", script: artifactScript(s.artifact), keys: [content], container: s.artifact.containerName });
    }
    return steps;
}

/** The annotation the drain step puts on an agent's node before its k3s upgrade; the uncordon step removes it. */
export const K3S_UPGRADE_ANNOTATION = "bmp.local/k3s-upgrade";

/** k3s server: installed, or upgraded by its installer run again (steps/k3s-server.sh). */
export function k3sServerScript(version: string, installScriptUrl: string, address: string): string {
    return stepScript("k3s-server.sh", { K3S_VERSION: version, K3S_INSTALL_URL: installScriptUrl, K3S_SERVER_ADDRESS: address });
}

/** Reads the server's kubeconfig, pointed at its address (steps/k3s-kubeconfig.sh). */
export function k3sKubeconfigScript(address: string): string {
    return stepScript("k3s-kubeconfig.sh", { K3S_SERVER_ADDRESS: address });
}

/** Reads the server's join token (steps/k3s-token.sh). */
export const K3S_TOKEN_SCRIPT = stepScript("k3s-token.sh");

/**
 * An agent's facts before its k3s step (steps/k3s-probe.sh), printed as the shell assignments the
 * server's drain and uncordon steps start with: `K3S_NODE` and `K3S_INSTALLED`.
 */
export function k3sProbeScript(version: string): string {
    return stepScript("k3s-probe.sh", { K3S_VERSION: version });
}

/** On the server, before an agent's k3s upgrade: marks its node and drains it (steps/k3s-drain.sh). */
export function k3sDrainScript(version: string): string {
    return stepScript("k3s-drain.sh", { K3S_VERSION: version, K3S_MARK: K3S_UPGRADE_ANNOTATION });
}

/** On the server, after an agent's k3s step: uncordons a node the drain step marked (steps/k3s-uncordon.sh). */
export function k3sUncordonScript(version: string): string {
    return stepScript("k3s-uncordon.sh", { K3S_VERSION: version, K3S_MARK: K3S_UPGRADE_ANNOTATION });
}

/** k3s agent: installed, or upgraded by its installer run again (steps/k3s-agent.sh); K3S_TOKEN comes from the step program's prefix. */
export function k3sAgentScript(version: string, installScriptUrl: string, serverAddress: string): string {
    return stepScript("k3s-agent.sh", { K3S_VERSION: version, K3S_INSTALL_URL: installScriptUrl, K3S_SERVER_ADDRESS: serverAddress });
}
