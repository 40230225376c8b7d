/**
 * The `gemini get --json` report: one JSON object per run, the same fields whether the fetch
 * succeeded or not (what is unknown is `null`), described by
 * `schemas/get-output.schema.json`. Also the stable error codes of `get`'s exit status 1.
 *
 * @module
 */

import { DialError } from "../tls/dial.ts";
import type { CertificateInfo } from "../tls/certificate.ts";
import type { TlsDetails } from "../tls/connection.ts";
import type { MediaType } from "../protocol/mime.ts";
import { isRedirect, normalizeStatus, Status } from "../protocol/status.ts";
import { normalizeUrl, resolveUrl } from "../protocol/url.ts";
import { certificateValidity } from "../client/server_certificate.ts";
import {
  ClientError,
  type GeminiResponse,
  type ResponseTiming,
  type TrustReport,
} from "../client/types.ts";
import { UsageError } from "./args.ts";
import { clientErrorMessage } from "./get_hints.ts";

/**
 * Every `error.code` of `gemini get`, with what it means. Exit status 1 always comes with
 * one of these; `usage` goes with exit status 2.
 */
export const GET_ERROR_CODES = {
  usage: "the command line is wrong (exit status 2): an unknown option, a bad value, a URL " +
    "that cannot be sent (over 1024 bytes, userinfo, control characters) or a bad data: URL",
  config: "config.toml cannot be read or has an invalid value",
  url: "a URL cannot be sent: the --input answer makes it longer than 1024 bytes, or a " +
    "proxy URL is not gemini://",
  scheme: "the URL's scheme is not fetched: mailto:, about:, a scheme with no server, or " +
    "http(s) and others without a --proxy for them",
  "insecure-refused": "gopher:// (unencrypted) was not allowed: no --allow-gopher and no " +
    "terminal to ask on",
  dns: "the host name could not be resolved",
  connect: "no connection could be made (refused, unreachable)",
  timeout: "connecting, the TLS handshake, the response header or the body took longer " +
    "than --timeout",
  tls: "the TLS handshake failed (no common version, no or an unreadable certificate)",
  "trust-changed": "the server's key differs from the pinned one and was not accepted " +
    "(--trust-new accepts it); nothing was sent",
  "certificate-invalid": "the server's certificate has expired or is not valid yet " +
    "(--tofu warn goes on); nothing was sent",
  identity: "the key of the identity to present could not be unlocked",
  "invalid-header": "the response header is malformed (not two digits and a space, over " +
    "1029 bytes, not UTF-8), missing, or a redirect to something that is not a URL",
  "redirect-limit": "more redirects than --max-redirects",
  "redirect-loop": "a redirect leads back to a URL already requested",
  "scheme-change": "a redirect to another scheme was not followed (--allow-scheme-change)",
  network: "the connection failed after it was made (reset while reading or writing)",
  "too-large": "the body exceeds --max-size (what came is kept in FILE.part with -o)",
  charset: "a text body's charset is unknown (--raw gets the bytes; --json has them in " +
    "bodyBase64)",
  file: "a local file cannot be read (--upload) or written (-o)",
  internal: "anything else: a bug; please report it with the message",
} as const;

/** A stable error code of `gemini get`. */
export type GetErrorCode = keyof typeof GET_ERROR_CODES;

/** The `trust` field. */
export interface TrustJson {
  /** The verdict; `changed-refused` when a changed key stopped the fetch. */
  verdict: string;
  /** The pin on record before this connection. */
  pinned: {
    pin: "spki" | "cert";
    spkiSha256: string | null;
    certSha256: string | null;
    notAfter: string | null;
    firstSeen: string;
  } | null;
  /** The fingerprints of the certificate the server presented. */
  presented: { spkiSha256: string; certSha256: string } | null;
  /** When the pin in force after this check was first made. */
  firstSeen: string | null;
}

/** The JSON object `gemini get --json` prints; see the README for each field. */
export interface GetReport {
  url: string | null;
  status: number | null;
  handledAs: number | null;
  meta: string | null;
  mediaType: string | null;
  charset: string | null;
  lang: string | null;
  target: string | null;
  redirects: string[];
  tls: { version: string; cipher: string } | null;
  certificate: {
    spkiSha256: string;
    certSha256: string;
    subject: string;
    notBefore: string;
    notAfter: string;
    valid: boolean;
  } | null;
  trust: TrustJson | null;
  retries: { count: number; waitedSeconds: number; stopped: string | null } | null;
  timing: { connectMs: number; tlsMs: number; firstByteMs: number; totalMs: number } | null;
  bodyBytes: number;
  closeNotify: boolean | null;
  body?: string;
  bodyBase64?: string;
  bodyOmitted?: "size" | "file" | "error";
  error: { code: GetErrorCode; message: string } | null;
}

/** DNS failures as node:net reports them. */
const DNS_CODES = /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EAI_NODATA)$/;

/** The first {@linkcode ClientError} in `error`'s chain of causes, if any. */
function clientErrorIn(error: unknown): ClientError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ClientError) return e;
  }
  return undefined;
}

/**
 * The stable error code for `error` (what made `get` exit with 1, or 2 for `usage`).
 *
 * @example
 * ```ts
 * import { errorCode } from "./get_report.ts";
 * import { ClientError } from "../client/types.ts";
 * import assert from "node:assert";
 * assert.equal(errorCode(new ClientError("too-many-redirects", "More than 5")), "redirect-limit");
 * assert.equal(errorCode(new Deno.errors.PermissionDenied("no")), "file");
 * ```
 */
export function errorCode(error: unknown): GetErrorCode {
  if (error instanceof UsageError) return "usage";
  const client = clientErrorIn(error);
  if (client) {
    switch (client.code) {
      case "bad-url":
        return "url";
      case "network": {
        const cause = client.cause as { code?: unknown; message?: unknown } | undefined;
        const code = typeof cause?.code === "string" ? cause.code : "";
        if (DNS_CODES.test(code) || /getaddrinfo/.test(String(cause?.message ?? ""))) {
          return "dns";
        }
        if (cause instanceof DialError || client.message.startsWith("Cannot connect")) {
          return "connect";
        }
        return "network";
      }
      case "bad-header":
        return "invalid-header";
      case "too-many-redirects":
        return "redirect-limit";
      case "unsupported-scheme":
        return "scheme";
      case "aborted":
        return "internal";
      default:
        return client.code;
    }
  }
  // Everything else that can fail in `get` with one of Deno's I/O errors is a local file
  // (the client turns its own into ClientErrors).
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (Object.values(Deno.errors).some((kind) => e instanceof kind)) return "file";
  }
  return "internal";
}

/**
 * The message of `error` for the report and stderr: a client error's message with the
 * advice of `get` for its code (the flag that changes the outcome, see `get_hints.ts`).
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ClientError) return clientErrorMessage(error);
  return error instanceof Error ? error.message : String(error);
}

/**
 * The charset the text of a body is decoded with: the `charset` parameter (lower case) or
 * `utf-8` for a text type without one; `null` for other types and for a charset that
 * cannot be decoded.
 *
 * @example
 * ```ts
 * import { effectiveCharset } from "./get_report.ts";
 * import { parseMediaType } from "../protocol/mime.ts";
 * import assert from "node:assert";
 * assert.equal(effectiveCharset(parseMediaType("text/gemini")), "utf-8");
 * assert.equal(effectiveCharset(parseMediaType("text/plain; charset=ISO-8859-1")), "iso-8859-1");
 * assert.equal(effectiveCharset(parseMediaType("text/plain; charset=x-klingon")), null);
 * assert.equal(effectiveCharset(parseMediaType("image/png")), null);
 * ```
 */
export function effectiveCharset(mediaType: MediaType | undefined): string | null {
  if (!mediaType) return null;
  const label = mediaType.charset ?? (mediaType.type === "text" ? "utf-8" : undefined);
  if (label === undefined) return null;
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return null;
  }
}

/** The exit status for a final status: 0 for 2x, else the status handled (49 as 40). */
export function exitCodeFor(status: number): number {
  const handled = normalizeStatus(status);
  return handled === Status.Success ? 0 : handled;
}

/** The `certificate` field for `cert`. */
export function certificateJson(cert: CertificateInfo | undefined): GetReport["certificate"] {
  if (!cert) return null;
  return {
    spkiSha256: cert.spkiSha256,
    certSha256: cert.certSha256,
    subject: cert.subject,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    valid: certificateValidity(cert) === "valid",
  };
}

function tlsJson(tls: TlsDetails | undefined): GetReport["tls"] {
  return tls ? { version: tls.version, cipher: tls.cipher } : null;
}

/** The `trust` field for a trust check of a connection that presented `presented`. */
export function trustJson(
  report: TrustReport | undefined,
  presented: CertificateInfo | undefined,
  verdict?: string,
): TrustJson | null {
  if (!report && !verdict) return null;
  const pinned = report?.pinned;
  return {
    verdict: verdict ?? report!.verdict,
    pinned: pinned
      ? {
        pin: pinned.pin,
        spkiSha256: pinned.spkiSha256 || null,
        certSha256: pinned.certSha256 || null,
        notAfter: pinned.notAfter ?? null,
        firstSeen: pinned.firstSeen,
      }
      : null,
    presented: presented
      ? { spkiSha256: presented.spkiSha256, certSha256: presented.certSha256 }
      : null,
    firstSeen: report?.firstSeen ?? null,
  };
}

/** Where a 3x points, as an absolute URL, or `null`. */
function targetOf(url: URL, status: number, meta: string): string | null {
  if (!isRedirect(status)) return null;
  try {
    return normalizeUrl(resolveUrl(url, meta.trim())).href;
  } catch {
    return null;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** An empty report: every field unknown. */
export function emptyReport(url: string | null): GetReport {
  return {
    url,
    status: null,
    handledAs: null,
    meta: null,
    mediaType: null,
    charset: null,
    lang: null,
    target: null,
    redirects: [],
    tls: null,
    certificate: null,
    trust: null,
    retries: null,
    timing: null,
    bodyBytes: 0,
    closeNotify: null,
    error: null,
  };
}

/**
 * What a report is made of: a response's header and connection; `timing` absent for an
 * answer made without a fetch (a `data:` URL) or without timings (a Titan upload).
 */
export type ReportedResponse =
  & Pick<
    GeminiResponse,
    | "url"
    | "status"
    | "meta"
    | "mediaType"
    | "redirects"
    | "tls"
    | "certificate"
    | "trust"
    | "trustReport"
    | "retries"
  >
  & { timing?: ResponseTiming };

/**
 * The report of a response (before its body is read; {@linkcode finishBody} adds that).
 */
export function responseReport(response: ReportedResponse): GetReport {
  const report = emptyReport(response.url.href);
  report.status = response.status;
  report.handledAs = normalizeStatus(response.status);
  report.meta = response.meta;
  report.mediaType = response.mediaType?.essence ?? null;
  report.charset = effectiveCharset(response.mediaType);
  report.lang = response.mediaType?.lang ?? null;
  report.target = targetOf(response.url, response.status, response.meta);
  report.redirects = response.redirects.map((u) => u.href);
  report.tls = tlsJson(response.tls);
  report.certificate = certificateJson(response.certificate);
  report.trust = trustJson(
    response.trustReport ?? (response.trust ? { verdict: response.trust } : undefined),
    response.certificate,
  );
  report.retries = response.retries
    ? {
      count: response.retries.count,
      waitedSeconds: response.retries.waitedSeconds,
      stopped: response.retries.stopped ?? null,
    }
    : null;
  report.timing = response.timing
    ? {
      connectMs: round(response.timing.connectMs),
      tlsMs: round(response.timing.tlsMs),
      firstByteMs: round(response.timing.firstByteMs),
      totalMs: round(response.timing.totalMs),
    }
    : null;
  return report;
}

/** Records in `report` what reading the body of `response` gave. */
export function finishBody(report: GetReport, response: GeminiResponse): void {
  report.bodyBytes = response.bodyBytes;
  report.closeNotify = response.closeNotify ?? null;
  if (report.timing) report.timing.totalMs = round(response.timing.totalMs);
}

/**
 * The report of a run that failed with `error` before there was a response: what the
 * failure knows (the URL, the redirects followed, the certificate and the trust check of
 * the last connection) and `error`. `url` is used when the error does not say.
 */
export function failureReport(error: unknown, url: string | null): GetReport {
  const client = clientErrorIn(error);
  const context = client?.context;
  const report = emptyReport(context?.url.href ?? url);
  if (context) {
    report.redirects = context.redirects.map((u) => u.href);
    report.tls = tlsJson(context.tls);
    report.certificate = certificateJson(context.certificate);
    report.trust = trustJson(context.trust, context.certificate);
  }
  const change = client?.change;
  if (change) {
    report.certificate ??= certificateJson(change.presented);
    report.trust = trustJson(
      { verdict: "changed-once", pinned: change.pinned, firstSeen: change.pinned.firstSeen },
      change.presented,
      "changed-refused",
    );
  }
  if (client?.invalid) report.certificate ??= certificateJson(client.invalid.presented);
  report.error = { code: errorCode(error), message: errorMessage(error) };
  return report;
}

/** `report` as printed: pretty JSON and a newline. */
export function formatReport(report: GetReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}
