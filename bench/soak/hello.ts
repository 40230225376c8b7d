/**
 * TLS ClientHello records for the soak benchmark's floods: a real one captured from
 * `node:tls` (what a modern client sends first: TLS 1.3 and 1.2, a key share, SNI), and one
 * built byte by byte that offers only TLS 1.1 (no `supported_versions` extension, TLS 1.1
 * cipher suites), as old clients and scanners send.
 *
 * @module
 */

import tls from "node:tls";

/** TLS record content types. */
export const RECORD_TYPE = { alert: 21, handshake: 22 } as const;

/** The length of a TLS record at the start of `bytes` (header included), if complete. */
export function recordLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 5) return undefined;
  const length = 5 + ((bytes[3] << 8) | bytes[4]);
  return bytes.length >= length ? length : undefined;
}

/**
 * The first TLS record `node:tls` sends to a server named `servername`: its ClientHello.
 * Captured through a local listener that reads it and closes.
 */
export async function captureClientHello(servername: string, timeoutMs = 5_000): Promise<
  Uint8Array
> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const client = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false });
  client.on("error", () => {}); // the listener hangs up on it
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const read = (async (): Promise<Uint8Array> => {
      const conn = await listener.accept();
      try {
        let bytes = new Uint8Array(0);
        const buffer = new Uint8Array(16_384);
        for (let i = 0; i < 64; i++) {
          const length = recordLength(bytes);
          if (length !== undefined) return bytes.slice(0, length);
          const n = await conn.read(buffer);
          if (n === null) break;
          const grown = new Uint8Array(bytes.length + n);
          grown.set(bytes);
          grown.set(buffer.subarray(0, n), bytes.length);
          bytes = grown;
        }
        throw new Error("node:tls sent no complete first record");
      } finally {
        conn.close();
      }
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no ClientHello captured in time")), timeoutMs);
    });
    const hello = await Promise.race([read, timeout]);
    if (hello[0] !== RECORD_TYPE.handshake || hello[5] !== 1) {
      throw new Error("The first record node:tls sent is not a ClientHello");
    }
    return hello;
  } finally {
    clearTimeout(timer);
    client.destroy();
    listener.close();
  }
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u24(n: number): number[] {
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** One extension: type, length, data. */
function extension(type: number, data: number[]): number[] {
  return [...u16(type), ...u16(data.length), ...data];
}

/**
 * A ClientHello record that offers only TLS 1.1 (`client_version` 3.2, no
 * `supported_versions`), with SNI `servername`, the curves P-256 and P-384 and CBC cipher
 * suites of that era. `random` fills the 32-byte random (default: crypto random).
 */
export function tls11ClientHello(servername: string, random?: Uint8Array): Uint8Array {
  const rand = random ?? crypto.getRandomValues(new Uint8Array(32));
  if (rand.length !== 32) throw new RangeError(`The random must be 32 bytes, got ${rand.length}`);
  const name = [...new TextEncoder().encode(servername)];
  // ECDHE-ECDSA/RSA with AES-128/256-CBC-SHA, then RSA AES-128/256-CBC-SHA and 3DES.
  const suites = [0xc009, 0xc00a, 0xc013, 0xc014, 0x002f, 0x0035, 0x000a];
  const extensions = [
    ...extension(0x0000, [...u16(name.length + 3), 0, ...u16(name.length), ...name]),
    ...extension(0x000a, [...u16(4), ...u16(0x0017), ...u16(0x0018)]), // supported_groups
    ...extension(0x000b, [1, 0]), // ec_point_formats: uncompressed
    ...extension(0xff01, [0]), // renegotiation_info, empty
  ];
  const body = [
    3,
    2, // client_version: TLS 1.1
    ...rand,
    0, // no session id
    ...u16(suites.length * 2),
    ...suites.flatMap(u16),
    1,
    0, // compression: null only
    ...u16(extensions.length),
    ...extensions,
  ];
  const handshake = [1, ...u24(body.length), ...body]; // ClientHello
  // The record layer says TLS 1.0, as clients of that era do for their first record.
  return new Uint8Array([RECORD_TYPE.handshake, 3, 1, ...u16(handshake.length), ...handshake]);
}
