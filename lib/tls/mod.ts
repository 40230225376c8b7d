/**
 * TLS for Gemini over `node:tls` (and `Deno.listenTls` for the fastest single-certificate
 * servers): certificates and fingerprints, `dial` that hands back the server certificate
 * before any request byte is written, and `listen` that can ask clients for certificates.
 *
 * @example
 * ```ts
 * import { certificateInfo, formatFingerprint, generateCertificate } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { cert } = await generateCertificate("example.org", { altNames: ["example.org"] });
 * const info = certificateInfo(cert);
 * assert.deepEqual(info.altNames, ["example.org"]);
 * assert.match(formatFingerprint(info.spkiSha256), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
 * ```
 *
 * @module
 */

export {
  type CertificateBundle,
  type CertificateInfo,
  certificateInfo,
  generateCertificate,
  type GenerateCertificateOptions,
  isCurrentlyValid,
  type KeyAlgorithm,
  renewCertificate,
  type RenewCertificateOptions,
} from "./certificate.ts";
export { matchesServerName } from "./certificate_names.ts";
export { formatFingerprint, normalizeFingerprint } from "./fingerprint.ts";
export type { Address, Connection, TlsDetails } from "./connection.ts";
export { DeadlineError } from "./deadline.ts";
export {
  type ClientConnection,
  type ClientIdentity,
  dial,
  DialError,
  type DialOptions,
  type DialTiming,
} from "./dial.ts";
export {
  type ConnectionGate,
  listen,
  type Listener,
  type ListenerBackend,
  type ListenOptions,
  type PreTlsResult,
  type ServerCertificate,
  type ServerConnection,
} from "./listen.ts";
