// The target VMs, provisioned over SSH as the lab did with Ansible: one HostProvisioner per host runs
// the steps of scripts.ts in order; Hosts adds the optional k3s cluster (its kubeconfig feeds the
// platform's kubernetes.Provider) and the generated Kickstart file.
import * as fs from "fs";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { allHosts, HostEntry, Inventory, renderInventory } from "./inventory";
import { KickstartSettings, kickstartSalt, renderKickstart, sha512Crypt } from "./kickstart";
import { hashOf, hostSteps, HostSteps, K3S_TOKEN_SCRIPT, k3sAgentScript, k3sKubeconfigScript, k3sServerScript, Step } from "./scripts";

/** Bounded waiting for a host: dial attempts, seconds per dial, and the limit of each command. */
export interface ReachSettings {
    /** TCP dials before giving up (also the SSH connection's dialErrorLimit). Defaults to 3. */
    readonly attempts: number;
    /** Seconds each dial may take (also the SSH connection's perDialTimeout). Defaults to 10. */
    readonly perDialTimeoutSeconds: number;
    /** How long one remote command may run (customTimeouts). Defaults to 1200 (package upgrades are slow). */
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
}

/** SSH connection settings of a host, bounded by the reach settings. */
export function connectionOf(host: HostEntry, key: pulumi.Input<string>, reach: ReachSettings): command.types.input.remote.ConnectionArgs {
    return {
        host: host.address,
        port: host.port,
        user: host.user,
        privateKey: pulumi.secret(key),
        hostKey: host.hostKey,
        dialErrorLimit: reach.attempts,
        perDialTimeout: reach.perDialTimeoutSeconds,
    };
}

/**
 * One host's steps, in order: reachability (run locally; re-run whenever a later step will run), the
 * inventory copy, packages, Docker, the container unit and the artifact flow. Each step is a resource
 * whose `triggers` is the hash of its own script or content, so it re-runs only when that changes.
 */
export class HostProvisioner extends pulumi.ComponentResource {
    /** The step resources by step id, in order. */
    public readonly steps: Readonly<Record<string, pulumi.Resource>>;
    /** The last step: depend on it to run after the host is ready. */
    public readonly ready: pulumi.Resource;
    /** Output of the artifact's command, when the artifact flow is configured. */
    public readonly artifactOutput?: pulumi.Output<string>;

    constructor(name: string, args: HostProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:hosts:HostProvisioner", name, { host: args.host.name }, opts);
        const plan = hostSteps(args.host, args.steps, args.inventory, args.reach);
        const connection = connectionOf(args.host, args.sshPrivateKey, args.reach);
        const timeouts = commandTimeouts(args.reach);
        const everything = hashOf(...plan.map(stepInput));
        const steps: Record<string, pulumi.Resource> = {};
        let previous: pulumi.Resource | undefined;
        for (const step of plan) {
            const o = { parent: this, dependsOn: previous ? [previous] : [], customTimeouts: timeouts };
            const id = `${name}-${step.id}`;
            let r: pulumi.Resource;
            switch (step.kind) {
                case "local":
                    r = new command.local.Command(id, { create: step.script, interpreter: ["/bin/bash", "-c"], triggers: [everything] }, o);
                    break;
                case "remote":
                    r = remoteScript(id, connection, step.script, o);
                    break;
                case "copy":
                    r = new command.remote.CopyToRemote(id, { connection, source: new pulumi.asset.StringAsset(step.content), remotePath: step.remotePath, triggers: [hashOf(step.content)] }, o);
                    break;
                case "copyFile":
                    r = new command.remote.CopyToRemote(id, { connection, source: new pulumi.asset.FileAsset(step.localPath), remotePath: step.remotePath, triggers: [fileHash(step.localPath)] }, o);
                    break;
            }
            steps[step.id] = r;
            previous = r;
        }
        this.steps = steps;
        this.ready = previous!;
        const run = steps["artifact-run"];
        this.artifactOutput = run ? (run as command.remote.Command).stdout : undefined;
        this.registerOutputs({ artifactOutput: this.artifactOutput });
    }
}

/** Hash of a local file's content (its path when it does not exist yet: the copy then fails with the path). */
function fileHash(localPath: string): string {
    return fs.existsSync(localPath) ? hashOf(fs.readFileSync(localPath)) : localPath;
}

/** The limit of one remote command, for both create and update. */
function commandTimeouts(reach: ReachSettings): pulumi.CustomTimeouts {
    return { create: `${reach.commandTimeoutSeconds}s`, update: `${reach.commandTimeoutSeconds}s` };
}

/** A script run on a host, re-run when the script changes (unless `extra` says otherwise). */
function remoteScript(
    id: string,
    connection: command.types.input.remote.ConnectionArgs,
    script: string,
    opts: pulumi.CustomResourceOptions,
    extra: Partial<command.remote.CommandArgs> = {},
): command.remote.Command {
    return new command.remote.Command(id, { connection, create: script, triggers: [hashOf(script)], addPreviousOutputInEnv: false, ...extra }, opts);
}

/** What a step's trigger hashes: its script, or its destination and content. */
function stepInput(step: Step): string {
    switch (step.kind) {
        case "local":
        case "remote":
            return step.script;
        case "copy":
            return `${step.remotePath}\n${step.content}`;
        case "copyFile":
            return `${step.remotePath}\n${fileHash(step.localPath)}`;
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
     * servicelb and traefik off. Absent: no cluster bootstrap.
     */
    readonly k3s?: { readonly version: string; readonly installScriptUrl: string; readonly serverGroup: string; readonly agentGroup: string };
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
            provisioners[host.name] = new HostProvisioner(`${name}-${host.name}`, { host, sshPrivateKey: key!, steps: args.steps, inventory: this.inventory, reach: args.reach }, { parent: this });
        }
        this.provisioners = provisioners;
        this.artifactOutputs = Object.fromEntries(Object.entries(provisioners).flatMap(([h, p]) => (p.artifactOutput ? [[h, p.artifactOutput]] : [])));

        if (args.k3s) {
            const k = args.k3s;
            const server = args.inventory[k.serverGroup]?.[0];
            if (server === undefined) {
                throw new Error(`hosts.k3s.serverGroup: "${k.serverGroup}" has no hosts (expected a group of hosts.groups)`);
            }
            const connection = connectionOf(server, key!, args.reach);
            const timeouts = commandTimeouts(args.reach);
            const installServer = k3sServerScript(k.version, k.installScriptUrl, server.address);
            const serverCmd = remoteScript(`${name}-k3s-server`, connection, installServer, { parent: this, dependsOn: [provisioners[server.name].ready], customTimeouts: timeouts });
            // Read again whenever the server is (re)installed.
            const secretRead = (id: string, script: string) =>
                remoteScript(
                    `${name}-${id}`,
                    connection,
                    script,
                    { parent: this, dependsOn: [serverCmd], additionalSecretOutputs: ["stdout"] },
                    { logging: "none", triggers: [hashOf(installServer)] },
                );
            const kubeconfig = secretRead("k3s-kubeconfig", k3sKubeconfigScript(server.address));
            const token = secretRead("k3s-token", K3S_TOKEN_SCRIPT);
            this.kubeconfig = pulumi.secret(kubeconfig.stdout);
            const joinAgent = k3sAgentScript(k.version, k.installScriptUrl, server.address);
            for (const agent of args.inventory[k.agentGroup] ?? []) {
                if (agent.name === server.name) continue;
                remoteScript(
                    `${name}-k3s-agent-${agent.name}`,
                    connectionOf(agent, key!, args.reach),
                    joinAgent,
                    { parent: this, dependsOn: [provisioners[agent.name].ready, token], customTimeouts: timeouts },
                    { stdin: pulumi.secret(token.stdout) },
                );
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
        this.registerOutputs({ inventory: this.inventory, kubeconfig: this.kubeconfig, artifactOutputs: this.artifactOutputs, kickstartPath: this.kickstartPath });
    }
}
