/**
 * Reading TOML files with errors that say where: `FILE:LINE: KEY: PROBLEM`. One parse
 * wrapper and one key-to-line locator for every configuration file of the toolkit (the
 * server's, the client's and the browser's), on top of `smol-toml`.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";

/**
 * Where a value sits in a TOML document: table and key names, with the index of an entry
 * of an array of tables after its name (`["host", 1, "location", 0, "lang"]`).
 */
export type TomlPath = readonly (string | number)[];

/**
 * A TOML file that cannot be parsed, or a value in it that is wrong. The message is
 * `FILE:LINE: KEY: PROBLEM` (the line and the key when known).
 */
export class TomlFileError extends SyntaxError {
  /** The file the text came from. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** The key, as {@linkcode formatTomlPath} spells it, when there is one. */
  readonly key: string | undefined;
  /** What is wrong, without the place. */
  readonly problem: string;

  /** Creates the error for `key` at `line` of `file`. */
  constructor(
    file: string,
    line: number | undefined,
    key: string | undefined,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}${line ? `:${line}` : ""}: ${key ? `${key}: ` : ""}${problem}`, options);
    this.name = "TomlFileError";
    this.file = file;
    this.line = line;
    this.key = key;
    this.problem = problem;
  }
}

/** Options for {@linkcode parseTomlFile}. */
export interface ParseTomlFileOptions {
  /** Added to the message of a parse error, e.g. `; nothing was imported`. Default none. */
  suffix?: string;
}

/**
 * Parses `text`, the content of `file`, as TOML. Invalid TOML throws a
 * {@linkcode TomlFileError} `FILE:LINE: invalid TOML: PROBLEM` (the first line of the
 * parser's message), whose cause is the parser's error.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseTomlFile } from "./toml.ts";
 * assert.deepEqual(parseTomlFile("[a]\nb = 1\n", "x.toml"), { a: { b: 1 } });
 * assert.throws(
 *   () => parseTomlFile("a = 1\na = 2\n", "x.toml"),
 *   /^TomlFileError: x\.toml:2: invalid TOML: trying to redefine/,
 * );
 * ```
 */
export function parseTomlFile(
  text: string,
  file: string,
  options: ParseTomlFileOptions = {},
): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const first = String((error as Error)?.message ?? error).split("\n")[0]
      .replace(/^Invalid TOML document: /, "");
    throw new TomlFileError(
      file,
      line,
      undefined,
      `invalid TOML: ${first}${options.suffix ?? ""}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The name of the value at `path` for messages: `host[1].location[0].lang`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatTomlPath } from "./toml.ts";
 * assert.equal(formatTomlPath(["host", 1, "location", 0, "lang"]), "host[1].location[0].lang");
 * assert.equal(formatTomlPath(["browse", "handlers", "image/*"]), "browse.handlers.image/*");
 * ```
 */
export function formatTomlPath(path: TomlPath): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * The line (1-based) of the value at `path` in the TOML `text`, for error messages: the
 * line of its key, else of its own table header (`[a]`, `[[a]]`), else of the header of
 * the table it belongs to. A key inside an inline table (`a = { b = 1 }`) is found at the
 * line of the inline table's key. `undefined` when none of these is found. Table and key
 * names may be bare, `"double"` or `'single'` quoted; dotted keys are not looked into.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { tomlLine } from "./toml.ts";
 * const text = '[[host]]\nname = "a"\n[[host]]\nname = "b"\nmime = { x = "text/x" }\n' +
 *   '[[host.location]]\npath = "/"\n';
 * assert.equal(tomlLine(text, ["host", 1, "name"]), 4);
 * assert.equal(tomlLine(text, ["host", 1, "mime", "x"]), 5);
 * assert.equal(tomlLine(text, ["host", 1, "location", 0]), 6);
 * assert.equal(tomlLine(text, ["host", 1, "location", 0, "root"]), 6);
 * assert.equal(tomlLine(text, ["port"]), undefined);
 * ```
 */
export function tomlLine(text: string, path: TomlPath): number | undefined {
  if (path.length === 0) return undefined;
  const lines = text.split("\n");
  for (let n = path.length; n > 0; n--) {
    if (n < path.length && typeof path[n - 1] !== "string") continue;
    const line = lineIn(lines, path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
}

/** A table instance: its dotted name and the index of each array-of-tables level in it. */
interface TableId {
  name: string;
  indices: number[];
}

/** Where `path` names a table: its name, the indices given, and the trailing key if any. */
function split(path: TomlPath): { table: TableId; key: string | number | undefined } {
  const names: string[] = [];
  const indices: number[] = [];
  for (const p of path.slice(0, -1)) {
    if (typeof p === "number") indices.push(p);
    else names.push(p);
  }
  return { table: { name: names.join("."), indices }, key: path[path.length - 1] };
}

function sameTable(a: TableId, b: TableId): boolean {
  return a.name === b.name && a.indices.length === b.indices.length &&
    a.indices.every((x, i) => x === b.indices[i]);
}

/**
 * The line of `path` itself (its key in its table, or its own header), else the header of
 * its table.
 */
function lineIn(lines: string[], path: TomlPath): number | undefined {
  const { table, key } = split(path);
  // The path as a table of its own: `[a.b]` for ["a", "b"], `[[a]]` number 1 for ["a", 1].
  const own = typeof key === "number"
    ? { table: { name: table.name, indices: [...table.indices, key] }, key: undefined }
    : split([...path, ""]);
  let current: TableId = { name: "", indices: [] };
  const counters = new Map<string, number>();
  let parentHeader: number | undefined;
  let ownHeader: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = tableHeader(lines[i]);
    if (header) {
      current = enterTable(header, counters);
      if (sameTable(current, table)) parentHeader ??= i + 1;
      if (sameTable(current, own.table)) ownHeader ??= i + 1;
      continue;
    }
    if (typeof key !== "string" || !sameTable(current, table)) continue;
    if (keyOf(lines[i]) === key) return i + 1;
  }
  return ownHeader ?? parentHeader;
}

/** The table a header opens, counting the entries of arrays of tables. */
function enterTable(
  header: { name: string; array: boolean },
  counters: Map<string, number>,
): TableId {
  const { name, array } = header;
  if (array) {
    counters.set(name, (counters.get(name) ?? -1) + 1);
    // Nested arrays start again when their parent moves on.
    for (const k of counters.keys()) if (k.startsWith(name + ".")) counters.delete(k);
  }
  const parts = name.split(".");
  const indices: number[] = [];
  for (let j = 1; j <= parts.length; j++) {
    const prefix = parts.slice(0, j).join(".");
    const count = counters.get(prefix);
    if (count !== undefined) indices.push(count);
  }
  return { name, indices };
}

const BARE = "[A-Za-z0-9_-]+";
const QUOTED = `"[^"]*"|'[^']*'`;
const KEY_PART = `(?:${BARE}|${QUOTED})`;
const HEADER_RE = new RegExp(
  `^\\s*(\\[\\[?)\\s*(${KEY_PART}(?:\\s*\\.\\s*${KEY_PART})*)\\s*(\\]\\]?)`,
);
const KEY_RE = new RegExp(`^\\s*(${KEY_PART})\\s*=`);

/** `[a.b]` → `{ name: "a.b", array: false }`; `[[a]]` → `{ name: "a", array: true }`. */
function tableHeader(line: string): { name: string; array: boolean } | undefined {
  const m = HEADER_RE.exec(line);
  if (!m || (m[1] === "[[") !== (m[3] === "]]")) return undefined;
  const parts = m[2].match(new RegExp(KEY_PART, "g")) ?? [];
  return { name: parts.map(unquote).join("."), array: m[1] === "[[" };
}

/** The key a `key = value` line sets, unquoted. */
function keyOf(line: string): string | undefined {
  const m = KEY_RE.exec(line);
  return m ? unquote(m[1]) : undefined;
}

function unquote(part: string): string {
  return /^["']/.test(part) ? part.slice(1, -1) : part;
}
