/**
 * A log file for `gemini serve` that can be reopened, for logrotate: after the file has
 * been renamed, {@linkcode LogFile.reopen} (on SIGUSR1) makes the next write go to a new
 * file of the same name. Writes and reopens happen in order, one at a time, so no write is
 * split between two files and none is lost.
 *
 * @module
 */

import type { Output } from "./io.ts";

/** An {@linkcode Output} that appends to a file and can be reopened. */
export interface LogFile extends Output {
  /** The file's path. */
  readonly path: string;
  /** Closes the file once the writes before have finished and opens `path` again. */
  reopen(): Promise<void>;
  /** Closes the file once the writes before have finished. */
  close(): Promise<void>;
}

/**
 * Opens `path` for appending (created with mode 0640 if missing). Throws when it cannot be
 * opened, naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { openLogFile } from "./log_file.ts";
 * const dir = await Deno.makeTempDir();
 * const log = await openLogFile(`${dir}/access.log`);
 * await log.write("one\n");
 * await Deno.rename(`${dir}/access.log`, `${dir}/access.log.1`);
 * await log.reopen();
 * await log.write("two\n");
 * await log.close();
 * assert.equal(await Deno.readTextFile(`${dir}/access.log.1`), "one\n");
 * assert.equal(await Deno.readTextFile(`${dir}/access.log`), "two\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLogFile(path: string): Promise<LogFile> {
  const open = async (): Promise<Deno.FsFile> => {
    try {
      return await Deno.open(path, { append: true, create: true, mode: 0o640 });
    } catch (error) {
      throw new Error(`Cannot open the log file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  let file: Deno.FsFile | undefined = await open();
  // Every operation waits for the one before it: writes stay whole and in order around a
  // reopen.
  let tail: Promise<unknown> = Promise.resolve();
  const queue = <T>(step: () => Promise<T>): Promise<T> => {
    const next = tail.then(step);
    tail = next.catch(() => {});
    return next;
  };
  const encoder = new TextEncoder();
  return {
    path,
    isTerminal: false,
    write: (data) =>
      queue(async () => {
        if (!file) throw new Error(`The log file ${path} is closed`);
        let bytes = typeof data === "string" ? encoder.encode(data) : data;
        while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
      }),
    reopen: () =>
      queue(async () => {
        const next = await open();
        file?.close();
        file = next;
      }),
    close: () =>
      queue(() => {
        file?.close();
        file = undefined;
        return Promise.resolve();
      }),
  };
}
