/**
 * Crash-safe file writes: write a temporary file beside the target, flush it, then rename
 * it over the target, so readers see the old content or the new, never a mix.
 *
 * @module
 */

import { dirname } from "node:path";

/** Options for {@linkcode atomicWriteFile}. */
export interface AtomicWriteOptions {
  /** File mode for the new file, e.g. `0o600` for private keys. Default `0o644`. */
  mode?: number;
  /** Create missing parent directories (mode 0700). Default `true`. */
  mkdir?: boolean;
}

/**
 * Writes `data` to `path` atomically (temporary file + fsync + rename).
 *
 * @example
 * ```ts
 * import { atomicWriteFile } from "./atomic.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await atomicWriteFile(`${dir}/a.txt`, "hello\n");
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  if (options.mkdir ?? true) {
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  }
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    // The mode given to open() is filtered by the umask; set it exactly.
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
