/**
 * The client layer's contract: the shapes that `Client`, its stores, `gemini get`,
 * `gemini browse` and `gemini cert` share. Implementations live next to this file
 * (`client.ts`, `known_hosts.ts`, `identities.ts`, `config.ts`).
 *
 * @module
 */

import type { CertificateInfo } from "../tls/certificate.ts";
import type { TlsDetails } from "../tls/connection.ts";
import type { MediaType } from "../protocol/mime.ts";

/**
 * How strictly server certificates are checked. `strict`: a changed key, or a certificate
 * that has expired or is not valid yet, stops the fetch unless a hook decides otherwise;
 * `warn`: both go on with a warning; `off`: neither is checked. A certificate whose names do
 * not cover the host is a warning in `strict` and `warn` alike.
 */
export type TofuMode = "strict" | "warn" | "off";

/**
 * The outcome of the trust check for one connection.
 *
 * - `first-use`: no pin existed; the key was recorded.
 * - `match`: the key matches the pin (a renewed certificate with the same key matches).
 * - `expired-replaced`: the key differs but the pinned certificate had expired; replaced.
 * - `changed-accepted`: the key differs and was accepted and saved (by the user, or by
 *   `trustNew`).
 * - `changed-once`: the key differs and was accepted for this connection only.
 * - `changed-warned`: the key differs; mode `warn` went on without saving.
 * - `unchecked`: mode `off`.
 */
export type TrustVerdict =
  | "first-use"
  | "match"
  | "expired-replaced"
  | "changed-accepted"
  | "changed-once"
  | "changed-warned"
  | "unchecked";

/**
 * The trust check of one connection in full: the verdict, the pin on record before the
 * check, and when the pin in force after it was first made.
 */
export interface TrustReport {
  /** The verdict. */
  verdict: TrustVerdict;
  /** The pin on record before this connection; absent on a first visit and in mode `off`. */
  pinned?: KnownHost;
  /**
   * When the pin in force after this check was first made (ISO 8601): now for a new pin
   * (`first-use`, `expired-replaced`, `changed-accepted`), the old pin's date when it stays
   * (`match`, `changed-once`, `changed-warned`); absent in mode `off`.
   */
  firstSeen?: string;
}

/** One known-hosts entry, keyed by host (lower case, IPv6 without brackets) and port. */
export interface KnownHost {
  /** Host name or IP literal, lower case. */
  host: string;
  /** TCP port. */
  port: number;
  /**
   * `spki`: the pin is the SHA-256 of the SubjectPublicKeyInfo (our normal pin).
   * `cert`: the pin is the SHA-256 of the whole certificate (imported from a client that pins
   * certificates); upgraded to `spki` on the next visit whose certificate matches.
   */
  pin: "spki" | "cert";
  /** Lower-case hex SHA-256 of the SubjectPublicKeyInfo (empty for a `cert` pin not yet seen). */
  spkiSha256: string;
  /** Lower-case hex SHA-256 of the whole DER certificate last seen. */
  certSha256: string;
  /**
   * Lower-case hex SHA-512 of the whole DER certificate, for `cert` pins imported from gmni
   * (which pins SHA-512 digests); `certSha256` is empty then. Compared as a prefix, since
   * some gmni builds store a truncated digest.
   */
  certSha512?: string;
  /** Expiry of the pinned certificate (ISO 8601), if known. */
  notAfter?: string;
  /** When first pinned (ISO 8601). */
  firstSeen: string;
  /** When last seen with a matching key (ISO 8601). */
  lastSeen: string;
}

/** Persistent known-hosts store. Every write is atomic and safe against concurrent writers. */
export interface KnownHostsStore {
  /** The entry for host and port, if any. */
  get(host: string, port: number): Promise<KnownHost | undefined>;
  /** Inserts or replaces the entry for `entry.host` and `entry.port`. */
  put(entry: KnownHost): Promise<void>;
  /** Removes an entry; `true` when one existed. */
  remove(host: string, port: number): Promise<boolean>;
  /** All entries, sorted by host then port. */
  list(): Promise<KnownHost[]>;
}

/** A client certificate with its private key and the URL scopes it is used for. */
export interface Identity {
  /** Unique name (letters, digits, `-`, `_`, `.`). */
  name: string;
  /** Certificate, PEM. */
  cert: string;
  /** Private key, PKCS#8 PEM; encrypted PKCS#8 when `encrypted` is true. */
  key: string;
  /** Whether `key` is passphrase-protected. */
  encrypted: boolean;
  /**
   * Scopes as URLs `gemini://host[:port]/path-prefix`; a scope covers a URL when host and port
   * match and the path prefix matches whole segments (`/alice` covers `/alice` and `/alice/x`,
   * not `/alice-bob`).
   */
  scopes: string[];
  /** Parsed certificate details. */
  info: CertificateInfo;
  /** Creation time (ISO 8601). */
  created: string;
}

/** Persistent identity store. Keys are written with mode 0600. */
export interface IdentityStore {
  /** All identities, sorted by name. */
  list(): Promise<Identity[]>;
  /** One identity by name. */
  get(name: string): Promise<Identity | undefined>;
  /** Adds a new identity (error if the name exists). */
  add(identity: Identity): Promise<void>;
  /** Replaces an existing identity (scopes, key encryption...). */
  update(identity: Identity): Promise<void>;
  /** Removes an identity; `true` when one existed. */
  remove(name: string): Promise<boolean>;
  /** The identity whose scope covers `url` best (longest path prefix), if any. */
  forUrl(url: URL): Promise<Identity | undefined>;
}

/** What a certificate change looks like to whoever decides about it. */
export interface CertificateChange {
  /** Host and port of the server. */
  host: string;
  /** TCP port. */
  port: number;
  /** The pin on record. */
  pinned: KnownHost;
  /** The certificate the server presented now. */
  presented: CertificateInfo;
}

/**
 * What an invalid server certificate looks like to whoever decides about it: one that has
 * expired or is not valid yet at the time of the check.
 */
export interface InvalidCertificate {
  /** Host of the server (lower case, IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** `expired`: after its notAfter; `not-yet-valid`: before its notBefore. */
  reason: "expired" | "not-yet-valid";
  /** The certificate the server presented. */
  presented: CertificateInfo;
  /** The time of the check. */
  checkedAt: Date;
}

/** Human decisions the client delegates (a TTY prompt in `get`, the prompt line in `browse`). */
export interface ClientHooks {
  /**
   * Status 10/11: return the answer, or `null` to stop and return the 1x response as is.
   * `sensitive` is true for 11.
   */
  onInput?(request: { url: URL; prompt: string; sensitive: boolean }): Promise<string | null>;
  /** The key changed: abort (default), trust for this connection, or trust and save. */
  onCertificateChange?(change: CertificateChange): Promise<"abort" | "once" | "save">;
  /**
   * The server certificate has expired or is not valid yet (`tofu` mode `strict` only):
   * abort, or go on with this connection. Without this hook the client refuses
   * (`certificate-invalid`). Nothing is pinned or sent unless the answer is `once`.
   */
  onInvalidCertificate?(certificate: InvalidCertificate): Promise<"abort" | "once">;
  /**
   * Status 60-62 with no usable identity: return an identity to retry with (it is used for
   * this request; store it yourself to keep it), or `null` to return the 6x response.
   */
  onIdentityRequired?(
    request: { url: URL; status: number; meta: string },
  ): Promise<Identity | null>;
  /** A redirect to another host or scheme: follow it? Default: other host yes, other scheme no. */
  onRedirect?(request: { from: URL; to: URL }): Promise<boolean>;
  /**
   * Told when a permanent redirect (31) is followed, so that bookmarks of `from` can move to
   * `to`. The client awaits it, and remembers the redirect itself for its own life.
   */
  onPermanentRedirect?(redirect: { from: URL; to: URL }): void | Promise<void>;
  /** An unencrypted scheme (gopher): go ahead? Default no. */
  onInsecure?(url: URL): Promise<boolean>;
  /** Passphrase for an encrypted identity key. */
  onPassphrase?(identity: Identity): Promise<string | null>;
  /** Told before each retry wait (status 44 or a 40/41/43 backoff), `seconds` long. */
  onRetryWait?(info: { url: URL; status: number; seconds: number; attempt: number }): void;
  /**
   * Non-fatal warnings, e.g. a body that ended without close_notify: `message` says what
   * happened (it names no command-line flag), `warning` says which kind, with its details,
   * so that an application can word its own advice.
   */
  onWarning?(message: string, warning?: ClientWarning): void;
}

/**
 * The kinds of {@linkcode ClientWarning}:
 *
 * - `trust-changed`: the server's key differs from the pin; mode `warn` went on (the pin
 *   stays).
 * - `certificate-invalid`: the certificate has expired or is not valid yet; mode `warn`
 *   went on.
 * - `certificate-name`: no name of the certificate covers the host; the client went on.
 * - `tls-1.2-identity`: the server speaks only TLS 1.2, where the client certificate about
 *   to be sent travels unencrypted.
 * - `truncated`: the body ended without TLS close_notify and may be incomplete.
 */
export type ClientWarningCode =
  | "trust-changed"
  | "certificate-invalid"
  | "certificate-name"
  | "tls-1.2-identity"
  | "truncated";

/** What a warning is about, beside its message (see {@linkcode ClientHooks.onWarning}). */
export interface ClientWarning {
  /** The kind of warning. */
  code: ClientWarningCode;
  /** For `trust-changed`: the pin and the certificate presented. */
  change?: CertificateChange;
  /** For `certificate-invalid`: the certificate and why it is invalid. */
  invalid?: InvalidCertificate;
}

/** What a trust decision is asked about: one server certificate, before the request is sent. */
export interface TrustRequest {
  /** The URL about to be requested on this connection. */
  url: URL;
  /** The host dialled (a name or IP literal, as in the URL of the server or proxy). */
  host: string;
  /** The TCP port dialled. */
  port: number;
  /** The certificate the server presented. */
  certificate: CertificateInfo;
}

/**
 * Decides whether to trust the server certificate of a connection, after the TLS handshake
 * and before the request line is written: returns the verdict (with the pin compared
 * against, if it keeps pins), or throws to refuse (a {@linkcode ClientError} such as
 * `trust-changed`; nothing is sent then). What it knows of earlier visits is its own
 * business: the default, `tofuTrust()`, keeps trust-on-first-use pins in a
 * {@linkcode KnownHostsStore}.
 */
export type TrustDecider = (request: TrustRequest) => TrustReport | Promise<TrustReport>;

/** Client policy; every field has a default that just works. */
export interface ClientOptions {
  /**
   * The trust decision for each server certificate. Default: trust on first use against
   * `knownHosts`, in mode `tofu`, accepting a changed key when `trustNew` is set or the
   * `onCertificateChange` hook says so (`tofuTrust()` of `trust.ts`); those three options
   * only shape this default. The dates and names of the certificate are checked before it
   * in every case (see `tofu`).
   */
  trustCertificate?: TrustDecider;
  /** Known-hosts store of the default trust decision; default: the file store in the data directory. */
  knownHosts?: KnownHostsStore;
  /** Identity store; default: the file store in the data directory. */
  identities?: IdentityStore;
  /**
   * Trust mode: how strictly the certificate's key (in the default trust decision) and its
   * dates are checked; see {@linkcode TofuMode}. Default `strict`.
   */
  tofu?: TofuMode;
  /** Accept a changed key and save it, without asking (default trust decision). Default false. */
  trustNew?: boolean;
  /** Maximum redirects followed. Default 5. */
  maxRedirects?: number;
  /** Follow redirects to another scheme without asking. Default false. */
  allowSchemeChange?: boolean;
  /**
   * Automatic retries of one request, for every reason together (44 SLOW DOWN and the
   * temporary failures 40, 41 and 43, and the undefined codes handled as them). `0` sends
   * each request exactly once. Default 3.
   */
  retries?: number;
  /**
   * The most time spent waiting before retries in one fetch, all waits together, in
   * seconds. A retry whose wait does not fit in what is left is not made (the response is
   * returned as it is), so `0` allows only retries that need no wait. Default 30.
   */
  maxWaitSeconds?: number;
  /**
   * Re-send automatically a request that carries the user's input (an answer to 10/11).
   * Default false: such a request is sent once, since it may post something (a guestbook
   * entry) each time it arrives.
   */
  retryInput?: boolean;
  /**
   * Follow redirects. `false` (or `maxRedirects: 0`) makes a 3x the response, after checking
   * that its target is a valid URL. Default true.
   */
  followRedirects?: boolean;
  /** Proxies by scheme: `{ https: "gemini://proxy.example:1965" }`. */
  proxies?: Record<string, string>;
  /** Allow gopher:// without asking. Default false. */
  allowGopher?: boolean;
  /** Connect timeout, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Timeout for the response header after the request is sent, ms. Default 30 000. */
  headerTimeoutMs?: number;
  /** Idle timeout between body chunks, ms. Default 60 000. */
  idleTimeoutMs?: number;
  /** Maximum body size in bytes; larger bodies fail with `too-large`. Default unlimited. */
  maxBodyBytes?: number;
  /** Human decisions. */
  hooks?: ClientHooks;
}

/** Per-request options. */
export interface RequestOptions {
  /** Use this identity (overrides scopes). */
  identity?: Identity;
  /** Answer to give if the server asks for input (10/11). */
  input?: string;
  /** Abort the request. */
  signal?: AbortSignal;
}

/** The automatic retries of a fetch. */
export interface RetryReport {
  /** Retries made (requests sent again after 44, 40, 41 or 43). */
  count: number;
  /** Seconds waited before them, in all. */
  waitedSeconds: number;
  /**
   * Why the final response, which could have been retried, was not: `retries` (no retries
   * left), `max-wait` (its wait did not fit in what is left of `maxWaitSeconds`) or
   * `input` (the request carried the user's input). Absent when it was not retryable.
   */
  stopped?: "retries" | "max-wait" | "input";
}

/** Timings of the final request, milliseconds. */
export interface ResponseTiming {
  /** TCP connect. */
  connectMs: number;
  /** TLS handshake. */
  tlsMs: number;
  /** From sending the request to the first header byte. */
  firstByteMs: number;
  /** From the start of the fetch (all redirects and retries) to the end of the body. */
  totalMs: number;
}

/** A response: the header of the final request plus its streaming body. */
export interface GeminiResponse {
  /** The URL finally requested (after redirects and input). */
  url: URL;
  /** Status code as sent (10-69). */
  status: number;
  /** META as sent. */
  meta: string;
  /** Parsed media type for 2x. */
  mediaType?: MediaType;
  /** Each URL that redirected, in order (the first is the URL asked for). */
  redirects: URL[];
  /** Negotiated TLS version and cipher (absent for gopher). */
  tls?: TlsDetails;
  /** The server certificate (absent for gopher). */
  certificate?: CertificateInfo;
  /** Trust verdict for the final connection (absent for gopher). */
  trust?: TrustVerdict;
  /** The trust check of the final connection in full (absent for gopher). */
  trustReport?: TrustReport;
  /** The automatic retries made (absent when the response did not come from `Client.fetch`). */
  retries?: RetryReport;
  /** Name of the identity presented, if any. */
  identity?: string;
  /** Timings; `totalMs` is final once the body is consumed. */
  timing: ResponseTiming;
  /** The body bytes (empty for non-2x). Consume it once, or call `bytes()`/`text()`. */
  body: ReadableStream<Uint8Array>;
  /** The whole body. */
  bytes(): Promise<Uint8Array>;
  /** The whole body decoded with the charset from META (default UTF-8). */
  text(): Promise<string>;
  /**
   * After the body is consumed: `true` if the server ended with TLS close_notify, `false` if
   * the body may be truncated, `undefined` before the end.
   */
  readonly closeNotify: boolean | undefined;
  /** Number of body bytes read so far. */
  readonly bodyBytes: number;
}

/** Why a fetch failed (never a server status: those are responses). */
export type ClientErrorCode =
  | "bad-url"
  | "network"
  | "timeout"
  | "tls"
  | "trust-changed"
  | "certificate-invalid"
  | "bad-header"
  | "too-large"
  | "redirect-loop"
  | "too-many-redirects"
  | "scheme-change"
  | "unsupported-scheme"
  | "insecure-refused"
  | "charset"
  | "identity"
  | "aborted";

/** What was known when a fetch failed: set on a {@linkcode ClientError} by `Client.fetch`. */
export interface FailureContext {
  /** The URL being fetched when it failed. */
  url: URL;
  /** The URLs that redirected before it, in order. */
  redirects: URL[];
  /** The TLS details of the connection to `url`, if one was made. */
  tls?: TlsDetails;
  /** The certificate the server of `url` presented, if a TLS handshake completed. */
  certificate?: CertificateInfo;
  /** The trust check of that connection, if it was made. */
  trust?: TrustReport;
}

/** A failed fetch: `code` says which kind, the message says what to do about it. */
export class ClientError extends Error {
  /** The kind of failure. */
  readonly code: ClientErrorCode;
  /** Where the fetch was when it failed; set by `Client.fetch` (absent elsewhere). */
  context?: FailureContext;
  /** For `trust-changed`: the pin and the presented certificate. */
  readonly change?: CertificateChange;
  /** For `certificate-invalid`: the certificate and why it is invalid. */
  readonly invalid?: InvalidCertificate;

  /** Makes an error of kind `code`. */
  constructor(
    code: ClientErrorCode,
    message: string,
    options: { cause?: unknown; change?: CertificateChange; invalid?: InvalidCertificate } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ClientError";
    this.code = code;
    this.change = options.change;
    this.invalid = options.invalid;
  }
}
