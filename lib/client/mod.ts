/**
 * The client layer: `Client` with its policies (trust on first use, identities by scope,
 * input, redirects, retries, proxies, charsets, limits, gopher), the trust check, the
 * known-hosts store, the identity store (client certificates by URL scope), the
 * `config.toml` loader and the contract types shared by `Client`, `get`, `browse` and `cert`.
 *
 * @example
 * ```ts
 * import { Client, ClientError, scopeCovers } from "./mod.ts";
 * import assert from "node:assert";
 * assert.ok(scopeCovers("gemini://example.org/alice", new URL("gemini://example.org/alice/x")));
 * const client = new Client({ maxRedirects: 2 });
 * await assert.rejects(
 *   () => client.fetch("https://example.org/"),
 *   (error) => error instanceof ClientError && error.code === "unsupported-scheme",
 * );
 * ```
 *
 * @module
 */

export {
  type CertificateChange,
  ClientError,
  type ClientErrorCode,
  type ClientHooks,
  type ClientOptions,
  type ClientWarning,
  type ClientWarningCode,
  type FailureContext,
  type GeminiResponse,
  type Identity,
  type IdentityStore,
  type InvalidCertificate,
  type KnownHost,
  type KnownHostsStore,
  type RequestOptions,
  type ResponseTiming,
  type RetryReport,
  type TofuMode,
  type TrustDecider,
  type TrustReport,
  type TrustRequest,
  type TrustVerdict,
} from "./types.ts";
export { Client } from "./client.ts";
export { checkTrust, tofuTrust, type TrustCheckOptions } from "./trust.ts";
export { planRetry, type RetryDecision, type RetryPolicy } from "./retry.ts";
export {
  type CertificateValidity,
  certificateValidity,
  checkServerCertificate,
  hostMatchesCertificate,
  type ServerCertificateCheck,
  type ServerCertificateCheckOptions,
} from "./server_certificate.ts";
export { FileKnownHosts, openKnownHosts } from "./known_hosts.ts";
export {
  bestIdentity,
  FileIdentityStore,
  makeIdentity,
  openIdentityStore,
  PassphraseError,
  scopeCovers,
} from "./identities.ts";
export { type ClientConfig, loadClientConfig, parseClientConfig } from "./config.ts";
export {
  importKnownHosts,
  type ImportOptions,
  type ImportResult,
  type KnownHostsFormat,
} from "./known_hosts_import.ts";
export { titanUpload, type TitanUploadOptions, type TitanUploadResult } from "./titan.ts";
// Types of the lower layers that this layer's signatures name.
export type { MediaType } from "../protocol/mod.ts";
export type { CertificateInfo, ClientIdentity, TlsDetails } from "../tls/mod.ts";
export type { Paths } from "../files/mod.ts";
