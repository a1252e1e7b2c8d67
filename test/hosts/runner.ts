// Runs a host's steps (components/hosts/scripts.ts) over OpenSSH, as the command provider would:
// local scripts with bash, remote scripts on the host's bash, copies written over ssh. Reports the
// `changed:` lines each step printed, so a test can tell a first run from a second.
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { HostEntry, Step, stepProgram } from "../../components/hosts";

export interface SshSettings {
    readonly keyFile: string;
    /** known_hosts with the pinned host keys (StrictHostKeyChecking=yes). */
    readonly knownHosts: string;
    readonly connectTimeoutSeconds: number;
    /** The limit of each remote script (hosts.reach.commandTimeoutSeconds). */
    readonly commandTimeoutSeconds: number;
}

export interface StepResult {
    readonly id: string;
    readonly changes: string[];
    readonly output: string;
}

/** Runs a command on the host over ssh (key, pinned host keys, bounded connect). */
function sshArgs(host: HostEntry, s: SshSettings, remoteCommand: string): string[] {
    return [
        "-i",
        s.keyFile,
        "-p",
        String(host.port),
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${s.knownHosts}`,
        "-o",
        `ConnectTimeout=${s.connectTimeoutSeconds}`,
        `${host.user}@${host.address}`,
        remoteCommand,
    ];
}

export function ssh(host: HostEntry, s: SshSettings, remoteCommand: string, input: string | Buffer = ""): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("ssh", sshArgs(host, s, remoteCommand), { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * {@link ssh} without blocking this process: a step may wait on the host's init (lab.ts), which runs
 * on this process's event loop.
 */
export function sshAsync(host: HostEntry, s: SshSettings, remoteCommand: string, input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("ssh", sshArgs(host, s, remoteCommand), { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
        child.stdin.end(input);
    });
}

const sha256 = (text: string | Buffer) => crypto.createHash("sha256").update(text).digest("hex");

/** Runs one step; throws with the step's own error output when it fails. */
export async function runStep(host: HostEntry, step: Step, s: SshSettings): Promise<StepResult> {
    const fail = (out: { status: number | null; stderr: string; stdout: string }) => {
        throw new Error(`step ${step.id} on ${host.name} failed (${out.status}): ${out.stderr.trim() || out.stdout.trim()}`);
    };
    switch (step.kind) {
        case "local": {
            const r = spawnSync("bash", ["-s"], { input: step.script, encoding: "utf8" });
            if (r.status !== 0) fail({ status: r.status, stdout: r.stdout, stderr: r.stderr });
            return { id: step.id, changes: [], output: r.stdout };
        }
        case "remote": {
            // As the component runs it: `bash -s` reading the bounded step program; stdout loses its last newline.
            const r = await sshAsync(host, s, "bash -s", stepProgram(host, step.id, step.script, s.commandTimeoutSeconds, "", step.container));
            if (r.status !== 0) fail(r);
            return { id: step.id, changes: r.stdout.split("\n").filter((l) => l.startsWith("changed: ")), output: r.stdout.replace(/\n$/, "") };
        }
        case "copyFile": {
            // Like CopyToRemote, but only when the content differs, so a second run reports no change.
            const content = fs.readFileSync(step.localPath);
            const have = ssh(host, s, `sha256sum ${step.remotePath} 2>/dev/null || true`, "");
            if (have.status !== 0) fail(have);
            if (have.stdout.split(" ")[0] === sha256(content)) {
                return { id: step.id, changes: [], output: "" };
            }
            const w = ssh(host, s, `cat > ${step.remotePath}`, content);
            if (w.status !== 0) fail(w);
            return { id: step.id, changes: [`changed: copied ${step.remotePath}`], output: "" };
        }
    }
}

/**
 * Runs the steps in order, stopping at the first failure (as dependsOn does). `after` runs what the
 * host itself would do between two steps (its init starting a freshly installed service, say).
 */
export async function runSteps(host: HostEntry, steps: readonly Step[], s: SshSettings, after: Record<string, () => Promise<void>> = {}): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const step of steps) {
        results.push(await runStep(host, step, s));
        await after[step.id]?.();
    }
    return results;
}
