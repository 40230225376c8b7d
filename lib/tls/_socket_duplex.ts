/**
 * The duplex stream both TLS backends put between a TCP socket and `node:tls`, so that
 * they can see (or feed) the raw bytes themselves. Internal to lib/tls.
 *
 * @module
 */

import type net from "node:net";
import { Duplex } from "node:stream";

/**
 * A duplex over `raw`: writes, `end()` and `destroy()` go to the socket, and what the
 * socket receives is pushed to the reader (pausing the socket when the reader is full).
 * `onRead` runs when the reader wants more (typically `raw.resume()`); the caller decides
 * what the end of the TCP stream means (`raw.on("end")`). A socket error destroys the
 * duplex with that error.
 */
export function _socketDuplex(raw: net.Socket, onRead: () => void): Duplex {
  const duplex = new Duplex({
    read(): void {
      onRead();
    },
    write(chunk: Uint8Array, _encoding, callback): void {
      raw.write(chunk, (error) => callback(error ?? null));
    },
    final(callback): void {
      raw.end();
      callback();
    },
    destroy(error, callback): void {
      raw.destroy();
      callback(error);
    },
  });
  raw.on("data", (chunk: Uint8Array) => {
    if (!duplex.push(chunk)) raw.pause();
  });
  raw.on("error", (error: Error) => duplex.destroy(error));
  return duplex;
}
