/**
 * Reading the values of a parsed configuration document: each method checks one value's
 * type and range and throws a {@linkcode ConfigError} that names the file, the line and the
 * key. Internal to lib/server/config.
 *
 * @module
 */

import { normalizeFingerprint } from "../../tls/fingerprint.ts";
import { formatTomlPath, tomlLine, type TomlPath } from "../../files/toml.ts";
import { ConfigError } from "./types.ts";
import { parseSize } from "./values.ts";

/** A TOML table. */
export type Table = Record<string, unknown>;

/** Checks and reads the values of one configuration document. */
export class Reader {
  /** Reads values of the document parsed from `source`, the text of `file`. */
  constructor(readonly file: string, readonly source: string) {}

  /** Throws a {@linkcode ConfigError} for the value at `path`, at its line in the source. */
  fail(path: TomlPath, problem: string, cause?: unknown): never {
    throw new ConfigError(
      this.file,
      tomlLine(this.source, path),
      formatTomlPath(path),
      problem,
      cause === undefined ? undefined : { cause },
    );
  }

  /** `value` as a table whose keys are all in `allowed` (with a hint for a near miss). */
  table(value: unknown, path: TomlPath, allowed: string[]): Table {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, "must be a table");
    }
    for (const k of Object.keys(value as Table)) {
      if (!allowed.includes(k)) {
        const hint = allowed.find((a) => a.replaceAll("_", "") === k.replaceAll(/[-_]/g, ""));
        this.fail([...path, k], `unknown key${hint ? ` (did you mean ${hint}?)` : ""}`);
      }
    }
    return value as Table;
  }

  /** A non-empty string, or `undefined` when the key is absent. */
  string(t: Table, path: TomlPath, key: string): string | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") this.fail([...path, key], "must be a non-empty string");
    return v;
  }

  /** `true` or `false`, or `undefined` when the key is absent. */
  bool(t: Table, path: TomlPath, key: string): boolean | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.fail([...path, key], "must be true or false");
    return v;
  }

  /** A number of at least `min` (a whole one unless `integer` is false), or `undefined`. */
  number(
    t: Table,
    path: TomlPath,
    key: string,
    min: number,
    integer = true,
  ): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !(v >= min) || (integer && !Number.isInteger(v))) {
      this.fail([...path, key], `must be ${integer ? "a whole number" : "a number"} >= ${min}`);
    }
    return v;
  }

  /** A list of non-empty strings, or `undefined` when the key is absent. */
  strings(t: Table, path: TomlPath, key: string): string[] | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) {
      this.fail([...path, key], "must be a list of non-empty strings");
    }
    return v as string[];
  }

  /** A size in bytes (see `parseSize`), or `undefined` when the key is absent. */
  size(t: Table, path: TomlPath, key: string): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    try {
      return parseSize(v as string | number);
    } catch (error) {
      this.fail([...path, key], (error as Error).message, error);
    }
  }

  /** A string that is a valid regular expression (Unicode mode), or `undefined`. */
  regex(t: Table, path: TomlPath, key: string): string | undefined {
    const v = this.string(t, path, key);
    if (v === undefined) return undefined;
    try {
      new RegExp(v, "u");
    } catch (error) {
      this.fail([...path, key], `is not a valid regular expression: ${(error as Error).message}`);
    }
    return v;
  }

  /** A list of SHA-256 fingerprints, normalised to lower-case hex, or `undefined`. */
  fingerprints(t: Table, path: TomlPath, key: string): string[] | undefined {
    const list = this.strings(t, path, key);
    if (list === undefined) return undefined;
    return list.map((f) => {
      const hex = normalizeFingerprint(f);
      if (!/^[0-9a-f]{64}$/.test(hex)) {
        this.fail([...path, key], `${JSON.stringify(f)} is not a SHA-256 fingerprint`);
      }
      return hex;
    });
  }

  /** A table of environment variables (`NAME = "value"`), or `undefined`. */
  env(t: Table, path: TomlPath, key: string): Record<string, string> | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    const table = this.table(v, [...path, key], Object.keys(v as Table));
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(table)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== "string") {
        this.fail([...path, key, name], 'must be NAME = "string"');
      }
      out[name] = value;
    }
    return out;
  }

  /** The `mime` table: media types by extension (without the dot, lower case). */
  mime(t: Table, path: TomlPath): Record<string, string> {
    const v = t.mime;
    if (v === undefined) return {};
    const table = this.table(v, [...path, "mime"], Object.keys(v as Table));
    const out: Record<string, string> = {};
    for (const [ext, type] of Object.entries(table)) {
      if (typeof type !== "string" || !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(type)) {
        this.fail([...path, "mime", ext], "must be a media type such as text/plain");
      }
      out[ext.replace(/^\./, "").toLowerCase()] = type;
    }
    return out;
  }
}

/** `value` without its `undefined` properties (changed in place). */
export function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/** `path` resolved against `baseDir` when it is relative and a base is given. */
export function resolvePath(
  path: string | undefined,
  baseDir: string | undefined,
): string | undefined {
  if (path === undefined || baseDir === undefined || path.startsWith("/")) return path;
  return `${baseDir.replace(/\/$/, "")}/${path}`;
}
