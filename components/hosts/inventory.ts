// The host inventory: groups of hosts as the lab's Ansible inventory had them, and that inventory
// rendered as `inventory.ini` (copied to every host, as the lab's playbook did).

/** One target host. */
export interface HostEntry {
    /** Name, as in the inventory and in resource names (a DNS label). */
    readonly name: string;
    /** IPv4 address or DNS name to reach it at. */
    readonly address: string;
    /** SSH port. */
    readonly port: number;
    /** SSH user (needs sudo without a password when not root). */
    readonly user: string;
    /** Pinned host public key ("ssh-ed25519 AAAA…"); absent: the key is not checked. */
    readonly hostKey?: string;
}

/** Group name → its hosts, in order (the lab: `Orchestrators`, `Endpoints`). */
export type Inventory = Readonly<Record<string, readonly HostEntry[]>>;

/** Every host of the inventory once, in group order (a host may sit in two groups). */
export function allHosts(inventory: Inventory): HostEntry[] {
    const seen = new Map<string, HostEntry>();
    for (const hosts of Object.values(inventory)) {
        for (const h of hosts) {
            if (!seen.has(h.name)) seen.set(h.name, h);
        }
    }
    return [...seen.values()];
}

/** The inventory in Ansible's INI format, one `[group]` per group, hosts with their connection settings. */
export function renderInventory(inventory: Inventory): string {
    return Object.entries(inventory)
        .map(([group, hosts]) => [`[${group}]`, ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.user}`)].join("\n"))
        .join("\n\n")
        .concat("\n");
}
