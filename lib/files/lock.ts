/**
 * Cross-process exclusive locks on a companion `.lock` file, so that two processes that
 * read-modify-write one store never lose each other's entries. The operating system drops
 * the lock when a process dies, so a crash never leaves a stale lock behind.
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Runs `fn` while holding an exclusive lock for `path` (on `path + ".lock"`), and returns
 * its result. Waits for other holders.
 *
 * @example
 * ```ts
 * import { withFileLock } from "./lock.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const n = await withFileLock(`${dir}/store.txt`, () => 42);
 * assert.equal(n, 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await Deno.open(`${path}.lock`, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    await file.lock(true);
    try {
      return await fn();
    } finally {
      await file.unlock();
    }
  } finally {
    file.close();
  }
}
