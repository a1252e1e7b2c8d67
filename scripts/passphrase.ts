// Pulumi's passphrase secrets format (the `encryptionsalt` and `secure:` values of a stack file):
// PBKDF2-SHA256 (1,000,000 rounds) derives an AES-256-GCM key; a value is "v1:<nonce>:<ciphertext>"
// and the salt state is "v1:<salt>:" followed by the encryption of "pulumi", which proves the phrase.
// Used to write the dev stack's secrets where no Pulumi CLI is installed, and by the tests to read them;
// and the guard that keeps the dev stack's public passphrase off every other stack (scripts/common.sh).
import * as crypto from "crypto";
import * as fs from "fs";

const ROUNDS = 1_000_000;

/** A key derived from a passphrase and a stack's salt state. */
export function keyFromSaltState(passphrase: string, saltState: string): Buffer {
    const [version, salt, ...check] = saltState.split(":");
    if (version !== "v1" || salt === undefined || check.length !== 3) {
        throw new Error(`encryptionsalt: ${JSON.stringify(saltState)} is not a passphrase salt (expected "v1:<salt>:v1:<nonce>:<ciphertext>")`);
    }
    const key = crypto.pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), ROUNDS, 32, "sha256");
    if (decryptValue(key, check.join(":")) !== "pulumi") {
        throw new Error("encryptionsalt: the passphrase does not match this stack (check PULUMI_CONFIG_PASSPHRASE)");
    }
    return key;
}

/** A new salt state for a passphrase, with the key it yields. */
export function newSaltState(passphrase: string): { saltState: string; key: Buffer } {
    const salt = crypto.randomBytes(8);
    const key = crypto.pbkdf2Sync(passphrase, salt, ROUNDS, 32, "sha256");
    return { saltState: `v1:${salt.toString("base64")}:${encryptValue(key, "pulumi")}`, key };
}

export function encryptValue(key: Buffer, plaintext: string): string {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1:${nonce.toString("base64")}:${body.toString("base64")}`;
}

export function decryptValue(key: Buffer, value: string): string {
    const [version, nonce, body] = value.split(":");
    if (version !== "v1" || nonce === undefined || body === undefined) {
        throw new Error(`secure value ${JSON.stringify(value.slice(0, 12))}… is not a v1 ciphertext`);
    }
    const data = Buffer.from(body, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8");
}

/** The dev stack's passphrase: public on purpose (Pulumi.dev.yaml's secrets are a local lab's), never another stack's. */
export const DEV_PASSPHRASE = "bare-metal-lab";

/** Where the Pulumi CLI takes a passphrase from: PULUMI_CONFIG_PASSPHRASE wins over PULUMI_CONFIG_PASSPHRASE_FILE. */
export interface PassphraseEnv {
    readonly PULUMI_CONFIG_PASSPHRASE?: string;
    readonly PULUMI_CONFIG_PASSPHRASE_FILE?: string;
    /** The stack this names may use the dev passphrase: a throwaway copy of dev (the test suites' stacks). */
    readonly BMP_DEV_PASSPHRASE_STACK?: string;
}

/**
 * Why `stack` must not be used with the passphrase the CLI would take from `env` — the dev stack's
 * public one, which would encrypt the stack's secrets for anyone to read — or undefined when it may.
 */
export function devPassphraseRefusal(stack: string, env: PassphraseEnv, readFile: (path: string) => string = (p) => fs.readFileSync(p, "utf8")): string | undefined {
    if (stack === "dev" || (env.BMP_DEV_PASSPHRASE_STACK !== undefined && env.BMP_DEV_PASSPHRASE_STACK === stack)) return undefined;
    const own = `give ${stack}'s own passphrase in PULUMI_CONFIG_PASSPHRASE_FILE (docs/stacks-and-state.md#creating-the-prod-stack)`;
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return env.PULUMI_CONFIG_PASSPHRASE === DEV_PASSPHRASE
            ? `PULUMI_CONFIG_PASSPHRASE is the dev stack's public passphrase, refused for stack ${stack} (its secrets would be readable by anyone): unset PULUMI_CONFIG_PASSPHRASE, then ${own}`
            : undefined;
    }
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    let text: string | undefined;
    try {
        text = file ? readFile(file) : undefined;
    } catch {
        return undefined; // the CLI says itself that it cannot read the file
    }
    return text !== undefined && text.trim() === DEV_PASSPHRASE
        ? `PULUMI_CONFIG_PASSPHRASE_FILE (${file}) holds the dev stack's public passphrase, refused for stack ${stack} (its secrets would be readable by anyone): ${own}`
        : undefined;
}

// `node --import tsx scripts/passphrase.ts refuse-dev <stack>` (scripts/common.sh): prints the refusal and exits 1, or exits 0.
if (require.main === module && process.argv[2] === "refuse-dev") {
    const { PULUMI_CONFIG_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE, BMP_DEV_PASSPHRASE_STACK } = process.env;
    const refusal = devPassphraseRefusal(process.argv[3] ?? "", { PULUMI_CONFIG_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE, BMP_DEV_PASSPHRASE_STACK });
    if (refusal !== undefined) {
        console.log(refusal);
        process.exit(1);
    }
}
