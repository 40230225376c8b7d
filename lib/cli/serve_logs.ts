/**
 * Where `gemini serve` writes its logs: the access log to `access_log` and the error log
 * (start-up messages included) to `error_log`, each a file or, with `"-"` (the default),
 * standard output and standard error. Files are appended to and reopened on request
 * (SIGUSR1, after logrotate has renamed them).
 *
 * @module
 */

import { dirname } from "node:path";
import { ConfigError, type ServerConfig } from "../server/config/mod.ts";
import type { CliIo, Output } from "./io.ts";
import { type LogFile, openLogFile } from "./log_file.ts";

/** The two log outputs of a running `gemini serve` and the files among them. */
export interface ServeLogs {
  /** Where access-log lines go. */
  access: Output;
  /** Where error-log lines and start-up messages go. */
  errors: Output;
  /** Reopens every log file (none: nothing to do); resolves once all are reopened. */
  reopen(): Promise<number>;
  /** Closes the files (after the writes before have finished). */
  close(): Promise<void>;
}

/**
 * Opens the log files of `config` (the standard streams of `io` for `"-"`). One file named
 * by both keys is opened once. Throws a {@linkcode ConfigError} naming the file that
 * cannot be opened (and closes those already open).
 */
export async function openServeLogs(config: ServerConfig, io: CliIo): Promise<ServeLogs> {
  const files = new Map<string, LogFile>();
  const open = async (path: string, key: string, standard: Output): Promise<Output> => {
    if (path === "-") return standard;
    const known = files.get(path);
    if (known) return known;
    try {
      const file = await openLogFile(path);
      files.set(path, file);
      return file;
    } catch (error) {
      await Promise.all([...files.values()].map((f) => f.close()));
      throw new ConfigError(path, undefined, key, (error as Error).message, { cause: error });
    }
  };
  const access = await open(config.accessLog, "access_log", io.stdout);
  const errors = await open(config.errorLog, "error_log", io.stderr);
  return {
    access,
    errors,
    async reopen(): Promise<number> {
      await Promise.all([...files.values()].map((f) => f.reopen()));
      return files.size;
    },
    async close(): Promise<void> {
      await Promise.all([...files.values()].map((f) => f.close()));
    },
  };
}

/**
 * Checks (for `--check`) that each log file of `config` can be opened for appending,
 * without truncating or creating it: an existing file is opened for appending and closed;
 * a missing one needs a directory it could be created in. Throws a
 * {@linkcode ConfigError} naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { checkLogFiles } from "./serve_logs.ts";
 * import { parseConfig } from "../server/config/mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/access.log`, "kept\n");
 * await checkLogFiles(parseConfig(`access_log = "${dir}/access.log"\nerror_log = "${dir}/new.log"\n[[host]]\nname = "a"\n`));
 * assert.equal(await Deno.readTextFile(`${dir}/access.log`), "kept\n");
 * await assert.rejects(
 *   checkLogFiles(parseConfig(`access_log = "${dir}/no/such/dir/a.log"\n[[host]]\nname = "a"\n`)),
 *   /access_log: cannot be created: .* is not a directory/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkLogFiles(config: ServerConfig): Promise<void> {
  const keys: [string, string][] = [["access_log", config.accessLog], [
    "error_log",
    config.errorLog,
  ]];
  for (const [key, path] of keys) {
    if (path === "-") continue;
    const fail = (problem: string, cause?: unknown): never => {
      throw new ConfigError(path, undefined, key, problem, { cause });
    };
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(path, { append: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        fail(`cannot be opened for appending: ${(error as Error).message}`, error);
      }
    } finally {
      file?.close();
    }
    if (file) {
      const info = await Deno.stat(path);
      if (!info.isFile) fail("is not a regular file");
      continue;
    }
    const dir = dirname(path);
    const info = await Deno.stat(dir).catch(() => undefined);
    if (!info?.isDirectory) fail(`cannot be created: ${dir} is not a directory`);
    const writable = await Deno.makeTempFile({ dir, prefix: ".gemini-check-" }).then(
      (probe) => Deno.remove(probe).then(() => true),
      () => false,
    );
    if (!writable) fail(`cannot be created: ${dir} is not writable`);
  }
}
