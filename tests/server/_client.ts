/**
 * A minimal Gemini client for the server tests, on lib/tls `dial` (the client library is
 * tested on its own): send raw request bytes, read the whole answer.
 */

import net from "node:net";
import tls from "node:tls";
import { concatBytes } from "../../lib/protocol/bytes.ts";
import { dial, type DialOptions } from "../../lib/tls/dial.ts";
import type { CertificateInfo } from "../../lib/tls/certificate.ts";

/** A response as received. */
export interface RawResponse {
  /** The header line without CRLF ("" when none arrived). */
  header: string;
  /** Status as a number (NaN when no header). */
  status: number;
  /** META. */
  meta: string;
  /** Body bytes. */
  body: Uint8Array;
  /** Body as text. */
  text: string;
  /** Whether the server ended with close_notify. */
  closeNotify: boolean | undefined;
  /** The server's certificate. */
  peerCertificate: CertificateInfo;
}

/** Sends `request` (string or bytes, sent as is) to 127.0.0.1:`port` and reads the answer. */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
  options: DialOptions & { host?: string; maxBytes?: number } = {},
): Promise<RawResponse> {
  const conn = await dial(options.host ?? "127.0.0.1", {
    port,
    servername: options.servername ?? null,
    identity: options.identity,
    timeout: options.timeout ?? 10_000,
  });
  try {
    await conn.write(request);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const max = options.maxBytes ?? 64 * 1024 * 1024;
    while (size <= max) {
      const chunk = await conn.read();
      if (chunk === null) break;
      chunks.push(chunk);
      size += chunk.length;
    }
    const all = concatBytes(chunks);
    const crlf = findCrlf(all);
    const header = crlf < 0 ? "" : new TextDecoder().decode(all.subarray(0, crlf));
    const body = crlf < 0 ? new Uint8Array() : all.subarray(crlf + 2);
    const space = header.indexOf(" ");
    return {
      header,
      status: header ? Number(header.slice(0, 2)) : NaN,
      meta: space < 0 ? "" : header.slice(space + 1),
      body,
      text: new TextDecoder().decode(body),
      closeNotify: conn.closeNotify,
      peerCertificate: conn.peerCertificate,
    };
  } finally {
    conn.destroy();
  }
}

function findCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length && i < 2048; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/** Fetches `url` from 127.0.0.1:`port` (the request line is `url` + CRLF). */
export function fetchUrl(
  port: number,
  url: string,
  options: DialOptions & { host?: string; maxBytes?: number } = {},
): Promise<RawResponse> {
  return rawRequest(port, `${url}\r\n`, options);
}

/**
 * One request for `url` through a fake load balancer: connects over TCP, sends `preface`
 * (when given), then speaks TLS (no verification, SNI localhost); resolves with the whole
 * response text when the server ends or closes the connection.
 */
export function fetchWithPreface(
  port: number,
  preface: Uint8Array | undefined,
  url = "gemini://localhost/",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ port, host: "127.0.0.1" }, () => {
      if (preface) raw.write(preface);
      const socket = tls.connect({
        socket: raw,
        rejectUnauthorized: false,
        servername: "localhost",
      });
      let text = "";
      socket.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
      socket.on("secureConnect", () => socket.write(`${url}\r\n`));
      socket.on("end", () => resolve(text));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    raw.on("error", reject);
  });
}
