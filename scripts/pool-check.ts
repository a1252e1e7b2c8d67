// `npm run deploy`'s check that the MetalLB pool can be reached: MetalLB answers ARP for the pool on
// the nodes' network, so a pool on no node's network gets addresses nobody can reach. A Node object
// carries its addresses but not its network's prefix, so "the same network" is read as the same /16
// — wide enough for kind's 172.18.0.0/16 and every /24, narrow enough to tell the dev stack's
// 172.17.255.x from kind's and minikube's networks. It warns; it never stops a deploy.
//
//   kubectl get nodes -o json | node --import tsx scripts/pool-check.ts <stack>    (in the project folder)
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { formatIpv4, parseIpv4, parseIpv4Range } from "../components/network/ipv4";
import { metallbSchema } from "../config/network";

const PREFIX = 16;
const network = (address: number) => Math.floor(address / 2 ** (32 - PREFIX));

/**
 * The warning when no pool entry shares a /16 with any node address, naming the pool, the nodes and
 * where the docs say which pool fits; undefined when one does (or when there is nothing to compare).
 */
export function poolWarning(pool: readonly string[], nodeAddresses: readonly string[]): string | undefined {
    const nodes = nodeAddresses.map((a) => parseIpv4(a)).filter((a): a is number => a !== undefined);
    const ranges = pool.map((entry) => parseIpv4Range(entry)).filter((r) => r !== undefined);
    if (nodes.length === 0 || ranges.length === 0) return undefined;
    const near = ranges.some((r) => nodes.some((n) => network(n) >= network(r.first) && network(n) <= network(r.last)));
    if (near) return undefined;
    return (
        `metallb.addresses ${pool.join(", ")} is outside every node's network (no node address in the same /${PREFIX}: ${nodes.map(formatIpv4).join(", ")}); ` +
        `MetalLB would hand out addresses nobody can reach. Set a pool on the nodes' network: docs/getting-started.md#a-pool-that-fits-your-cluster`
    );
}

/** The nodes' InternalIP addresses (ExternalIP when a node has none) from `kubectl get nodes -o json`. */
export function nodeAddressesOf(nodeList: { items?: { status?: { addresses?: { type: string; address: string }[] } }[] }): string[] {
    return (nodeList.items ?? []).flatMap((n) => {
        const addresses = n.status?.addresses ?? [];
        const internal = addresses.filter((a) => a.type === "InternalIP");
        return (internal.length > 0 ? internal : addresses.filter((a) => a.type === "ExternalIP")).map((a) => a.address);
    });
}

/** The stack's MetalLB settings as the program reads them: its stack file's, at their defaults. */
export function metallbOf(stackFileText: string): { enabled: boolean; addresses: string[] } {
    const doc = YAML.parse(stackFileText) ?? {};
    return metallbSchema.parse(doc.config?.["bare-metal-platform:metallb"] ?? {});
}

if (require.main === module) {
    try {
        const stack = process.argv[2] ?? "dev";
        // The stack file of the project folder deploy.sh runs in (the folder, not this script's: it may be linked).
        const metallb = metallbOf(fs.readFileSync(path.join(process.cwd(), `Pulumi.${stack}.yaml`), "utf8"));
        const warning = metallb.enabled ? poolWarning(metallb.addresses, nodeAddressesOf(JSON.parse(fs.readFileSync(0, "utf8")))) : undefined;
        if (warning) console.error(`deploy: warning: ${warning}`);
    } catch (e) {
        // A config the program will refuse with its own message, or no node list: nothing to say here.
        if (process.env.BMP_DEBUG) console.error(`pool-check: ${(e as Error).message}`);
    }
}
