/**
 * Reading a TLS ClientHello from the first bytes of a connection, before any TLS object
 * exists: the SNI name (to choose the certificate) and the versions offered (to refuse a
 * client that offers nothing newer than TLS 1.1 with an alert of our own). Pure; internal
 * to lib/tls.
 *
 * @module
 */

/** The largest ClientHello accepted: one full record's worth, as every real client sends. */
export const MAX_CLIENT_HELLO_BYTES = 16_384;

/** What {@linkcode _scanClientHello} found. */
export type ClientHelloScan =
  | { status: "incomplete" }
  | { status: "invalid"; reason: string }
  | {
    status: "hello";
    /** The SNI host name, if the client sent one. */
    serverName?: string;
    /** The highest protocol version offered (0x0303 is TLS 1.2, 0x0304 TLS 1.3). */
    maxVersion: number;
    /** Bytes of the records that hold the ClientHello. */
    length: number;
  };

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_VERSIONS = 43;

/**
 * Looks for a whole ClientHello at the start of `bytes`, which may span several TLS
 * records. Returns `incomplete` while more bytes are needed, `invalid` for bytes that are
 * not a ClientHello (or one over {@linkcode MAX_CLIENT_HELLO_BYTES}), else what it offers.
 */
export function _scanClientHello(bytes: Uint8Array): ClientHelloScan {
  // Gather the handshake message from the records that carry it.
  const message: number[] = [];
  let at = 0;
  let needed = Infinity;
  while (message.length < needed) {
    if (bytes.length < at + 5) return { status: "incomplete" };
    if (bytes[at] !== HANDSHAKE || bytes[at + 1] !== 3) {
      return { status: "invalid", reason: "not a TLS handshake record" };
    }
    const length = (bytes[at + 3] << 8) | bytes[at + 4];
    if (length === 0 || length > MAX_CLIENT_HELLO_BYTES) {
      return { status: "invalid", reason: `TLS record of ${length} bytes` };
    }
    if (bytes.length < at + 5 + length) return { status: "incomplete" };
    for (let i = 0; i < length; i++) message.push(bytes[at + 5 + i]);
    at += 5 + length;
    if (needed === Infinity && message.length >= 4) {
      if (message[0] !== CLIENT_HELLO) {
        return { status: "invalid", reason: "first handshake message is not a ClientHello" };
      }
      needed = 4 + ((message[1] << 16) | (message[2] << 8) | message[3]);
      if (needed > MAX_CLIENT_HELLO_BYTES) {
        return { status: "invalid", reason: `ClientHello of ${needed} bytes` };
      }
    }
  }
  const body = new Uint8Array(message.slice(4, needed));
  try {
    return { status: "hello", ...readHello(body), length: at };
  } catch {
    return { status: "invalid", reason: "malformed ClientHello" };
  }
}

/** A cursor over a ClientHello body that throws when it runs past the end. */
class Reader {
  #bytes: Uint8Array;
  at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get left(): number {
    return this.#bytes.length - this.at;
  }

  u8(): number {
    if (this.left < 1) throw new RangeError("ClientHello ends early");
    return this.#bytes[this.at++];
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  take(n: number): Uint8Array {
    if (this.left < n) throw new RangeError("ClientHello ends early");
    const out = this.#bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

function readHello(body: Uint8Array): { serverName?: string; maxVersion: number } {
  const r = new Reader(body);
  let maxVersion = r.u16(); // legacy_version
  r.take(32); // random
  r.take(r.u8()); // session id
  r.take(r.u16()); // cipher suites
  r.take(r.u8()); // compression methods
  let serverName: string | undefined;
  if (r.left === 0) return { maxVersion };
  const extensions = new Reader(r.take(r.u16()));
  while (extensions.left > 0) {
    const type = extensions.u16();
    const data = new Reader(extensions.take(extensions.u16()));
    if (type === EXT_SERVER_NAME) {
      const list = new Reader(data.take(data.u16()));
      while (list.left > 0) {
        const kind = list.u8();
        const name = list.take(list.u16());
        if (kind === 0 && serverName === undefined) {
          serverName = new TextDecoder().decode(name);
        }
      }
    } else if (type === EXT_SUPPORTED_VERSIONS) {
      const versions = new Reader(data.take(data.u8()));
      maxVersion = 0;
      while (versions.left > 0) {
        const v = versions.u16();
        // GREASE values (0x?A?A) are not versions.
        if ((v & 0x0f0f) !== 0x0a0a && v > maxVersion) maxVersion = v;
      }
    }
  }
  return { serverName, maxVersion };
}

/** A fatal `protocol_version` alert (RFC 8446 §6.2), sent to clients older than TLS 1.2. */
export const PROTOCOL_VERSION_ALERT: Uint8Array = new Uint8Array([
  21, // alert
  3,
  1, // record version TLS 1.0, as any client understands
  0,
  2,
  2, // fatal
  70, // protocol_version
]);
