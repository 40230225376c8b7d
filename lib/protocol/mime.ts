/**
 * Media types as they appear in the META of a 2x response: `type/subtype` with parameters
 * (`charset`, `lang` and any others, which are kept but carry no meaning).
 *
 * @module
 */

/** A parsed media type. Type, subtype and parameter names are lower case. */
export interface MediaType {
  /** The top-level type, such as `text`. */
  type: string;
  /** The subtype, such as `gemini`. */
  subtype: string;
  /** `type/subtype`. */
  essence: string;
  /** Every parameter, names lower-cased, values unquoted; the first of duplicates wins. */
  params: Record<string, string>;
  /** The `charset` parameter, lower-cased, when present. */
  charset?: string;
  /** The `lang` parameter (BCP 47 tags, comma-separated), when present. */
  lang?: string;
}

/**
 * The media type of a 20 response with an empty META: `text/gemini; charset=utf-8`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MEDIA_TYPE, formatMediaType } from "./mime.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatMediaType(DEFAULT_MEDIA_TYPE), "text/gemini; charset=utf-8");
 * ```
 */
export const DEFAULT_MEDIA_TYPE: Readonly<MediaType> = Object.freeze({
  type: "text",
  subtype: "gemini",
  essence: "text/gemini",
  params: Object.freeze({ charset: "utf-8" }) as Record<string, string>,
  charset: "utf-8",
});

/** A media type that cannot be parsed; `offset` is where in the input it went wrong. */
export class MediaTypeError extends SyntaxError {
  /** The text that was parsed. */
  readonly input: string;
  /** The character offset of the problem. */
  readonly offset: number;

  /** Creates an error for `input` at `offset`. */
  constructor(message: string, input: string, offset: number) {
    super(message);
    this.name = "MediaTypeError";
    this.input = input;
    this.offset = offset;
  }
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a media type such as `text/gemini; charset=UTF-8; lang="en,fr"`. Names are
 * case-insensitive (lower-cased), values may be quoted strings with backslash escapes, an
 * unquoted value runs to the next `;` (so `lang=en,fr` works too), and empty or
 * value-less parameters are skipped. Throws a {@linkcode MediaTypeError} when there is no
 * valid `type/subtype`.
 *
 * @example
 * ```ts
 * import { parseMediaType } from "./mime.ts";
 * import assert from "node:assert/strict";
 * const mt = parseMediaType('Text/Gemini; Charset=UTF-8; lang="en,fr"');
 * assert.equal(mt.essence, "text/gemini");
 * assert.equal(mt.charset, "utf-8");
 * assert.equal(mt.lang, "en,fr");
 * ```
 */
export function parseMediaType(s: string): MediaType {
  const semi = s.indexOf(";");
  const essence = (semi === -1 ? s : s.slice(0, semi)).trim().toLowerCase();
  const slash = essence.indexOf("/");
  const type = slash === -1 ? essence : essence.slice(0, slash);
  const subtype = slash === -1 ? "" : essence.slice(slash + 1);
  if (!TOKEN_RE.test(type) || !TOKEN_RE.test(subtype)) {
    throw new MediaTypeError(
      `Media type ${JSON.stringify(s.slice(0, 80))} has no valid type/subtype`,
      s,
      0,
    );
  }
  const params: Record<string, string> = {};
  let i = semi === -1 ? s.length : semi;
  while (i < s.length) {
    // s[i] is ";"
    i++;
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    let nameEnd = i;
    while (nameEnd < s.length && s[nameEnd] !== "=" && s[nameEnd] !== ";") nameEnd++;
    const name = s.slice(i, nameEnd).trim().toLowerCase();
    if (nameEnd >= s.length || s[nameEnd] === ";") {
      i = nameEnd;
      continue; // no value: skip
    }
    let j = nameEnd + 1;
    while (j < s.length && (s[j] === " " || s[j] === "\t")) j++;
    let value = "";
    if (s[j] === '"') {
      j++;
      while (j < s.length && s[j] !== '"') {
        if (s[j] === "\\" && j + 1 < s.length) j++;
        value += s[j];
        j++;
      }
      j++; // closing quote (or end)
      while (j < s.length && s[j] !== ";") j++;
    } else {
      const end = s.indexOf(";", j);
      value = s.slice(j, end === -1 ? s.length : end).trim();
      j = end === -1 ? s.length : end;
    }
    if (name !== "" && TOKEN_RE.test(name) && !Object.hasOwn(params, name)) {
      Object.defineProperty(params, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    i = j;
  }
  const mt: MediaType = { type, subtype, essence, params };
  if (params.charset !== undefined) mt.charset = params.charset.toLowerCase();
  if (params.lang !== undefined) mt.lang = params.lang;
  return mt;
}

function formatValue(value: string): string {
  return TOKEN_RE.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * Formats a media type for a response header: `type/subtype; name=value`, quoting values
 * that are not tokens (so `lang="en,fr"`). `charset` and `lang` fields override the same
 * entries in `params`.
 *
 * @example
 * ```ts
 * import { formatMediaType } from "./mime.ts";
 * import assert from "node:assert/strict";
 * const text = formatMediaType({
 *   type: "text", subtype: "gemini", essence: "text/gemini", params: {}, lang: "en,fr",
 * });
 * assert.equal(text, 'text/gemini; lang="en,fr"');
 * ```
 */
export function formatMediaType(mt: MediaType): string {
  const params: Record<string, string> = { ...mt.params };
  if (mt.charset !== undefined) params.charset = mt.charset;
  if (mt.lang !== undefined) params.lang = mt.lang;
  let out = `${mt.type}/${mt.subtype}`;
  for (const [name, value] of Object.entries(params)) {
    if (/[\r\n]/.test(name + value)) {
      throw new TypeError(`Media type parameter ${JSON.stringify(name)} contains a line break`);
    }
    out += `; ${name}=${formatValue(value)}`;
  }
  return out;
}

/**
 * Whether a media type is textual (`text/*`), i.e. decoded with its charset (UTF-8 when
 * none is given) rather than handled as bytes.
 *
 * @example
 * ```ts
 * import { isTextType, parseMediaType } from "./mime.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isTextType(parseMediaType("text/plain")));
 * assert.ok(!isTextType("image/png"));
 * ```
 */
export function isTextType(mt: MediaType | string): boolean {
  const type = typeof mt === "string" ? parseMediaType(mt).type : mt.type;
  return type === "text";
}
