// `npm run unlock`'s second half (scripts/stack.sh): the creates an interrupted `pulumi up` left
// pending. With this CLI (3.259.0) neither `pulumi up --refresh` nor `pulumi refresh` settles one:
// `up` keeps the pending create and creates the object again — a second Job under a new name, or
// "already exists" for an object named by the config — and `refresh --import-pending-creates` drops
// the operation without adopting the object, which is then left in the cluster unowned. So the state
// is repaired here, as `pulumi stack export` / `pulumi stack import` allow: each pending create of a
// kubernetes object becomes a resource of the state with the ID its inputs name (`namespace/name`, or
// `name` for a cluster-scoped object), and the `pulumi refresh` that follows reads it back from the
// cluster — kept if the create got that far, dropped if it never did; a replacement's create marks the
// resource it replaces for deletion, which the next `up` carries out. A pending create of another
// provider's resource (a hosts step) is dropped: its step runs again on the next `up` (every step is
// idempotent).
//
//   node --import tsx scripts/pending-creates.ts IN OUT   writes the repaired export to OUT and prints
//                                                         one line per pending create; exits 3 when
//                                                         IN has none (OUT is not written)
import * as fs from "node:fs";

/** What an export's pending operation holds, as far as this reads it. */
export interface PendingOperation {
    readonly type: string;
    readonly resource: { urn: string; type: string; id?: string; inputs?: { metadata?: { name?: string; namespace?: string } }; outputs?: unknown; [key: string]: unknown };
}

/** The ID the kubernetes provider gives an object of these inputs, or undefined when they name none (another provider's resource, or a name still unknown). */
export function kubernetesId(resource: PendingOperation["resource"]): string | undefined {
    const m = resource.inputs?.metadata;
    if (!resource.type.startsWith("kubernetes:") || typeof m?.name !== "string") return undefined;
    return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/**
 * The export with its pending creates settled: each kubernetes object's a resource with its ID
 * (appended: everything it depends on is already in the list), every pending operation removed (the
 * refresh that follows reads back the updates and deletes they were about). Returns the lines that say
 * what became of each pending create, and undefined when there was none.
 */
export function adoptPendingCreates(exported: { deployment: { resources?: unknown[]; pending_operations?: PendingOperation[] } }): { repaired: typeof exported; lines: string[] } | undefined {
    const pending = exported.deployment.pending_operations ?? [];
    const creates = pending.filter((op) => op.type === "creating");
    if (creates.length === 0) return undefined;
    let resources = [...(exported.deployment.resources ?? [])] as { urn?: string; delete?: boolean; [key: string]: unknown }[];
    const lines = creates.map((op) => {
        const id = kubernetesId(op.resource);
        const urn = op.resource.urn;
        if (id === undefined) return `unlock: ${urn} was being created; dropped from the state: the next pulumi up creates it again`;
        // A replacement created before its original is deleted: the original stays in the state marked
        // for deletion, as the engine marks it once the replacement exists, and the next up deletes it.
        const replaces = resources.some((r) => r.urn === urn && !r.delete);
        if (replaces) resources = resources.map((r) => (r.urn === urn && !r.delete ? { ...r, delete: true } : r));
        resources.push({ ...op.resource, id, outputs: op.resource.outputs ?? {} });
        return replaces
            ? `unlock: ${urn} was being created as ${id} to replace the one in the state; the refresh keeps it if the cluster has it, and drops it if not; the next pulumi up deletes the one it replaces`
            : `unlock: ${urn} was being created as ${id}; the refresh keeps it if the cluster has it, and drops it if not`;
    });
    return { repaired: { ...exported, deployment: { ...exported.deployment, resources, pending_operations: [] } }, lines };
}

if (require.main === module) {
    const [input, output] = process.argv.slice(2);
    const result = adoptPendingCreates(JSON.parse(fs.readFileSync(input, "utf8")));
    if (result === undefined) process.exit(3);
    fs.writeFileSync(output, JSON.stringify(result.repaired));
    for (const line of result.lines) console.log(line);
}
