// A random key made once and kept in the stack's state (encrypted, as a secret output), for charts
// that would otherwise generate a new one on every render. The kubernetes Dashboard's chart, for
// one, makes its CSRF key with `randBytes` unless given one: a new Secret and two Deployments on
// every `pulumi preview`. A dynamic resource keeps this without another provider plugin.
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link GeneratedKey}. */
export interface GeneratedKeyArgs {
    /** How many random bytes; the key is their base64. A change makes a new key. Defaults to 32. */
    readonly bytes?: number;
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { bytes: number }) {
        // Required here, not imported above: the provider is serialized and runs on its own.
        const crypto = require("crypto") as typeof import("crypto");
        return { id: crypto.randomUUID(), outs: { bytes: inputs.bytes, value: crypto.randomBytes(inputs.bytes).toString("base64") } };
    },
    async diff(_id: string, olds: { bytes: number }, news: { bytes: number }) {
        const changed = olds.bytes !== news.bytes;
        return { changes: changed, replaces: changed ? ["bytes"] : [], deleteBeforeReplace: false };
    },
};

/** A random key, generated at the first `pulumi up` and unchanged after (until `bytes` changes). */
export class GeneratedKey extends pulumi.dynamic.Resource {
    // `declare`, not a field: with ES2022 class fields a plain declaration would reset the outputs
    // that the base constructor has just set to undefined.
    /** The key: base64 of `bytes` random bytes. Secret. */
    declare public readonly value: pulumi.Output<string>;
    /** Number of random bytes. */
    declare public readonly bytes: pulumi.Output<number>;

    constructor(name: string, args: GeneratedKeyArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { bytes: args.bytes ?? 32, value: undefined }, { ...opts, additionalSecretOutputs: ["value"] }, "platform", "GeneratedKey");
    }
}
