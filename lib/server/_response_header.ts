/**
 * Temporary stand-in for lib/protocol/response.ts `scanResponseHeader` until the
 * `protocol` branch lands; same contract (null = need more bytes, throws on a bad header).
 *
 * @module
 */

const MAX_HEADER_BYTES = 1029;
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A parsed header and where the body starts. */
export interface _ScannedHeader {
  /** Status and META. */
  header: { status: number; meta: string };
  /** Index of the first body byte. */
  bodyStart: number;
}

/** Finds and parses the response header at the start of `buf`. */
export function scanResponseHeader(buf: Uint8Array): _ScannedHeader | null {
  const end = Math.min(buf.length, MAX_HEADER_BYTES);
  for (let i = 0; i < end; i++) {
    if (buf[i] === 0x0a) {
      let n = i;
      if (n > 0 && buf[n - 1] === 0x0d) n--;
      const bytes = buf.subarray(0, n);
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        throw new SyntaxError("Response header starts with a byte order mark");
      }
      const text = DECODER.decode(bytes);
      const m = /^([1-6][0-9])(?: (.*))?$/s.exec(text);
      if (!m) throw new SyntaxError(`Invalid response header ${JSON.stringify(text)}`);
      // deno-lint-ignore no-control-regex
      if (/[\x00-\x1f\x7f]/.test(m[2] ?? "")) {
        throw new SyntaxError("Response header META holds a control character");
      }
      const status = Number(m[1]);
      const meta = m[2] ?? "";
      if (status < 30 && meta.trim() === "" && status < 20) {
        throw new SyntaxError("Input response without a prompt");
      }
      if (status >= 30 && status < 40 && meta.trim() === "") {
        throw new SyntaxError("Redirect without a target");
      }
      return { header: { status, meta }, bodyStart: i + 1 };
    }
  }
  if (buf.length >= MAX_HEADER_BYTES) {
    throw new SyntaxError(`Response header has no line end within ${MAX_HEADER_BYTES} bytes`);
  }
  return null;
}
