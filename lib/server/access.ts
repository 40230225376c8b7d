/**
 * Client-certificate access control for a location: require a certificate (`60` with a
 * configured prompt), accept only certificates on an allow list of SPKI or whole-certificate
 * SHA-256 fingerprints or issued by a configured CA (`61` otherwise), and refuse
 * certificates outside their validity period or with a bad CA signature (`62`).
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { type CertificateInfo } from "../tls/certificate.ts";
import { normalizeFingerprint } from "../tls/fingerprint.ts";
import { pemToDer } from "../tls/pem.ts";
import type { GeminiReply, GeminiRequest, Handler, Middleware } from "./types.ts";
import { certificateNotAuthorised, certificateNotValid, certificateRequired } from "./reply.ts";

/** Options for {@linkcode accessPolicy}. */
export interface AccessOptions {
  /** META of the `60` answer. Default `Client certificate required`. */
  prompt?: string;
  /**
   * Fingerprints allowed in: SHA-256 of the SubjectPublicKeyInfo or of the whole certificate,
   * in any common spelling (`SHA256:AB:CD...`, plain hex). An empty list lets nobody in.
   * Default: no list (with no `ca` either, any valid certificate is allowed).
   */
  allow?: string[];
  /** PEM text of one or more CA certificates whose issued certificates are allowed in. */
  ca?: string;
  /** META of the `61` answer. Default `Certificate not authorised`. */
  notAuthorizedMessage?: string;
  /** The clock. Default `() => new Date()`. */
  now?: () => Date;
}

/** A compiled access policy. */
export interface AccessPolicy {
  /**
   * Checks a request's certificate: `undefined` when it may go on, otherwise the reply
   * (60, 61 or 62) to send instead.
   */
  check(certificate: CertificateInfo | undefined): GeminiReply | undefined;
  /** How many fingerprints and CA certificates the policy holds (for logs and `--check`). */
  readonly summary: { allow: number; ca: number };
}

interface Ca {
  x509: X509Certificate;
  notBefore: Date;
  notAfter: Date;
}

function loadCas(pem: string | undefined): Ca[] {
  if (!pem) return [];
  const blocks = pemToDer(pem, "CERTIFICATE");
  if (blocks.length === 0) throw new SyntaxError("The CA file holds no PEM certificate");
  return blocks.map((der, i) => {
    try {
      const x509 = new X509Certificate(der);
      return { x509, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
    } catch (error) {
      throw new SyntaxError(`CA certificate ${i + 1} cannot be parsed`, { cause: error });
    }
  });
}

/**
 * Compiles access options into a policy. Throws a `SyntaxError` for a fingerprint that is
 * not 64 hex digits or an unreadable CA certificate.
 *
 * @example
 * ```ts
 * import { accessPolicy } from "./access.ts";
 * import assert from "node:assert/strict";
 * const policy = accessPolicy({ prompt: "Log in with your certificate" });
 * assert.equal(policy.check(undefined)?.status, 60);
 * ```
 */
export function accessPolicy(options: AccessOptions = {}): AccessPolicy {
  const allowed = new Set<string>();
  for (const entry of options.allow ?? []) {
    const hex = normalizeFingerprint(entry);
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new SyntaxError(`Fingerprint ${JSON.stringify(entry)} is not a SHA-256 hex digest`);
    }
    allowed.add(hex);
  }
  const cas = loadCas(options.ca);
  const now = options.now ?? ((): Date => new Date());
  const prompt = options.prompt ?? "Client certificate required";
  const refused = options.notAuthorizedMessage ?? "Certificate not authorised";
  // A list that is given but empty (e.g. an empty allow file) lets nobody in.
  const restricted = options.allow !== undefined || cas.length > 0;

  function check(cert: CertificateInfo | undefined): GeminiReply | undefined {
    if (!cert) return certificateRequired(prompt);
    const date = now();
    if (date < cert.notBefore) return certificateNotValid("Certificate not yet valid");
    if (date > cert.notAfter) return certificateNotValid("Certificate expired");
    if (!restricted) return undefined;
    if (allowed.has(cert.spkiSha256) || allowed.has(cert.certSha256)) return undefined;
    if (cas.length > 0) {
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(cert.pem);
      } catch {
        return certificateNotValid("Certificate cannot be parsed");
      }
      for (const ca of cas) {
        if (!x509.checkIssued(ca.x509)) continue;
        if (!x509.verify(ca.x509.publicKey)) {
          return certificateNotValid("Certificate signature does not verify");
        }
        if (date < ca.notBefore || date > ca.notAfter) {
          return certificateNotValid("Certificate issuer expired or not yet valid");
        }
        return undefined;
      }
    }
    return certificateNotAuthorised(refused);
  }

  return { check, summary: { allow: allowed.size, ca: cas.length } };
}

/**
 * Middleware: lets a request through only when its client certificate passes the policy
 * (options are compiled with {@linkcode accessPolicy}); otherwise answers 60, 61 or 62.
 *
 * @example
 * ```ts
 * import { accessControl } from "./access.ts";
 * import assert from "node:assert/strict";
 * const handler = accessControl({ prompt: "Who are you?" })(() => ({ status: 20, meta: "text/plain", body: "hi" }));
 * const reply = await handler({
 *   url: new URL("gemini://localhost/"), path: "/", host: "localhost", clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 1 }, requestId: "r", signal: new AbortController().signal,
 * });
 * assert.equal(reply.status, 60);
 * assert.equal(reply.meta, "Who are you?");
 * ```
 */
export function accessControl(policy: AccessOptions | AccessPolicy = {}): Middleware {
  const compiled = "check" in policy ? policy : accessPolicy(policy);
  return (next: Handler): Handler => (request: GeminiRequest) =>
    compiled.check(request.clientCertificate) ?? next(request);
}
