/**
 * Internal helpers shared by the protocol modules; not re-exported.
 *
 * @module
 */

const ENCODER = new TextEncoder();

/** The unreserved characters of RFC 3986. */
export const UNRESERVED: RegExp = /[A-Za-z0-9\-._~]/;

/** The length of `text` in UTF-8 bytes. */
export function _byteLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Percent-encodes every byte of the UTF-8 form of `text` outside the unreserved set. */
export function _encodeComponent(text: string, keep: RegExp = UNRESERVED): string {
  let out = "";
  for (const ch of text) {
    if (ch.length === 1 && ch.charCodeAt(0) < 0x80 && keep.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of ENCODER.encode(ch)) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}
