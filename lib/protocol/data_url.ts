/**
 * `data:` URLs (RFC 2397): the media type and the bytes they carry, decoded without any
 * network access. `data:[<media type>][;base64],<data>`; an omitted media type is
 * `text/plain;charset=US-ASCII`, a media type of only parameters (`data:;charset=utf-8,...`)
 * is `text/plain` with them.
 *
 * @module
 */

/** A decoded `data:` URL. */
export interface DataUrl {
  /** The media type as written (or the RFC 2397 default), e.g. `text/plain;charset=US-ASCII`. */
  mediaType: string;
  /** Whether the data was base64. */
  base64: boolean;
  /** The bytes. */
  bytes: Uint8Array;
}

/** The media type of a `data:` URL that names none (RFC 2397). */
export const DATA_URL_DEFAULT_TYPE = "text/plain;charset=US-ASCII";

/** Percent-decodes `text` into bytes; other characters are taken as their UTF-8 bytes. */
function percentDecode(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  const out = new Uint8Array(utf8.length);
  let n = 0;
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i];
    if (b === 0x25 && i + 2 < utf8.length) {
      const hex = String.fromCharCode(utf8[i + 1], utf8[i + 2]);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/**
 * Decodes a `data:` URL. Throws a `SyntaxError` that says what is wrong when `url` is not
 * one (no `data:` scheme, no comma, invalid base64).
 *
 * @example
 * ```ts
 * import { parseDataUrl } from "./data_url.ts";
 * import assert from "node:assert";
 * const plain = parseDataUrl("data:,Hello%2C%20world");
 * assert.equal(plain.mediaType, "text/plain;charset=US-ASCII");
 * assert.equal(new TextDecoder().decode(plain.bytes), "Hello, world");
 * const gemtext = parseDataUrl("data:text/gemini;base64,IyBIaQo=");
 * assert.equal(gemtext.mediaType, "text/gemini");
 * assert.equal(new TextDecoder().decode(gemtext.bytes), "# Hi\n");
 * ```
 */
export function parseDataUrl(url: string): DataUrl {
  const m = /^\s*data:/i.exec(url);
  if (!m) throw new SyntaxError(`${JSON.stringify(url)} is not a data: URL`);
  const rest = url.slice(m[0].length).replace(/#.*$/s, "");
  const comma = rest.indexOf(",");
  if (comma < 0) {
    throw new SyntaxError(
      "The data: URL has no comma: write data:[TYPE][;base64],DATA (RFC 2397)",
    );
  }
  let header = rest.slice(0, comma).trim();
  const data = rest.slice(comma + 1);
  const base64 = /;\s*base64\s*$/i.test(header);
  if (base64) header = header.replace(/;\s*base64\s*$/i, "");
  let mediaType = header;
  if (mediaType === "") mediaType = DATA_URL_DEFAULT_TYPE;
  else if (mediaType.startsWith(";")) mediaType = `text/plain${mediaType}`;
  const decoded = percentDecode(data);
  if (!base64) return { mediaType, base64, bytes: decoded };
  const text = new TextDecoder().decode(decoded).replace(/[\s]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
    throw new SyntaxError("The data: URL says base64 but its data is not valid base64");
  }
  const padded = text.replace(/=+$/, "");
  const binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
  return { mediaType, base64, bytes: Uint8Array.from(binary, (c) => c.charCodeAt(0)) };
}
