/**
 * How the file server reads files: small ones in one synchronous read, kept in memory while
 * unchanged ({@linkcode _FileCache}), large ones in chunks; `stat` and `lstat` that answer
 * `undefined` for a missing file. Internal to lib/server.
 *
 * A cache entry is only used when the file's `lstat` (which the file server makes for every
 * request anyway) still shows the same device, inode, size, modification time and change
 * time as when it was read. Any write to a file sets its change time to the present, and the
 * change time cannot be set back by hand, so a file that changed never matches its entry
 * again, except within the resolution of the change time (Deno reports it in whole
 * seconds): a file written twice within that second, the second time after it was read,
 * would look unchanged. The cache therefore only takes files whose change time (plus that
 * second) and modification time are at least {@linkcode SETTLED_MS} old when read, the rule
 * Git uses for its index: a later write gives a change time at least two seconds on, which
 * shows. A file being edited is read from disk until it settles.
 *
 * @module
 */

import { _isNoSuchResource } from "./_lookup.ts";

/** How old a file's change time must be before its contents are kept, ms. */
export const SETTLED_MS = 2000;

/** How coarse the change times that Deno reports are, ms (whole seconds in Deno 2.9.6). */
const CTIME_RESOLUTION_MS = 1000;

/** Options for {@linkcode _FileCache}. */
export interface FileCacheOptions {
  /** Largest file kept, bytes. */
  maxFileBytes: number;
  /** Bytes kept in all; when a new file would go over it, the cache starts again empty. */
  maxBytes: number;
}

interface Entry {
  version: string;
  bytes: Uint8Array;
}

/**
 * Small files by path, each checked against the file's current `lstat` before it is used.
 * The bytes handed out are shared between responses: callers must not change them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _FileCache, SETTLED_MS } from "./_file_read.ts";
 * const cache = new _FileCache({ maxFileBytes: 1024, maxBytes: 4096 });
 * // A clock far enough ahead that the file counts as settled (unchanged for 2 s).
 * const later = (): number => Date.now() + 10 * SETTLED_MS;
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/page.gmi`;
 * await Deno.writeTextFile(path, "# One\n");
 * const bytes = cache.read(path, Deno.lstatSync(path), later());
 * assert.equal(new TextDecoder().decode(bytes), "# One\n");
 * assert.equal(cache.read(path, Deno.lstatSync(path), later()), bytes, "kept, not read again");
 * await Deno.writeTextFile(path, "# Two, longer\n");
 * const again = cache.read(path, Deno.lstatSync(path), later());
 * assert.equal(new TextDecoder().decode(again), "# Two, longer\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class _FileCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: FileCacheOptions;
  #bytes = 0;

  /** An empty cache. */
  constructor(options: FileCacheOptions) {
    this.#options = options;
  }

  /** Bytes held. */
  get size(): number {
    return this.#bytes;
  }

  /**
   * The contents of the file at `path`, whose `lstat` (or `stat`, for a symlink's target)
   * is `info`: from memory when it has not changed since it was kept, else read with
   * `Deno.readFileSync` (and kept when it is small and settled at `now`, ms). Throws what
   * the read throws.
   */
  read(path: string, info: Deno.FileInfo, now: number = Date.now()): Uint8Array {
    const version = versionOf(info);
    const known = this.#entries.get(path);
    if (known && version !== undefined && known.version === version) return known.bytes;
    const bytes = Deno.readFileSync(path);
    if (known) this.#forget(path, known);
    if (version !== undefined && this.#keeps(info, bytes, now)) {
      if (this.#bytes + bytes.length > this.#options.maxBytes) {
        this.#entries.clear();
        this.#bytes = 0;
      }
      this.#entries.set(path, { version, bytes });
      this.#bytes += bytes.length;
    }
    return bytes;
  }

  #keeps(info: Deno.FileInfo, bytes: Uint8Array, now: number): boolean {
    const { maxFileBytes, maxBytes } = this.#options;
    if (bytes.length !== info.size || bytes.length > maxFileBytes || bytes.length > maxBytes) {
      return false;
    }
    const settled = now - SETTLED_MS;
    // Deno 2.9.6 gives the change time in whole seconds: the real one may be up to 1 s later.
    return info.ctime!.getTime() + CTIME_RESOLUTION_MS <= settled &&
      info.mtime!.getTime() <= settled;
  }

  #forget(path: string, entry: Entry): void {
    this.#entries.delete(path);
    this.#bytes -= entry.bytes.length;
  }
}

/** What must not change for a kept copy to stay valid; undefined when the system lacks it. */
function versionOf(info: Deno.FileInfo): string | undefined {
  if (!info.isFile || info.ino === null || info.ctime === null || info.mtime === null) {
    return undefined;
  }
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime.getTime()}:${info.ctime.getTime()}`;
}

/** stat; `undefined` when there is no such file (see `_isNoSuchResource`), throws on I/O faults. */
export async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (_isNoSuchResource(error)) return undefined;
    throw error;
  }
}

/** A file's bytes in chunks of `chunkSize`, at most `limit` of them. */
export async function* fileChunks(
  path: string,
  chunkSize: number,
  limit: number,
): AsyncGenerator<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    let sent = 0;
    while (sent < limit) {
      const buffer = new Uint8Array(Math.min(chunkSize, limit - sent));
      const n = await file.read(buffer);
      if (n === null) return;
      sent += n;
      yield n === buffer.length ? buffer : buffer.subarray(0, n);
    }
  } finally {
    file.close();
  }
}

/**
 * A small file in one synchronous read, or `undefined` when it is not there (an I/O fault
 * throws, which answers `40`). On a local
 * disk this takes microseconds, less than the thread hand-offs of open, read, read and
 * close as asynchronous operations, which profiling showed to be the largest cost of
 * serving a small file (see bench/RESULTS.md).
 */
export function wholeFile(
  path: string,
  info: Deno.FileInfo,
  limit: number,
  cache: { cache: _FileCache; now: number } | undefined,
): Uint8Array | undefined {
  try {
    const bytes = cache ? cache.cache.read(path, info, cache.now) : Deno.readFileSync(path);
    return bytes.length > limit ? bytes.subarray(0, limit) : bytes;
  } catch (error) {
    if (_isNoSuchResource(error)) return undefined;
    throw error;
  }
}

/** lstat, synchronous for the same reason as `wholeFile`. */
export function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (_isNoSuchResource(error)) return undefined;
    throw error;
  }
}
