/**
 * Fuzzed Gemini request lines for the soak benchmark, from a seeded generator (the same seed
 * gives the same lines): random bytes, URLs at the exact length limit (1024 bytes) and just
 * past it, bare LF, NUL, userinfo, fragments, a byte order mark, relative URLs, other schemes,
 * hosts and ports, invalid UTF-8, malformed escapes, traversal spellings, control characters,
 * empty lines, data after the request line, and random mutations of a valid request.
 *
 * @module
 */

/** One fuzzed request. */
export interface FuzzCase {
  /** What kind of line it is (for the report). */
  kind: string;
  /** The bytes to send. */
  bytes: Uint8Array;
  /**
   * Whether to end the client's side of the stream after the bytes: set for lines without a
   * terminator, so the server answers at once instead of at its request deadline.
   */
  halfClose: boolean;
}

/** A seeded PRNG (mulberry32): returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const encoder = new TextEncoder();
const SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";

function concat(...parts: (Uint8Array | string | number[])[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === "string" ? encoder.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p)
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** A generator of fuzzed request lines for a server at `host:port`. */
export class RequestFuzzer {
  #random: () => number;
  #base: string;
  #host: string;
  #port: number;

  /** Lines for `gemini://host:port/`, from `seed`. */
  constructor(seed: number, host: string, port: number) {
    this.#random = seededRandom(seed);
    this.#host = host;
    this.#port = port;
    this.#base = `gemini://${host}:${port}`;
  }

  #int(n: number): number {
    return Math.floor(this.#random() * n);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)];
  }

  #word(max: number): string {
    let s = "";
    const n = 1 + this.#int(max);
    for (let i = 0; i < n; i++) s += SAFE[this.#int(SAFE.length)];
    return s;
  }

  #bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#int(256);
    return out;
  }

  /** A valid URL of exactly `length` bytes (at least the base plus "/"). */
  urlOfLength(length: number): string {
    const head = `${this.#base}/`;
    if (length < head.length) throw new RangeError(`A URL needs at least ${head.length} bytes`);
    let path = "";
    while (head.length + path.length < length) path += SAFE[this.#int(26)];
    return head + path;
  }

  /** The next fuzzed request. */
  next(): FuzzCase {
    const line = (kind: string, ...parts: (Uint8Array | string | number[])[]): FuzzCase => ({
      kind,
      bytes: concat(...parts),
      halfClose: false,
    });
    const open = (kind: string, ...parts: (Uint8Array | string | number[])[]): FuzzCase => ({
      kind,
      bytes: concat(...parts),
      halfClose: true,
    });
    const b = this.#base;
    switch (this.#int(24)) {
      case 0:
        return line("valid", `${b}/${this.#pick(["", "index.gmi", this.#word(12)])}\r\n`);
      case 1:
        return line("1024-byte URL", this.urlOfLength(1024), "\r\n");
      case 2:
        return line("1025-byte URL", this.urlOfLength(1025), "\r\n");
      case 3:
        return line("1026-byte URL", this.urlOfLength(1026), "\r\n");
      case 4:
        return line("1027 bytes, no CRLF", this.urlOfLength(1027));
      case 5:
        return line("bare LF", `${b}/${this.#word(20)}\n`);
      case 6:
        return line("NUL", `${b}/${this.#word(8)}`, [0], `${this.#word(8)}\r\n`);
      case 7:
        return line(
          "userinfo",
          `gemini://${this.#pick(["user", "user:pass", ""])}@${this.#host}:${this.#port}/\r\n`,
        );
      case 8:
        return line("fragment", `${b}/#${this.#word(10)}\r\n`);
      case 9:
        return line("byte order mark", [0xef, 0xbb, 0xbf], `${b}/\r\n`);
      case 10:
        return line("relative URL", `${this.#pick(["/", "//", "index.gmi", "?q", ""])}\r\n`);
      case 11:
        return line(
          "other scheme",
          `${this.#pick(["https", "http", "titan", "gopher", "file", "GEMINI", "gemini+x"])}` +
            `://${this.#host}:${this.#port}/\r\n`,
        );
      case 12:
        return line(
          "other host or port",
          `gemini://${
            this.#pick([
              "example.org",
              "[::1]",
              "127.0.0.1",
              `${this.#host}:1`,
              `${this.#host}:99999`,
              `${this.#host}.`,
              "LOCALHOST",
            ])
          }/\r\n`,
        );
      case 13:
        return line("random bytes", this.#bytes(this.#int(1100)), "\r\n");
      case 14:
        return line(
          "invalid UTF-8",
          `${b}/`,
          this.#pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]),
          "\r\n",
        );
      case 15:
        return line(
          "malformed escape",
          `${b}/${this.#pick(["%", "%z1", "%0", "%%", "%2", "a%g0", "%C3%28", "%FF"])}\r\n`,
        );
      case 16:
        return line(
          "traversal",
          `${b}${
            this.#pick([
              "/../../etc/passwd",
              "/%2e%2e/%2e%2e/etc/passwd",
              "/a/%2F..%2Fb",
              "//index.gmi",
              "/./index.gmi",
              "/a\\..\\b",
              "/%5c..%5c",
              "/.hidden",
              "/%00",
              "/index.gmi/",
              "/?%00",
            ])
          }\r\n`,
        );
      case 17:
        return line("empty line", "\r\n");
      case 18:
        return open("CR only", `${b}/\r`);
      case 19:
        return line(
          "control characters",
          `${b}/${this.#word(4)}`,
          [this.#pick([1, 7, 8, 9, 11, 12, 27, 127, 0x20])],
          `${this.#word(4)}\r\n`,
        );
      case 20:
        return open("no terminator", `${b}/${this.#word(30)}`);
      case 21:
        return line("data after the line", `${b}/\r\n`, this.#bytes(this.#int(2048)));
      case 22:
        return line("two lines", `${b}/\r\n${b}/index.gmi\r\n`);
      default: {
        // A valid request with a few random bytes flipped, inserted or deleted.
        const bytes = [...encoder.encode(`${b}/${this.#word(40)}\r\n`)];
        const edits = 1 + this.#int(4);
        for (let i = 0; i < edits; i++) {
          const at = this.#int(bytes.length);
          const what = this.#int(3);
          if (what === 0) bytes[at] = this.#int(256);
          else if (what === 1) bytes.splice(at, 0, this.#int(256));
          else bytes.splice(at, 1);
        }
        const terminated = bytes.length >= 1 && bytes[bytes.length - 1] === 0x0a;
        return { kind: "mutated", bytes: new Uint8Array(bytes), halfClose: !terminated };
      }
    }
  }
}
