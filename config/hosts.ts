// Settings of the hosts (components/hosts): the inventory, the steps run over SSH, k3s and the
// Kickstart; the rules across them and the Hosts component's arguments.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { HostSteps, HostsArgs, Inventory } from "../components/hosts";
import { parseIpv4 } from "../components/network/ipv4";
import { bool, DNS_SUBDOMAIN, dnsLabel, dnsName, expected, intIn, matching, nonEmpty, pinnedImage, renderValue, Report, strict, withDefaults } from "./primitives";

const HOST_ADDRESS = 'an IPv4 address or a DNS name such as "10.0.0.2"';
const hostAddress = z.string(expected(HOST_ADDRESS)).refine((a) => parseIpv4(a) !== undefined || (DNS_SUBDOMAIN.test(a) && !/^[\d.]+$/.test(a)), expected(HOST_ADDRESS));
const LINUX_USER = "a Linux user name (lowercase letters, digits, '_' and '-')";
const linuxUser = matching(/^[a-z_][a-z0-9_-]{0,31}$/, LINUX_USER);
const HOST_KEY = 'an SSH public host key such as "ssh-ed25519 AAAA…"';
const PACKAGE = 'a package name such as "docker"';
const packageName = matching(/^@?\^?[A-Za-z0-9][A-Za-z0-9+._-]*$/, PACKAGE);
const URL_WHAT = "an http(s) URL";
const httpUrl = matching(/^https?:\/\/\S+$/, URL_WHAT);
const ABS_PATH = 'an absolute path such as "/tmp/artifact.tar.gz"';
const absPath = matching(/^\/[^\0]*$/, ABS_PATH);
const PORT_MAP = 'a port mapping "host:container" such as "80:80"';

const hostSchema = strict({
    name: dnsLabel.describe("Host name, as in the inventory."),
    address: hostAddress.describe("IPv4 address or DNS name the host is reached at."),
    port: intIn(1, 65535).optional().describe("SSH port. Not set: hosts.port."),
    user: linuxUser.optional().describe("SSH user. Not set: hosts.user."),
    hostKey: z
        .string(expected(HOST_KEY))
        .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$/, expected(HOST_KEY))
        .optional()
        .describe("Pinned SSH host key (`ssh-keyscan -t ed25519 <address>`). Not set: not checked."),
});

const FEDORA_41 = "http://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64";
const FEDORA_41_UPDATES = "http://mirrors.fedoraproject.org/mirrorlist?repo=updates-released-f41&arch=x86_64";
const LAB_UNIT = { enabled: true, name: "nginx-container", image: "docker.io/library/nginx:1.26.3", ports: ["80:80"] };

export const hostsSchema = strict({
    enabled: bool.default(false).describe("Provision the hosts over SSH in the same `pulumi up` (needs the secret hostsSshPrivateKey)."),
    converge: bool
        .default(false)
        .describe(
            "Converge mode: every step re-runs its idempotent script on every `pulumi up` (drift on a host is put back) and reports ok or changed in the stack output hostsRecap. false: a step runs only when its own input changes (on in the dev and prod stacks).",
        ),
    user: linuxUser.default("ansible").describe("SSH user of every host unless a host says otherwise; needs sudo without a password."),
    port: intIn(1, 65535).default(22).describe("SSH port of every host unless a host says otherwise."),
    groups: z
        .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/), z.array(hostSchema, expected("a list of hosts")).min(1, expected("a non-empty list of hosts")), {
            error: (issue) =>
                issue.code === "invalid_key"
                    ? `${renderValue(issue.input)} is not a group name (expected letters, digits and '_', such as "Endpoints")`
                    : expected("a map of group name to hosts").error(issue),
        })
        .default({})
        .describe("Group → hosts, as the lab's inventory.ini (Orchestrators, Endpoints)."),
    groupOrder: z
        .array(z.string(expected("a group name")), expected("a list of group names"))
        .optional()
        .describe("The groups' order in inventory.ini (Pulumi hands a config map over with its keys sorted). Not set: the groups sorted by name."),
    reach: withDefaults(
        strict({
            attempts: intIn(1, 20).default(3).describe("TCP dials to the SSH port before a host counts as unreachable; also the SSH connection's dials."),
            perDialTimeoutSeconds: intIn(1, 300).default(10).describe("Seconds each dial may take."),
            commandTimeoutSeconds: intIn(10, 7200).default(1200).describe("How long one step's script may run on the host (enforced there by `timeout`; package upgrades are slow)."),
        }),
    ).describe("Bounded waiting for a host: dials, and the time limit of each step."),
    inventoryPath: nonEmpty("a file path").default("inventory.ini").describe("Where the inventory copy goes on every host, relative to the user's home."),
    packages: withDefaults(
        strict({
            enabled: bool.default(true).describe("Run the packages step."),
            update: bool.default(true).describe("Upgrade every installed package (the lab's `dnf name='*' state=latest`)."),
            install: z.array(packageName, expected("a list of package names")).default([]).describe("Packages to install when missing."),
            restart: z.array(dnsName, expected("a list of service names")).default(["sshd", "rngd"]).describe("Services restarted after packages changed, where they exist."),
            mirror: strict({
                apt: matching(/^deb (\[[^\]]*\] )?\S+ \S+/, 'an apt sources line such as "deb http://mirror/debian bookworm main"')
                    .optional()
                    .describe("An apt sources line used instead of the distribution's."),
                dnf: httpUrl.optional().describe("A dnf baseurl used instead of the distribution's."),
            })
                .optional()
                .describe("A local mirror, for hosts without the internet. Not set: the distribution's."),
        }),
    ).describe("The packages step (dnf or apt-get, detected on the host)."),
    docker: withDefaults(strict({ enabled: bool.default(true).describe("Install Docker from the distribution, enable and start it.") })).describe("The docker step."),
    service: strict({
        enabled: bool.default(true).describe("Run the service step."),
        name: dnsLabel.default(LAB_UNIT.name).describe("Unit name, without `.service`."),
        image: pinnedImage.default(LAB_UNIT.image).describe("The container's image, pinned by tag."),
        ports: z
            .array(matching(/^\d{1,5}:\d{1,5}$/, PORT_MAP), expected(`a list of port mappings`))
            .default(LAB_UNIT.ports)
            .describe("Published ports, as `host:container`."),
    })
        .default(LAB_UNIT)
        .describe("The lab's container as a systemd unit (Restart=always), enabled and started."),
    artifact: strict({
        source: nonEmpty("a local file path").describe("Local path of the tarball."),
        remotePath: absPath.default("/tmp/artifact.tar.gz").describe("Where the tarball goes on the host."),
        image: pinnedImage.describe("Image of the throw-away container, pinned by tag."),
        mountPath: absPath.default("/artifact.tar.gz").describe("Where the tarball is mounted in the container (read-only)."),
        command: nonEmpty("a shell command").describe("Command run by `sh -c` in the container; its output is the stack output artifactOutputs.<host>."),
        containerName: dnsLabel.default("artifact").describe("Name of the container."),
    })
        .optional()
        .describe("The artifact flow: copy a tarball, run a command in a container with it mounted, keep its output. Not set: no artifact steps."),
    k3s: withDefaults(
        strict({
            enabled: bool.default(false).describe("Install k3s (`--disable servicelb --disable traefik`) and hand its kubeconfig to the platform's provider in the same `pulumi up`."),
            version: matching(/^v\d+\.\d+\.\d+\+k3s\d+$/, 'a k3s release such as "v1.34.1+k3s1"')
                .default("v1.34.1+k3s1")
                .describe(
                    "The k3s release, pinned. A change upgrades k3s: the server, then each agent in turn, drained before and uncordoned after; a downgrade or a skipped minor version is refused.",
                ),
            installScriptUrl: httpUrl.default("https://get.k3s.io").describe("The install script (a local copy for hosts without the internet)."),
            serverGroup: z.string().default("Orchestrators").describe("Group whose first host is the k3s server."),
            agentGroup: z.string().default("Endpoints").describe("Group whose hosts join as agents."),
        }),
    ).describe("k3s on the hosts."),
    kickstart: strict({
        enabled: bool.default(false).describe("Write the Kickstart file (needs the secret kickstartPassword)."),
        path: nonEmpty("a file path").default("rendered/kickstart/ks.cfg").describe("Where the file is written (point the installer's inst.ks= at a URL serving it)."),
        hostname: dnsLabel.describe("Host name of the installed system."),
        timezone: matching(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'a timezone such as "Europe/Warsaw"')
            .default("Europe/Warsaw")
            .describe("Time zone."),
        lang: matching(/^[a-z]{2,3}_[A-Z]{2}(\.UTF-8)?$/, 'a locale such as "pl_PL.UTF-8"')
            .default("pl_PL.UTF-8")
            .describe("Locale."),
        keyboard: matching(/^[a-z]{2}(-[a-z0-9]+)?$/, 'a keymap such as "us"')
            .default("us")
            .describe("Keymap."),
        mirrorlist: httpUrl.default(FEDORA_41).describe("Mirror list of the installation source."),
        repos: z
            .array(strict({ name: dnsLabel.describe("Repository name."), mirrorlist: httpUrl.describe("Its mirror list.") }), expected("a list of repositories"))
            .default([{ name: "update", mirrorlist: FEDORA_41_UPDATES }])
            .describe("More repositories."),
        user: linuxUser.default("ansible").describe("The admin user, member of `wheel` (its password: the secret kickstartPassword)."),
        disk: matching(/^[a-z]+[0-9a-z]*$/, 'a disk name such as "sda"')
            .default("sda")
            .describe("Disk wiped and partitioned automatically."),
        packages: z.array(packageName, expected("a list of package names")).default(["@^custom-environment", "docker", "git", "tar", "wget"]).describe("Packages installed."),
    })
        .optional()
        .describe("The lab's Kickstart file for an unattended Fedora 41 install. Not set: none."),
});

/** What the hosts rules read: the hosts keys, their two secrets (present or not) and the cluster keys. */
interface HostsView {
    readonly hosts: z.output<typeof hostsSchema>;
    readonly cluster: { readonly kubeconfig?: string; readonly context?: string };
    readonly hostsSshPrivateKey?: unknown;
    readonly kickstartPassword?: unknown;
}

/** Rules across the hosts keys. */
export function hostChecks(cfg: HostsView, add: Report): void {
    const h = cfg.hosts;
    if (h.kickstart?.enabled && cfg.kickstartPassword === undefined) {
        add(["kickstartPassword"], "is required when hosts.kickstart.enabled is true (set it with: pulumi config set --secret kickstartPassword <password>)");
    }
    if (!h.enabled) {
        return;
    }
    const groups = Object.keys(h.groups);
    if (groups.length === 0) {
        add(["hosts", "groups"], "is empty while hosts.enabled is true (expected at least one group of hosts, such as Endpoints)");
    }
    if (h.groupOrder !== undefined) {
        const order = h.groupOrder;
        const wrong = order.filter((g, i) => h.groups[g] === undefined || order.indexOf(g) !== i);
        const left = groups.filter((g) => !order.includes(g));
        if (wrong.length > 0 || left.length > 0) {
            add(
                ["hosts", "groupOrder"],
                `${renderValue(order)} does not name each group of hosts.groups once (expected an order of ${groups.join(", ")}${wrong.length > 0 ? `; unknown or repeated: ${wrong.join(", ")}` : ""}${left.length > 0 ? `; missing: ${left.join(", ")}` : ""})`,
            );
        }
    }
    const seen = new Map<string, string>();
    for (const [group, hosts] of Object.entries(h.groups)) {
        hosts.forEach((host, i) => {
            const where = `${host.address}:${host.port ?? h.port}`;
            const before = seen.get(host.name);
            if (before !== undefined && before !== where) {
                add(["hosts", "groups", group, i, "name"], `${renderValue(host.name)} is declared twice with different addresses (${before}, ${where}) (expected one address per host name)`);
            }
            seen.set(host.name, where);
        });
    }
    if (cfg.hostsSshPrivateKey === undefined) {
        add(["hostsSshPrivateKey"], "is required when hosts.enabled is true (set it with: pulumi config set --secret hostsSshPrivateKey < ~/.ssh/id_ed25519)");
    }
    if ((h.service.enabled || h.artifact !== undefined) && !h.docker.enabled) {
        add(["hosts", "docker", "enabled"], `false, but ${h.service.enabled ? "hosts.service" : "hosts.artifact"} runs a container (expected true, or turn those off)`);
    }
    if (h.k3s.enabled) {
        if (h.groups[h.k3s.serverGroup] === undefined) {
            add(["hosts", "k3s", "serverGroup"], `${renderValue(h.k3s.serverGroup)} is not a group of hosts.groups (expected one of ${groups.join(", ")})`);
        }
        if (h.groups[h.k3s.agentGroup] === undefined) {
            add(["hosts", "k3s", "agentGroup"], `${renderValue(h.k3s.agentGroup)} is not a group of hosts.groups (expected one of ${groups.join(", ")})`);
        }
        // The provider takes the kubeconfig k3s writes (its one context, "default"): a cluster key would name another cluster.
        const set = (["kubeconfig", "context"] as const).filter((k) => cfg.cluster[k] !== undefined);
        if (set.length > 0) {
            add(
                ["hosts", "k3s", "enabled"],
                `true, and ${set.map((k) => `cluster.${k}${k === "context" ? ` ${renderValue(cfg.cluster.context)}` : ""}`).join(" and ")} ${set.length > 1 ? "are" : "is"} set too (expected one: the provider takes the kubeconfig k3s writes; remove ${set.length > 1 ? "them" : "it"} from the stack with ${set.map((k) => `pulumi config rm --path cluster.${k}`).join(" and ")})`,
            );
        }
    }
}

/** What the hosts' plan reads: the parsed hosts keys and their two secrets, wrapped as parseConfig wraps them. */
export interface HostsPlanInput {
    readonly hosts: z.output<typeof hostsSchema>;
    readonly hostsSshPrivateKey?: pulumi.Output<string>;
    readonly kickstartPassword?: pulumi.Output<string>;
}

/** The host inventory, groups in hosts.groupOrder, with every host's port and user filled in from the hosts defaults. */
export function inventoryOf(cfg: HostsPlanInput): Inventory {
    const h = cfg.hosts;
    const order = h.groupOrder ?? Object.keys(h.groups).sort();
    return Object.fromEntries(
        order
            .map((group) => [group, h.groups[group]] as const)
            .map(([group, hosts]) => [group, hosts.map((x) => ({ name: x.name, address: x.address, port: x.port ?? h.port, user: x.user ?? h.user, hostKey: x.hostKey }))]),
    );
}

/** The per-host steps the config turns on. */
export function hostStepsOf(cfg: HostsPlanInput): HostSteps {
    const h = cfg.hosts;
    return {
        inventoryPath: h.inventoryPath,
        packages: h.packages.enabled ? { update: h.packages.update, install: h.packages.install, restart: h.packages.restart, mirror: h.packages.mirror } : undefined,
        docker: h.docker.enabled,
        service: h.service.enabled ? { name: h.service.name, image: h.service.image, ports: h.service.ports } : undefined,
        artifact: h.artifact,
    };
}

/**
 * The Hosts component's arguments: the provisioned inventory when hosts are on, the Kickstart when it
 * is on; undefined when neither is. (parseConfig sets the key and the password only when their part is on.)
 * Pure: `runId` comes from the caller (index.ts: new on every run), and is used in converge mode only.
 */
export function hostsPlan(cfg: HostsPlanInput, runId: string): HostsArgs | undefined {
    const key = cfg.hostsSshPrivateKey;
    const password = cfg.kickstartPassword;
    const kickstart = cfg.hosts.kickstart;
    if (key === undefined && password === undefined) {
        return undefined;
    }
    return {
        inventory: key !== undefined ? inventoryOf(cfg) : {},
        sshPrivateKey: key,
        steps: hostStepsOf(cfg),
        reach: cfg.hosts.reach,
        // New on every run (the caller's): in converge mode each step's triggers change, so every step runs.
        runId: key !== undefined && cfg.hosts.converge ? runId : undefined,
        k3s: key !== undefined && cfg.hosts.k3s.enabled ? cfg.hosts.k3s : undefined,
        kickstart: kickstart !== undefined && password !== undefined ? { settings: kickstart, password, path: kickstart.path } : undefined,
    };
}
