// Pulumi's passphrase secrets format (the `encryptionsalt` and `secure:` values of a stack file):
// PBKDF2-SHA256 (1,000,000 rounds) derives an AES-256-GCM key; a value is "v1:<nonce>:<ciphertext>"
// and the salt state is "v1:<salt>:" followed by the encryption of "pulumi", which proves the phrase.
// Used to write the dev stack's secrets where no Pulumi CLI is installed, and by the tests to read them.
import * as crypto from "crypto";

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
