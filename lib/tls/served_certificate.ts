/**
 * What a server needs to know about its own certificate (names, fingerprints, validity),
 * read from the DER with a small parser and hashed with Web Crypto, so that a server on the
 * `deno` backend, and the supervisor of `gemini serve` reading the certificates it keeps,
 * never load `node:crypto` (a few MiB per isolate).
 * {@linkcode certificateInfo} in certificate.ts is the full reading. Not part of the `./tls` entry point.
 *
 * @module
 */

import { certificateNames } from "./certificate_names.ts";
import { pemToDer } from "./pem.ts";
import { formatIpBytes } from "../protocol/ip.ts";

/** One DER element: its tag, where its content starts and ends, and where it ends whole. */
interface Element {
  tag: number;
  start: number;
  end: number;
  /** Offset of the tag byte. */
  at: number;
}

function element(der: Uint8Array, at: number): Element {
  if (at + 2 > der.length) throw new SyntaxError("truncated DER");
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new SyntaxError("unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  const end = start + length;
  if (end > der.length) throw new SyntaxError("truncated DER");
  return { tag, start, end, at };
}

/** The elements inside a constructed element. */
function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const e = element(der, at);
    out.push(e);
    at = e.end;
  }
  return out;
}

const ascii = new TextDecoder("latin1");
const utf8 = new TextDecoder();

function oid(der: Uint8Array, e: Element): string {
  const bytes = der.subarray(e.start, e.end);
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (!(bytes[i] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

function time(der: Uint8Array, e: Element): Date {
  const text = ascii.decode(der.subarray(e.start, e.end));
  // UTCTime YYMMDDHHMMSSZ (years 1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ.
  const full = e.tag === 0x17 ? (Number(text.slice(0, 2)) >= 50 ? "19" : "20") + text : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new SyntaxError(`unsupported certificate time ${JSON.stringify(text)}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Names, fingerprints and validity of a served certificate. */
export interface ServedCertificateInfo {
  /** The names it is for (the rule of `certificateNames()` in certificate_names.ts). */
  names: string[];
  /** The subject's common name, if any. */
  commonName?: string;
  /** DNS names and IP addresses from the subjectAltName extension, in their order. */
  altNames: string[];
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo. */
  spkiSha256: string;
  /** Lower-case hex SHA-256 of the DER certificate. */
  certSha256: string;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
}

/**
 * Reads what a server shows of its certificate (the first one of `pem`) without
 * `node:crypto`: the same names, alternative names, fingerprints and dates as
 * `certificateInfo()`.
 */
export async function servedCertificateInfo(pem: string): Promise<ServedCertificateInfo> {
  const [der] = pemToDer(pem, "CERTIFICATE");
  if (!der) throw new SyntaxError("Cannot parse the certificate: no PEM CERTIFICATE block");
  try {
    const certificate = element(der, 0);
    const [tbs] = children(der, certificate);
    const fields = children(der, tbs);
    // version [0] is optional; then serial, signature, issuer, validity, subject, spki.
    const first = fields[0].tag === 0xa0 ? 1 : 0;
    const validity = fields[first + 3];
    const subject = fields[first + 4];
    const spki = fields[first + 5];
    const [start, end] = children(der, validity);
    const notBefore = time(der, start);
    const notAfter = time(der, end);
    let commonName: string | undefined;
    for (const rdn of children(der, subject)) {
      for (const attribute of children(der, rdn)) {
        const [type, value] = children(der, attribute);
        if (oid(der, type) === "2.5.4.3") {
          commonName ??= utf8.decode(der.subarray(value.start, value.end));
        }
      }
    }
    const altNames: string[] = [];
    const extensions = fields.find((f) => f.tag === 0xa3);
    if (extensions) {
      for (const extension of children(der, children(der, extensions)[0])) {
        const parts = children(der, extension);
        if (oid(der, parts[0]) !== "2.5.29.17") continue;
        const octets = parts[parts.length - 1];
        const general = element(der, octets.start);
        for (const name of children(der, general)) {
          const bytes = der.subarray(name.start, name.end);
          if (name.tag === 0x82) altNames.push(ascii.decode(bytes));
          else if (name.tag === 0x87) altNames.push(formatIpBytes(bytes));
        }
      }
    }
    return {
      names: certificateNames({ commonName, altNames }),
      commonName,
      altNames,
      spkiSha256: await sha256Hex(der.subarray(spki.at, spki.end)),
      certSha256: await sha256Hex(der),
      notBefore,
      notAfter,
    };
  } catch (error) {
    throw new SyntaxError("Cannot parse the certificate: not a PEM or DER X.509 certificate", {
      cause: error,
    });
  }
}
