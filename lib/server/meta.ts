/**
 * Per-directory metadata files in Agate's `.meta` syntax: each line names a file of the
 * directory (or a glob with `*` and `?`), a colon, then either a media type with
 * parameters (`text/gemini; lang=de`), parameters alone to add to the type the server
 * would send (`;lang=de`), or a status and its META (`31 /new/`, `52 Gone for good`).
 * `#` starts a comment line. Pure: parsing and matching; the file server reads the files.
 *
 * @module
 */

import { formatMediaType, type MediaType, parseMediaType } from "../protocol/mime.ts";
import { isSuccess } from "../protocol/status.ts";

/** What a `.meta` line says about the files it matches. */
export type MetaValue =
  | {
    /** Send this media type (with its parameters) instead of the one from the extension. */
    kind: "type";
    /** The media type as written, e.g. `text/gemini; lang=de`. */
    mediaType: string;
    /** The same, parsed once when the file is read. */
    parsed: MediaType;
  }
  | {
    /** Add (or replace) these parameters on the media type the server would send. */
    kind: "params";
    /** Parameter names (lower case) and values, e.g. `{ lang: "de" }`. */
    params: Record<string, string>;
  }
  | {
    /** Answer with this status and META instead of the file (not 2x). */
    kind: "status";
    /** The status, 10-69 but not 20-29. */
    status: number;
    /** The META. */
    meta: string;
  };

/** One line of a `.meta` file. */
export interface MetaRule {
  /** The file name or glob, as written. */
  pattern: string;
  /** The 1-based line number (for error messages and `--check`). */
  line: number;
  /** What it says. */
  value: MetaValue;
}

/** A `.meta` file parsed: its rules in order, and the lines that could not be used. */
export interface MetaFile {
  /** The rules, in file order. */
  rules: MetaRule[];
  /** Lines that were ignored, with why (the server logs them). */
  errors: { line: number; message: string }[];
}

const MEDIA_TYPE = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*(\s*;.*)?$/;
const PARAM_NAME = /^[A-Za-z0-9][\w.+-]*$/;

function parseParams(text: string): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const part of text.split(";")) {
    const item = part.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) return undefined;
    const name = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    if (!PARAM_NAME.test(name) || value === "") return undefined;
    params[name] = value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

function parseValue(text: string): MetaValue | string {
  const status = /^(\d{2})(?:\s+(.*))?$/.exec(text);
  if (status) {
    const code = Number(status[1]);
    if (code < 10 || code > 69 || isSuccess(code)) {
      return `status ${code} cannot be set in a .meta file (10-19 or 30-69)`;
    }
    return { kind: "status", status: code, meta: status[2] ?? "" };
  }
  if (text.startsWith(";")) {
    const params = parseParams(text);
    return params ? { kind: "params", params } : `${JSON.stringify(text)} is not ;name=value`;
  }
  if (MEDIA_TYPE.test(text)) {
    const semicolon = text.indexOf(";");
    if (semicolon >= 0 && !parseParams(text.slice(semicolon))) {
      return `${JSON.stringify(text)} has a malformed parameter`;
    }
    try {
      return { kind: "type", mediaType: text, parsed: parseMediaType(text) };
    } catch (error) {
      return (error as Error).message;
    }
  }
  return `${JSON.stringify(text)} is neither a media type, ;parameters nor a status`;
}

/**
 * Parses the text of a `.meta` file. Never throws: lines it cannot use are listed in
 * `errors` and skipped. A pattern may not hold `/` (it names files of its own directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseMetaFile } from "./meta.ts";
 * const meta = parseMetaFile("# notes\nindex.gmi: text/gemini; lang=en\n*.txt: ;charset=iso-8859-1\nold.gmi: 31 new.gmi\nbad line\n");
 * assert.deepEqual(meta.rules.map((r) => r.value.kind), ["type", "params", "status"]);
 * assert.deepEqual(meta.errors, [{ line: 5, message: "no colon between a file name and a value" }]);
 * ```
 */
export function parseMetaFile(text: string): MetaFile {
  const rules: MetaRule[] = [];
  const errors: MetaFile["errors"] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      errors.push({ line: i + 1, message: "no colon between a file name and a value" });
      return;
    }
    const pattern = line.slice(0, colon).trim();
    if (pattern.includes("/")) {
      errors.push({ line: i + 1, message: `${JSON.stringify(pattern)} names another directory` });
      return;
    }
    const value = parseValue(line.slice(colon + 1).trim());
    if (typeof value === "string") errors.push({ line: i + 1, message: value });
    else rules.push({ pattern, line: i + 1, value });
  });
  return { rules, errors };
}

/** Compiled globs, by pattern (a rule's pattern never changes). */
const GLOBS = new Map<string, RegExp>();

/** Whether file `name` matches `pattern` (`*` any run of characters, `?` one). */
function matches(pattern: string, name: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === name;
  let re = GLOBS.get(pattern);
  if (!re) {
    let source = "";
    for (const c of pattern) {
      source += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    re = new RegExp(`^${source}$`, "su");
    if (GLOBS.size >= 4096) GLOBS.clear();
    GLOBS.set(pattern, re);
  }
  return re.test(name);
}

/**
 * The rule of `meta` for file `name`: a line naming the file exactly wins; otherwise the
 * first glob that matches, in file order.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { metaRuleFor, parseMetaFile } from "./meta.ts";
 * const meta = parseMetaFile("*.gmi: ;lang=de\nintro.gmi: ;lang=en\n");
 * assert.equal(metaRuleFor(meta, "intro.gmi")?.line, 2);
 * assert.equal(metaRuleFor(meta, "other.gmi")?.line, 1);
 * assert.equal(metaRuleFor(meta, "a.txt"), undefined);
 * ```
 */
export function metaRuleFor(meta: MetaFile, name: string): MetaRule | undefined {
  return meta.rules.find((r) => r.pattern === name) ??
    meta.rules.find((r) => matches(r.pattern, name));
}

/**
 * The media type to send for a file with a `.meta` line of kind `type` or `params`:
 *
 * - `type`: the line's media type replaces `fallback` (the type from the extension table,
 *   `mime` and `default_mime`); the configured `charset` (for `text/*`) and `lang` (for
 *   `text/gemini`) are added unless the line names its own.
 * - `params`: `fallback` (which already carries the configured `charset` and `lang`) with
 *   the line's parameters added, replacing parameters of the same name.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { metaMediaType, parseMetaFile } from "./meta.ts";
 * const defaults = { lang: "en", charset: "utf-8" };
 * const meta = parseMetaFile("a: text/gemini\nb: text/gemini; lang=de\n");
 * const [gemtext, german] = meta.rules.map((rule) => rule.value);
 * assert.ok(gemtext.kind === "type" && german.kind === "type");
 * assert.equal(
 *   metaMediaType(gemtext, "text/plain; charset=utf-8", defaults),
 *   "text/gemini; charset=utf-8; lang=en",
 * );
 * assert.equal(
 *   metaMediaType(german, "text/plain", defaults),
 *   "text/gemini; lang=de; charset=utf-8",
 * );
 * assert.equal(
 *   metaMediaType({ kind: "params", params: { lang: "fr" } }, "text/gemini; lang=en", defaults),
 *   "text/gemini; lang=fr",
 * );
 * ```
 */
export function metaMediaType(
  value: Exclude<MetaValue, { kind: "status" }>,
  fallback: string,
  defaults: { lang?: string; charset?: string } = {},
): string {
  let mt: MediaType;
  if (value.kind === "type") {
    mt = { ...value.parsed, params: { ...value.parsed.params } };
  } else {
    try {
      mt = parseMediaType(fallback);
    } catch {
      return fallback;
    }
  }
  if (value.kind === "type") {
    if (mt.type === "text" && mt.charset === undefined && defaults.charset) {
      mt.charset = defaults.charset;
    }
    if (mt.essence === "text/gemini" && mt.lang === undefined && defaults.lang) {
      mt.lang = defaults.lang;
    }
  } else {
    for (const [name, param] of Object.entries(value.params)) {
      mt.params[name] = param;
      if (name === "charset") mt.charset = param.toLowerCase();
      if (name === "lang") mt.lang = param;
    }
  }
  return formatMediaType(mt);
}
