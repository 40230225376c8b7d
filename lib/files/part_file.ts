/**
 * Saving a stream to a file through a `.part` file beside it, renamed over the target only
 * once the stream has ended, so a failed or stopped download never leaves a truncated file
 * under the real name (nor destroys what that name held).
 *
 * @module
 */

/** Options for {@linkcode saveThroughPart}. */
export interface SaveThroughPartOptions {
  /**
   * Write straight to the path instead, with no `.part` file: for devices and pipes
   * (`/dev/null`, a FIFO), which cannot be renamed over. Default `false`.
   */
  direct?: boolean;
  /**
   * Remove the `.part` file when the write fails or is stopped. Default `false`: it stays,
   * holding what was written, for the caller to mention.
   */
  removePartial?: boolean;
  /** Checked after each chunk: once aborted, the write stops with `Error("cancelled")`. */
  signal?: AbortSignal;
  /** Called after each chunk with the bytes written so far (awaited). */
  onChunk?: (bytes: number) => void | Promise<void>;
}

/**
 * Writes `body` to `PATH.part`, then renames it to `path` once `body` has ended; returns
 * the bytes written. On failure the error is thrown as it is and `PATH.part` stays (or is
 * removed, with `removePartial`); `path` is left as it was.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saveThroughPart } from "./part_file.ts";
 * const dir = await Deno.makeTempDir();
 * const body = ReadableStream.from([new Uint8Array([104, 105])]);
 * assert.equal(await saveThroughPart(body, `${dir}/hi.txt`), 2);
 * assert.equal(await Deno.readTextFile(`${dir}/hi.txt`), "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
/** The `.part` file beside `path` that {@linkcode saveThroughPart} writes first. */
export function partPath(path: string): string {
  return `${path}.part`;
}

export async function saveThroughPart(
  body: AsyncIterable<Uint8Array>,
  path: string,
  options: SaveThroughPartOptions = {},
): Promise<number> {
  const target = options.direct ? path : partPath(path);
  const file = await Deno.open(target, { write: true, create: true, truncate: true });
  let total = 0;
  try {
    for await (const chunk of body) {
      let data = chunk;
      while (data.length > 0) data = data.subarray(await file.write(data));
      total += chunk.length;
      await options.onChunk?.(total);
      if (options.signal?.aborted) throw new Error("cancelled");
    }
  } catch (error) {
    file.close();
    if (options.removePartial && !options.direct) await Deno.remove(target).catch(() => {});
    throw error;
  }
  file.close();
  if (!options.direct) await Deno.rename(target, path);
  return total;
}
