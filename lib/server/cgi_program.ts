/**
 * Which files CGI may run, in a module of its own so that the permission sandbox (in the
 * main process) lists programs by the same rule without loading the CGI handler.
 *
 * @module
 */

/**
 * Whether CGI may run a file with this `stat`: a regular file with an execute bit (any
 * regular file where the system has no modes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCgiProgram } from "./cgi_program.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\n", { mode: 0o755 });
 * await Deno.writeTextFile(`${dir}/data.txt`, "x\n", { mode: 0o644 });
 * assert.equal(isCgiProgram(await Deno.stat(`${dir}/run.sh`)), true);
 * assert.equal(isCgiProgram(await Deno.stat(`${dir}/data.txt`)), false);
 * assert.equal(isCgiProgram(await Deno.stat(dir)), false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function isCgiProgram(info: Deno.FileInfo): boolean {
  return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
}
