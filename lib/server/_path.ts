/**
 * Percent-decoding of a request path for {@linkcode GeminiRequest.path}.
 *
 * @module
 */

import { RequestError } from "../protocol/request_error.ts";

const DECODER = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes `%XX` escapes in a URL path once, as UTF-8. Throws a `RequestError` (59) for a
 * malformed escape, a NUL or invalid UTF-8.
 */
export function _decodePath(raw: string): string {
  if (!raw.includes("%")) return raw;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new RequestError(
          "bad-percent-encoding",
          "Request path has a malformed percent-escape",
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const ch = String.fromCodePoint(raw.codePointAt(i)!);
      bytes.push(...encoder.encode(ch));
      i += ch.length - 1;
    }
  }
  let text: string;
  try {
    text = DECODER.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new RequestError("invalid-utf8", "Request path is not UTF-8 once decoded", { cause });
  }
  if (text.includes("\0")) throw new RequestError("nul", "Request path decodes to a NUL byte");
  return text;
}
