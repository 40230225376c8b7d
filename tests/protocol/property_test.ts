/**
 * Property tests: the request and header parsers never throw anything but their documented
 * error types on arbitrary input, formatters and parsers round-trip, and the scanners look
 * at a bounded prefix only, so their work does not grow with the input.
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_helpers/assert.ts";
import {
  decodeRequestPath,
  formatMediaType,
  formatResponseHeader,
  MAX_HEADER_BYTES,
  MAX_REQUEST_LINE_BYTES,
  MediaTypeError,
  normalizeUrl,
  parseGopherMenu,
  parseMediaType,
  parseRequestLine,
  parseResponseHeader,
  parseTitanUrl,
  RequestError,
  ResponseHeaderError,
  scanRequestLine,
  scanResponseHeader,
  UrlError,
  withInput,
} from "../../lib/protocol/mod.ts";

const RUNS = { numRuns: 2000 };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `fn`; any exception other than `ErrorClass` fails the property. */
function onlyThrows(
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => Error,
  fn: () => unknown,
): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ErrorClass)) throw error;
  }
}

/** Bytes that look like request lines: a gemini-ish prefix, then arbitrary bytes. */
const requestish = fc.oneof(
  fc.uint8Array({ maxLength: 1200 }),
  fc.tuple(
    fc.constantFrom("gemini://", "GEMINI://h", "gemini://h/", "titan://h/", "gemini://[::1]/", ""),
    fc.uint8Array({ maxLength: 1100 }),
  ).map(([p, b]) => new Uint8Array([...enc(p), ...b])),
  fc.string({ unit: "grapheme", maxLength: 300 }).map((s) => enc(`gemini://${s}\r\n`)),
  fc.webUrl({ withFragments: true, withQueryParameters: true }).map((s) => enc(`${s}\r\n`)),
);

/** Bytes that look like response headers. */
const headerish = fc.oneof(
  fc.uint8Array({ maxLength: 1200 }),
  fc.tuple(fc.integer({ min: 0, max: 120 }), fc.string({ unit: "grapheme", maxLength: 1100 }))
    .map(([n, s]) => enc(`${n} ${s}\r\n`)),
  fc.tuple(fc.stringMatching(/^[0-9]{0,4}[ \t]?$/), fc.uint8Array({ maxLength: 200 }))
    .map(([p, b]) => new Uint8Array([...enc(p), ...b])),
);

Deno.test("scanRequestLine() and parseRequestLine() throw only RequestError", () => {
  fc.assert(
    fc.property(requestish, (bytes) => {
      onlyThrows(RequestError, () => {
        const found = scanRequestLine(bytes);
        if (found) {
          const url = parseRequestLine(found.line, { schemes: ["gemini", "titan"] });
          decodeRequestPath(url);
        }
      });
      onlyThrows(RequestError, () => parseRequestLine(bytes));
    }),
    RUNS,
  );
});

Deno.test("parseRequestLine() results are normalised: no userinfo, no fragment, <= limits", () => {
  fc.assert(
    fc.property(requestish, (bytes) => {
      let url: URL;
      try {
        url = parseRequestLine(bytes);
      } catch (error) {
        if (error instanceof RequestError) return;
        throw error;
      }
      assertEquals(url.protocol, "gemini:");
      assertEquals([url.username, url.password, url.hash], ["", "", ""]);
      assert(url.pathname.startsWith("/"));
      assertEquals(url.hostname, url.hostname.toLowerCase());
      // idempotent: the parsed URL parses to itself
      assertEquals(parseRequestLine(url.href).href, url.href);
    }),
    RUNS,
  );
});

Deno.test("scanResponseHeader() and parseResponseHeader() throw only ResponseHeaderError", () => {
  fc.assert(
    fc.property(headerish, (bytes) => {
      onlyThrows(ResponseHeaderError, () => scanResponseHeader(bytes));
      onlyThrows(ResponseHeaderError, () => parseResponseHeader(bytes));
    }),
    RUNS,
  );
});

Deno.test("formatResponseHeader() output parses back to the same status and META", () => {
  const isControl = (c: number): boolean => (c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f);
  const meta = fc.string({ unit: "grapheme", maxLength: 300 }).filter((s) =>
    ![...s].some((ch) => isControl(ch.charCodeAt(0))) && !s.startsWith("\ufeff")
  );
  fc.assert(
    fc.property(fc.integer({ min: 40, max: 69 }), meta, (status, text) => {
      const line = formatResponseHeader(status, text);
      const found = scanResponseHeader(enc(`${line}body`));
      assert(found);
      assertEquals([found.header.status, found.header.meta], [status, text]);
      assertEquals(found.bodyStart, enc(line).length);
    }),
    RUNS,
  );
});

Deno.test("scanRequestLine() depends only on the first 1026 bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: MAX_REQUEST_LINE_BYTES, maxLength: MAX_REQUEST_LINE_BYTES + 50 }),
      fc.uint8Array({ maxLength: 2000 }),
      (prefix, suffix) => {
        const outcome = (bytes: Uint8Array): string => {
          try {
            const found = scanRequestLine(bytes);
            return found === null ? "null" : `line ${found.line.length}`;
          } catch (error) {
            return (error as RequestError).reason;
          }
        };
        const head = prefix.subarray(0, MAX_REQUEST_LINE_BYTES);
        const a = outcome(head);
        const b = outcome(new Uint8Array([...prefix, ...suffix]));
        assert(a !== "null", "1026 bytes are always enough to decide");
        assertEquals(b, a);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("scanResponseHeader() depends only on the first 1029 bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: MAX_HEADER_BYTES, maxLength: MAX_HEADER_BYTES + 50 }),
      fc.uint8Array({ maxLength: 2000 }),
      (prefix, suffix) => {
        const outcome = (bytes: Uint8Array): string => {
          try {
            const found = scanResponseHeader(bytes);
            return found === null ? "null" : `header ${found.bodyStart} ${found.header.meta}`;
          } catch (error) {
            return (error as ResponseHeaderError).reason;
          }
        };
        const a = outcome(prefix.subarray(0, MAX_HEADER_BYTES));
        assert(a !== "null", "1029 bytes are always enough to decide");
        assertEquals(outcome(new Uint8Array([...prefix, ...suffix])), a);
      },
    ),
    { numRuns: 300 },
  );
});

// Linear time: past its limit a parser decides on the length alone, before decoding or
// looking at the content (whatever the content, the reason is "too-long", never "bom",
// "invalid-utf8" or "bad-status"), so its work is one pass to measure the input plus a
// bounded amount; the scanners above never look past their limit at all.
Deno.test("parseRequestLine() and parseResponseHeader() refuse any over-limit input on length first", () => {
  const reasonOf = (fn: () => unknown): string => {
    try {
      fn();
      return "accepted";
    } catch (error) {
      if (error instanceof RequestError || error instanceof ResponseHeaderError) {
        return error.reason;
      }
      throw error;
    }
  };
  fc.assert(
    fc.property(
      fc.constantFrom(
        new Uint8Array([0xef, 0xbb, 0xbf]),
        new Uint8Array([0xff]),
        enc("x"),
        enc(""),
      ),
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      (start, rest) => {
        const head = (n: number): Uint8Array => {
          const out = new Uint8Array(n);
          out.set(start.subarray(0, n));
          out.set(rest.subarray(0, n - Math.min(start.length, n)), Math.min(start.length, n));
          out.fill(0x61, Math.min(n, start.length + rest.length));
          out[n - 1] = 0x61; // never a line end the parser would strip
          return out;
        };
        // 1025 bytes of URL, CRLF not counted; 1028 bytes of header before its line end
        assertEquals(reasonOf(() => parseRequestLine(head(1025))), "too-long");
        assertEquals(reasonOf(() => parseRequestLine(head(1025 + rest.length))), "too-long");
        assertEquals(reasonOf(() => parseResponseHeader(head(1028))), "too-long");
        assertEquals(reasonOf(() => parseResponseHeader(head(1028 + rest.length))), "too-long");
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("the scanners decide a 1 MB garbage input from its bounded prefix", () => {
  const garbage = new Uint8Array(1 << 20);
  for (let i = 0; i < garbage.length; i++) garbage[i] = 0x20 + (i * 7919) % 0x5f;
  // The same result as for the prefix alone: the rest of the megabyte is never consulted.
  const reqWhole = (() => {
    try {
      return String(scanRequestLine(garbage));
    } catch (e) {
      return (e as RequestError).reason;
    }
  })();
  assertEquals(reqWhole, "too-long");
  const hdrWhole = (() => {
    try {
      return String(scanResponseHeader(garbage));
    } catch (e) {
      return (e as ResponseHeaderError).reason;
    }
  })();
  assert(hdrWhole === "too-long" || hdrWhole === "bad-status", hdrWhole);
  // Arbitrarily long parse inputs are refused on their length before any decoding.
  const long = enc(`gemini://h/${"a".repeat(1 << 20)}`);
  assertEquals(
    (() => {
      try {
        parseRequestLine(long);
        return "parsed";
      } catch (e) {
        return (e as RequestError).reason;
      }
    })(),
    "too-long",
  );
});

Deno.test("parseMediaType() throws only MediaTypeError and round-trips through format", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      let mt;
      try {
        mt = parseMediaType(text);
      } catch (error) {
        if (error instanceof MediaTypeError) return;
        throw error;
      }
      if (/[\r\n]/.test(text)) return;
      assertEquals(parseMediaType(formatMediaType(mt)), mt);
    }),
    RUNS,
  );
});

Deno.test("normalizeUrl(), withInput() and parseTitanUrl() throw only UrlError", () => {
  const urlish = fc.oneof(
    fc.webUrl({ withFragments: true, withQueryParameters: true }),
    fc.string({ maxLength: 200 }).map((s) => `gemini://${s}`),
    fc.string({ maxLength: 200 }).map((s) => `titan://h/p;${s}`),
    fc.string({ maxLength: 100 }),
  );
  fc.assert(
    fc.property(urlish, fc.string({ maxLength: 300 }), (text, answer) => {
      onlyThrows(UrlError, () => normalizeUrl(text));
      onlyThrows(UrlError, () => withInput(text, answer));
      onlyThrows(UrlError, () => parseTitanUrl(text));
    }),
    RUNS,
  );
});

Deno.test("withInput() answers decode back to the answer and never contain + or space", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (answer) => {
      const url = withInput("gemini://example.org/q", answer);
      assert(!/[+ ]/.test(url.search));
      assertEquals(decodeURIComponent(url.search.slice(1)), answer);
    }),
    RUNS,
  );
});

Deno.test("parseGopherMenu() never throws", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 500 }), (text) => {
      for (const item of parseGopherMenu(text)) {
        assert(Number.isInteger(item.port) && item.port > 0);
      }
    }),
    RUNS,
  );
});
