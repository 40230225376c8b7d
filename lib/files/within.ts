/**
 * Whether a path lies within a directory, by its text (both already real, absolute paths):
 * the one rule the file server, CGI and the permission sandbox use for "inside the root".
 *
 * @module
 */

import { sep } from "node:path";

/**
 * Whether `path` is `root` itself or lies below it. Both must be real paths (symbolic links
 * resolved), or the answer says nothing about where the file is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isWithin } from "./within.ts";
 * assert.equal(isWithin("/srv/site/a.gmi", "/srv/site"), true);
 * assert.equal(isWithin("/srv/site", "/srv/site/"), true);
 * assert.equal(isWithin("/srv/site2/a.gmi", "/srv/site"), false);
 * ```
 */
export function isWithin(path: string, root: string): boolean {
  const base = root.endsWith(sep) ? root.slice(0, -1) : root;
  return path === base || path.startsWith(base + sep);
}
