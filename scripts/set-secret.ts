// `pulumi config set --secret KEY VALUE` for machines without the Pulumi CLI: encrypts VALUE with
// $PULUMI_CONFIG_PASSPHRASE into Pulumi.<stack>.yaml, in the format the CLI itself reads.
// Usage: PULUMI_CONFIG_PASSPHRASE=… npx tsx scripts/set-secret.ts <stack> <key> <value>
import * as fs from "fs";
import * as YAML from "yaml";
import { devPassphraseRefusal, encryptValue, keyFromSaltState, newSaltState } from "./passphrase";

const [stack, key, value] = process.argv.slice(2);
const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE;
if (!stack || !key || value === undefined || passphrase === undefined) {
    console.error("usage: PULUMI_CONFIG_PASSPHRASE=… npx tsx scripts/set-secret.ts <stack> <key> <value>");
    process.exit(2);
}
const refusal = devPassphraseRefusal(stack, { PULUMI_CONFIG_PASSPHRASE: passphrase, BMP_DEV_PASSPHRASE_STACK: process.env.BMP_DEV_PASSPHRASE_STACK });
if (refusal !== undefined) {
    console.error(`set-secret: ${refusal}`);
    process.exit(1);
}
const file = `Pulumi.${stack}.yaml`;
const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
let saltState = doc.get("encryptionsalt") as string | undefined;
let cryptKey: Buffer;
if (saltState === undefined) {
    ({ saltState, key: cryptKey } = newSaltState(passphrase));
    doc.set("encryptionsalt", saltState);
} else {
    cryptKey = keyFromSaltState(passphrase, saltState);
}
const fullKey = key.includes(":") ? key : `bare-metal-platform:${key}`;
doc.setIn(["config", fullKey], { secure: encryptValue(cryptKey, value) });
fs.writeFileSync(file, doc.toString());
console.log(`${file}: ${fullKey} set (encrypted)`);
