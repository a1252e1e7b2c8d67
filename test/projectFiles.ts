// The project's program files, as scripts/project-files.txt lists them (the one place they are named).
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

/** The entries of scripts/project-files.txt: what a copy of the project needs to run its program. */
export const PROJECT_FILES: readonly string[] = fs
    .readFileSync(path.join(ROOT, "scripts", "project-files.txt"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/**
 * Links each of `entries` of this repo into `dir`, except those in `own` (the caller writes its own:
 * writing through a link would write the repo's file).
 */
export function linkProject(dir: string, entries: readonly string[], own: readonly string[] = []): void {
    for (const entry of entries) if (!own.includes(entry)) fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
}
