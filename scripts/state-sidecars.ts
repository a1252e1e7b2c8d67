// `npm run unlock`'s first step on a folder backend (scripts/stack.sh): the state's unreadable sidecars.
// A folder backend keeps each file's attributes (its MD5, its content type) in a sidecar
// `<file>.attrs`. The CLI writes a file's new content to a temporary file, then creates and writes
// the sidecar in place, then renames the new content over the file. A kill between the sidecar's
// creation and its write leaves the sidecar empty (or cut short) while the file still holds its
// previous, whole content; from then on every command that reads the file fails — `error: failed to
// load checkpoint: EOF` for a stack's checkpoint, `error: EOF` for `pulumi stack ls`. A missing
// sidecar reads as "no attributes" (nothing of the state is in it), and the next write of the file
// makes a new one: so an unreadable sidecar is removed, and nothing else is touched.
//
//   node --import tsx scripts/state-sidecars.ts DIR   removes each unreadable `*.attrs` under DIR
//                                                     (the backend's `.pulumi` folder) and prints a
//                                                     line for each
import * as fs from "node:fs";
import * as path from "node:path";

/** Why a sidecar's text cannot be read as the attributes it holds, or undefined when it can. */
export function unreadable(text: string): string | undefined {
    if (text.trim() === "") return "empty";
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? undefined : "not a JSON object";
    } catch {
        return "cut short";
    }
}

/** Every `*.attrs` file under `dir`, sorted, as paths relative to `dir`. */
function sidecars(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) => f.endsWith(".attrs")).sort();
}

/** Removes each unreadable sidecar under `dir`; returns one line per sidecar removed. */
export function removeUnreadableSidecars(dir: string): string[] {
    const lines: string[] = [];
    for (const rel of sidecars(dir)) {
        const file = path.join(dir, rel);
        const why = unreadable(fs.readFileSync(file, "utf8"));
        if (why === undefined) continue;
        fs.rmSync(file);
        const target = file.slice(0, -".attrs".length);
        const described = path.basename(target);
        const left = fs.existsSync(target) ? `${described} holds what it held before that write, and its next write makes a new sidecar` : `${described} was never written`;
        lines.push(`unlock: ${file} is ${why}: a write of the state was interrupted there, and pulumi could not read ${described}; removed it: ${left}`);
    }
    return lines;
}

if (require.main === module) {
    const [dir] = process.argv.slice(2);
    if (!dir || !fs.existsSync(dir)) {
        console.error(`state-sidecars: no state folder at '${dir ?? ""}'`);
        process.exit(2);
    }
    for (const line of removeUnreadableSidecars(dir)) console.log(line);
}
