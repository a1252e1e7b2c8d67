// The target VMs, provisioned over SSH as the lab did with Ansible: one HostProvisioner per host runs
// the steps of scripts.ts in order; Hosts adds the optional k3s cluster (its kubeconfig feeds the
// platform's kubernetes.Provider) and the generated Kickstart file.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { allHosts, HostEntry, Inventory, renderInventory } from "./inventory";
import { KickstartSettings, kickstartSalt, renderKickstart, sha512Crypt } from "./kickstart";
import {
    fileSha256,
    hashOf,
    hostSteps,
    HostSteps,
    K3S_TOKEN_SCRIPT,
    k3sAgentScript,
    k3sDrainScript,
    k3sKubeconfigScript,
    k3sProbeScript,
    k3sServerScript,
    k3sUncordonScript,
    shq,
    Step,
    stepProgram,
    stepResult,
} from "./scripts";

/** Bounded waiting for a host: dial attempts, seconds per dial, and the limit of each command. */
export interface ReachSettings {
    /** TCP dials before giving up (also the SSH connection's dials). Defaults to 3. */
    readonly attempts: number;
    /** Seconds each dial may take (also the SSH connection's perDialTimeout). Defaults to 10. */
    readonly perDialTimeoutSeconds: number;
    /** How long one remote script may run, enforced on the host by `timeout`. Defaults to 1200 (package upgrades are slow). */
    readonly commandTimeoutSeconds: number;
}

/** Arguments of {@link HostProvisioner}. */
export interface HostProvisionerArgs {
    readonly host: HostEntry;
    /** Private key for the host's user (a secret). */
    readonly sshPrivateKey: pulumi.Input<string>;
    readonly steps: HostSteps;
    /** The rendered inventory copied to the host. */
    readonly inventory: string;
    readonly reach: ReachSettings;
    /**
     * Converge mode: a value new on every run (a run id), added to every step's triggers so that each
     * step re-runs its idempotent script on every `pulumi up` (drift is put back) and reports ok or
     * changed. Absent: a step runs only when its own input changes. Defaults to absent.
     */
    readonly runId?: string;
}

/**
 * SSH connection settings of a host, bounded by the reach settings. The provider dials once more
 * than its dialErrorLimit (it stops when the dials exceed it), so the limit is `attempts - 1`.
 */
export function connectionOf(host: HostEntry, key: pulumi.Input<string>, reach: ReachSettings): command.types.input.remote.ConnectionArgs {
    return {
        host: host.address,
        port: host.port,
        user: host.user,
        privateKey: pulumi.secret(key),
        hostKey: host.hostKey,
        dialErrorLimit: reach.attempts - 1,
        perDialTimeout: reach.perDialTimeoutSeconds,
    };
}

/** What a remote step runs when only the connection changed (a new host key or private key): no re-run. */
const CONNECTED = 'cat >/dev/null; echo "connected with the new settings"';

/**
 * One host's steps, in order: reachability (run locally; re-run whenever a later step will, or the
 * way to the host changes), the inventory, packages, Docker, the container unit and the artifact
 * flow. Each step's `triggers` are the host's address and the hash of its own script or content, so
 * it re-runs only when that changes (plus the run id in converge mode: every time). A change of the
 * host key or the private key alone re-runs reachability and only connects for the other steps.
 */
export class HostProvisioner extends pulumi.ComponentResource {
    /** The step resources by step id, in order. */
    public readonly steps: Readonly<Record<string, pulumi.Resource>>;
    /** The last step: depend on it to run after the host is ready. */
    public readonly ready: pulumi.Resource;
    /** Output of the artifact's command, when the artifact flow is configured. */
    public readonly artifactOutput?: pulumi.Output<string>;
    /** Step id → "ok" or "changed", from what each step printed on this run (converge mode only). */
    public readonly recap?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: HostProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:hosts:HostProvisioner", name, { host: args.host.name }, opts);
        const host = args.host;
        const plan = hostSteps(host, args.steps, args.inventory, args.reach);
        const connection = connectionOf(host, args.sshPrivateKey, args.reach);
        const where = `${host.address}:${host.port}`;
        const converge = args.runId !== undefined ? [args.runId] : [];
        const everything = hashOf(where, ...plan.map(stepInput));
        // How the host is reached: reachability runs again (first) when it changes.
        const way = pulumi.secret(pulumi.output(args.sshPrivateKey).apply((k) => hashOf(host.user, host.hostKey ?? "", k)));
        const steps: Record<string, pulumi.Resource> = {};
        const results: Record<string, pulumi.Output<string>> = {};
        let previous: pulumi.Resource | undefined;
        for (const step of plan) {
            const o = { parent: this, dependsOn: previous ? [previous] : [] };
            const id = `${name}-${step.id}`;
            let r: pulumi.Resource;
            switch (step.kind) {
                case "local":
                    r = new command.local.Command(id, { create: "bash -s", stdin: step.script, interpreter: ["/bin/sh", "-c"], logging: "stdout", triggers: [everything, way, ...converge] }, o);
                    results[step.id] = pulumi.output("ok");
                    break;
                case "remote": {
                    const c = remoteStep(id, host, connection, step.id, step.script, args.reach, o, {
                        container: step.container,
                        triggers: [where, hashOf(step.script, ...(step.keys ?? [])), ...converge],
                        // The artifact's output is re-read over a new connection rather than replaced by CONNECTED's.
                        update: step.id === "artifact-run" ? undefined : CONNECTED,
                    });
                    // The artifact's command only reads the tarball: ok, whatever it prints.
                    results[step.id] = step.id === "artifact-run" ? pulumi.output("ok") : c.stdout.apply(stepResult);
                    r = c;
                    break;
                }
                case "copyFile":
                    // Copied on the content's change (or every run in converge mode); artifact-check before it says whether it differed.
                    r = new command.remote.CopyToRemote(
                        id,
                        { connection, source: new pulumi.asset.FileAsset(step.localPath), remotePath: step.remotePath, triggers: [where, fileSha256(step.localPath), ...converge] },
                        o,
                    );
                    break;
            }
            steps[step.id] = r;
            previous = r;
        }
        this.steps = steps;
        this.ready = previous!;
        const run = steps["artifact-run"];
        this.artifactOutput = run ? (run as command.remote.Command).stdout : undefined;
        this.recap = args.runId !== undefined ? pulumi.all(results) : undefined;
        this.registerOutputs({ artifactOutput: this.artifactOutput, recap: this.recap });
    }
}

/**
 * A remote step: `bash -s` reading {@link stepProgram} (the script bounded by `timeout` on the host)
 * on stdin. Its standard output is streamed to the update's log; its error output goes only into the
 * error, so the human message is printed once.
 */
function remoteStep(
    id: string,
    host: HostEntry,
    connection: command.types.input.remote.ConnectionArgs,
    step: string,
    script: string,
    reach: ReachSettings,
    opts: pulumi.CustomResourceOptions,
    extra: Partial<command.remote.CommandArgs> & { prefix?: pulumi.Input<string>; prefixIsSecret?: boolean; container?: string } = {},
): command.remote.Command {
    const { prefix, prefixIsSecret = true, container, ...rest } = extra;
    const prefixed = prefix === undefined ? undefined : pulumi.output(prefix).apply((p) => stepProgram(host, step, script, reach.commandTimeoutSeconds, p, container));
    const stdin = prefixed === undefined ? stepProgram(host, step, script, reach.commandTimeoutSeconds, "", container) : prefixIsSecret ? pulumi.secret(prefixed) : prefixed;
    return new command.remote.Command(id, { connection, create: "bash -s", stdin, logging: "stdout", triggers: [hashOf(script)], addPreviousOutputInEnv: false, ...rest }, opts);
}

/** What a step's trigger hashes: its script, or its destination and content. */
function stepInput(step: Step): string {
    switch (step.kind) {
        case "local":
            return step.script;
        case "remote":
            return hashOf(step.script, ...(step.keys ?? []));
        case "copyFile":
            return `${step.remotePath}\n${fileSha256(step.localPath)}`;
    }
}

/** Arguments of {@link Hosts}. */
export interface HostsArgs {
    /** Groups of hosts (the lab: Orchestrators, Endpoints). Every host is provisioned. */
    readonly inventory: Inventory;
    /** Private key of the hosts' user (a secret). Required when the inventory has hosts. */
    readonly sshPrivateKey?: pulumi.Input<string>;
    readonly steps: HostSteps;
    readonly reach: ReachSettings;
    /**
     * A k3s cluster: server on the first host of `serverGroup`, agents on the hosts of `agentGroup`,
     * servicelb and traefik off. A new `version` upgrades it: the server, then each agent in turn,
     * drained before and uncordoned after. Absent: no cluster bootstrap.
     */
    readonly k3s?: { readonly version: string; readonly installScriptUrl: string; readonly serverGroup: string; readonly agentGroup: string };
    /** Converge mode's run id (see {@link HostProvisionerArgs.runId}). Defaults to absent: diff-only. */
    readonly runId?: string;
    /** The Kickstart file to generate. Absent: none. */
    readonly kickstart?: { readonly settings: KickstartSettings; readonly password: pulumi.Input<string>; readonly path: string };
}

/** Every target host, provisioned; optionally a k3s cluster on them and a Kickstart file for new VMs. */
export class Hosts extends pulumi.ComponentResource {
    public readonly provisioners: Readonly<Record<string, HostProvisioner>>;
    /** The rendered inventory.ini. */
    public readonly inventory: string;
    /** The k3s kubeconfig, pointed at the server's address (a secret). */
    public readonly kubeconfig?: pulumi.Output<string>;
    /** Host name → the artifact command's output. */
    public readonly artifactOutputs: Readonly<Record<string, pulumi.Output<string>>>;
    /** Path of the generated Kickstart file. */
    public readonly kickstartPath?: pulumi.Output<string>;
    /** Host name → step id → "ok" or "changed" on this run, like Ansible's recap (converge mode only). */
    public readonly recap?: pulumi.Output<Record<string, Record<string, string>>>;

    constructor(name: string, args: HostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:hosts:Hosts", name, {}, opts);
        this.inventory = renderInventory(args.inventory);
        const targets = allHosts(args.inventory);
        const key = args.sshPrivateKey;
        if (targets.length > 0 && key === undefined) {
            throw new Error(`${name}: sshPrivateKey is required to reach ${targets.map((h) => h.name).join(", ")}`);
        }
        const provisioners: Record<string, HostProvisioner> = {};
        for (const host of targets) {
            provisioners[host.name] = new HostProvisioner(
                `${name}-${host.name}`,
                { host, sshPrivateKey: key!, steps: args.steps, inventory: this.inventory, reach: args.reach, runId: args.runId },
                { parent: this },
            );
        }
        this.provisioners = provisioners;
        this.artifactOutputs = Object.fromEntries(Object.entries(provisioners).flatMap(([h, p]) => (p.artifactOutput ? [[h, p.artifactOutput]] : [])));
        const recaps = Object.entries(provisioners).flatMap(([h, p]) => (p.recap ? [[h, p.recap] as const] : []));
        this.recap = args.runId !== undefined ? pulumi.all(Object.fromEntries(recaps)) : undefined;

        if (args.k3s) {
            const k = args.k3s;
            const server = args.inventory[k.serverGroup]?.[0];
            if (server === undefined) {
                throw new Error(`hosts.k3s.serverGroup: "${k.serverGroup}" has no hosts (expected a group of hosts.groups)`);
            }
            const connection = connectionOf(server, key!, args.reach);
            const converge = args.runId !== undefined ? [args.runId] : [];
            const installServer = k3sServerScript(k.version, k.installScriptUrl, server.address);
            const serverCmd = remoteStep(
                `${name}-k3s-server`,
                server,
                connection,
                "k3s-server",
                installServer,
                args.reach,
                { parent: this, dependsOn: [provisioners[server.name].ready] },
                { update: CONNECTED, triggers: [server.address, hashOf(installServer), ...converge] },
            );
            // Read again whenever the server is (re)installed or reached anew; secret, never logged.
            const secretRead = (id: string, script: string) =>
                remoteStep(
                    `${name}-${id}`,
                    server,
                    connection,
                    id,
                    script,
                    args.reach,
                    { parent: this, dependsOn: [serverCmd], additionalSecretOutputs: ["stdout"] },
                    { logging: "none", triggers: [server.address, hashOf(installServer), ...converge] },
                );
            const kubeconfig = secretRead("k3s-kubeconfig", k3sKubeconfigScript(server.address));
            const token = secretRead("k3s-token", K3S_TOKEN_SCRIPT);
            this.kubeconfig = pulumi.secret(kubeconfig.stdout);
            // The agents one at a time, after the server: each one's node drained before its k3s
            // step when that upgrades it, and uncordoned after, before the next agent begins.
            const joinAgent = k3sAgentScript(k.version, k.installScriptUrl, server.address);
            const probe = k3sProbeScript(k.version);
            const drain = k3sDrainScript(k.version);
            const uncordon = k3sUncordonScript(k.version);
            let before: pulumi.Resource = token;
            for (const agent of args.inventory[k.agentGroup] ?? []) {
                if (agent.name === server.name) continue;
                const agentConnection = connectionOf(agent, key!, args.reach);
                const probed = remoteStep(
                    `${name}-k3s-probe-${agent.name}`,
                    agent,
                    agentConnection,
                    `k3s-probe-${agent.name}`,
                    probe,
                    args.reach,
                    { parent: this, dependsOn: [provisioners[agent.name].ready, before] },
                    { update: CONNECTED, triggers: [agent.address, hashOf(probe), ...converge] },
                );
                // The agent's node and k3s version before its step, as the server's steps read them (re-run when they change).
                const facts = probed.stdout.apply((out) => `${out.trim()}\n`);
                const onServer = (step: string, script: string, dependsOn: pulumi.Resource[]) =>
                    remoteStep(
                        `${name}-${step}-${agent.name}`,
                        server,
                        connection,
                        `${step}-${agent.name}`,
                        script,
                        args.reach,
                        { parent: this, dependsOn },
                        { prefix: facts, prefixIsSecret: false, update: CONNECTED, triggers: [server.address, hashOf(script), facts, ...converge] },
                    );
                const drained = onServer("k3s-drain", drain, [probed]);
                const joined = remoteStep(
                    `${name}-k3s-agent-${agent.name}`,
                    agent,
                    agentConnection,
                    `k3s-agent-${agent.name}`,
                    joinAgent,
                    args.reach,
                    { parent: this, dependsOn: [drained, token] },
                    { prefix: token.stdout.apply((t) => `K3S_TOKEN=${shq(t.trim())}\n`), update: CONNECTED, triggers: [agent.address, hashOf(joinAgent), ...converge] },
                );
                before = onServer("k3s-uncordon", uncordon, [joined]);
            }
        }

        if (args.kickstart) {
            const ks = args.kickstart;
            const content = pulumi.secret(pulumi.output(ks.password).apply((pw) => renderKickstart(ks.settings, sha512Crypt(pw, kickstartSalt(pw, ks.settings.hostname)))));
            const file = new command.local.Command(
                `${name}-kickstart`,
                {
                    create: 'mkdir -p "$(dirname "$KS_PATH")" && umask 077 && cat > "$KS_PATH" && echo "$KS_PATH"',
                    delete: 'rm -f "$KS_PATH"',
                    environment: { KS_PATH: ks.path },
                    stdin: content,
                    interpreter: ["/bin/sh", "-c"],
                    logging: "stdout",
                    triggers: [content.apply((c) => hashOf(c))],
                },
                { parent: this },
            );
            this.kickstartPath = file.stdout.apply((s) => s.trim());
        }
        this.registerOutputs({ inventory: this.inventory, kubeconfig: this.kubeconfig, artifactOutputs: this.artifactOutputs, kickstartPath: this.kickstartPath, recap: this.recap });
    }
}
