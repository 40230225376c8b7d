/**
 * How the file-backed handlers (static files, CGI, Titan) tell "there is no such resource"
 * from a real I/O fault when a path lookup fails. Internal to lib/server.
 *
 * @module
 */

/**
 * Error codes of a path lookup that mean the resource does not exist as asked: the name is
 * too long (`ENAMETOOLONG`, which Deno 2.9.6 throws as a plain `Error` with that `code`), a
 * component is not a directory (`ENOTDIR`), is missing (`ENOENT`), may not be searched
 * (`EACCES`, `EPERM`) or loops (`ELOOP`).
 */
const NO_SUCH_RESOURCE = new Set(["ENAMETOOLONG", "ENOTDIR", "ENOENT", "EACCES", "EPERM", "ELOOP"]);

/**
 * Whether a failed lookup (stat, lstat, realpath, open for reading) means "no such
 * resource" (answer `51`) rather than an I/O fault (answer `40`).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { _isNoSuchResource } from "./_lookup.ts";
 * const tooLong = await Deno.stat(`/tmp/${"a".repeat(256)}`).catch((e) => e);
 * assert.ok(_isNoSuchResource(tooLong));
 * assert.ok(!_isNoSuchResource(Object.assign(new Error("disk"), { code: "EIO" })));
 * ```
 */
export function _isNoSuchResource(error: unknown): boolean {
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.FilesystemLoop || error instanceof Deno.errors.PermissionDenied
  ) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && NO_SUCH_RESOURCE.has(code);
}
