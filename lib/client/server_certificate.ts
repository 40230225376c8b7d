/**
 * What the client checks in a server certificate besides its key (which trust on first use
 * pins, see `trust.ts`): the validity period and the names.
 *
 * - **Dates.** A certificate that has expired or is not valid yet is invalid. In `tofu`
 *   mode `strict` the client refuses it before writing the request, unless the
 *   `onInvalidCertificate` hook says to go on; `warn` goes on with a warning; `off` does not
 *   look.
 * - **Names.** A name that does not cover the host is only a warning: trust on first use is
 *   about the key, and self-signed Gemini certificates often name another host of the same
 *   owner. A name covers the host exactly, as a wildcard `*.example.org` for one more label,
 *   as an IP address for an IP literal, or as a parent domain: a certificate for
 *   `example.org` covers `gemini.example.org` (an implicit wildcard, as Lagrange does).
 *
 * @module
 */

import { stripControls } from "../gemtext/controls.ts";
import { isIP } from "node:net";
import type { CertificateInfo } from "../tls/certificate.ts";
import { certificateNames, matchesServerName } from "../tls/certificate_names.ts";
import { ClientError, type ClientHooks, type InvalidCertificate, type TofuMode } from "./types.ts";

/** How many names of a certificate a warning lists. */
const MAX_NAMES_SHOWN = 5;

/** Whether a certificate is inside its validity period. */
export type CertificateValidity = "valid" | "expired" | "not-yet-valid";

/**
 * Where `at` (default now) lies against the validity period of `info`.
 *
 * @example
 * ```ts
 * import { certificateValidity } from "./server_certificate.ts";
 * import assert from "node:assert/strict";
 * const period = { notBefore: new Date("2020-01-01"), notAfter: new Date("2021-01-01") };
 * assert.equal(certificateValidity(period, new Date("2020-06-01")), "valid");
 * assert.equal(certificateValidity(period, new Date("2022-01-01")), "expired");
 * assert.equal(certificateValidity(period, new Date("2019-01-01")), "not-yet-valid");
 * ```
 */
export function certificateValidity(
  info: Pick<CertificateInfo, "notBefore" | "notAfter">,
  at: Date = new Date(),
): CertificateValidity {
  if (at.getTime() < info.notBefore.getTime()) return "not-yet-valid";
  if (at.getTime() > info.notAfter.getTime()) return "expired";
  return "valid";
}

function canonicalHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (isIP(bare) === 6) {
    try {
      return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    } catch {
      return bare;
    }
  }
  return bare;
}

function nameCovers(pattern: string, host: string): boolean {
  const name = canonicalHost(pattern);
  if (name.startsWith("*.")) {
    // As a server picks a certificate by SNI (one label), but not over a top-level name.
    return name.slice(2).includes(".") && matchesServerName(name, host);
  }
  if (name === host) return true;
  // The implicit wildcard: a parent domain covers its subdomains. A bare top-level name
  // (`org`, `localhost`) covers nothing but itself.
  return name.includes(".") && !name.includes("*") && host.endsWith(`.${name}`);
}

/**
 * Whether a name of the certificate covers `host` (a name or IP literal; brackets, case and
 * a final dot do not matter): exactly, as `*.domain` for one label, as a parent domain
 * (`example.org` covers `gemini.example.org` and deeper), or as the same IP address.
 *
 * @example
 * ```ts
 * import { hostMatchesCertificate } from "./server_certificate.ts";
 * import assert from "node:assert/strict";
 * const info = { altNames: ["*.example.org", "192.0.2.1"], commonName: "example.net" };
 * assert.ok(hostMatchesCertificate("gemini.example.org", info));
 * assert.ok(hostMatchesCertificate("capsule.example.net", info));
 * assert.ok(hostMatchesCertificate("192.0.2.1", info));
 * assert.ok(!hostMatchesCertificate("a.b.example.org", info));
 * assert.ok(!hostMatchesCertificate("192.0.2.2", info));
 * ```
 */
export function hostMatchesCertificate(
  host: string,
  info: Pick<CertificateInfo, "altNames" | "commonName">,
): boolean {
  const target = canonicalHost(host);
  const names = certificateNames(info);
  if (isIP(target)) return names.some((n) => isIP(canonicalHost(n)) && canonicalHost(n) === target);
  return names.some((n) => !isIP(canonicalHost(n)) && nameCovers(n, target));
}

function isoSeconds(date: Date): string {
  return Number.isNaN(date.getTime())
    ? "an unknown date"
    : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function target(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The first line that says why a certificate is invalid, with its validity period.
 *
 * @example
 * ```ts
 * import { describeInvalidCertificate } from "./server_certificate.ts";
 * import assert from "node:assert/strict";
 * const line = describeInvalidCertificate({
 *   host: "example.org", port: 1965, reason: "expired", checkedAt: new Date(),
 *   presented: { notBefore: new Date("2020-01-01"), notAfter: new Date("2021-01-01") } as never,
 * });
 * assert.ok(line.includes("example.org:1965 expired on 2021-01-01T00:00:00Z"));
 * ```
 */
export function describeInvalidCertificate(invalid: InvalidCertificate): string {
  const { presented } = invalid;
  const period = `valid from ${isoSeconds(presented.notBefore)} to ${
    isoSeconds(presented.notAfter)
  }`;
  return invalid.reason === "expired"
    ? `The certificate of ${target(invalid.host, invalid.port)} expired on ${
      isoSeconds(presented.notAfter)
    } (${period})`
    : `The certificate of ${target(invalid.host, invalid.port)} is not valid until ${
      isoSeconds(presented.notBefore)
    } (${period})`;
}

/**
 * The message of a `certificate-invalid` error: host and port, the validity dates, and what
 * to do about it (tell the server's operator, or check the clock). How to go on anyway is
 * the application's to say (it names no flag).
 *
 * @example
 * ```ts
 * import { formatInvalidCertificate } from "./server_certificate.ts";
 * import assert from "node:assert";
 * const message = formatInvalidCertificate({
 *   host: "example.org", port: 1965, reason: "not-yet-valid", checkedAt: new Date(),
 *   presented: { notBefore: new Date("2030-01-01"), notAfter: new Date("2031-01-01") } as never,
 * });
 * assert.ok(message.includes("not valid until 2030"));
 * assert.ok(message.includes("Check the clock"));
 * assert.ok(!message.includes("--"));
 * ```
 */
export function formatInvalidCertificate(invalid: InvalidCertificate): string {
  const why = invalid.reason === "expired"
    ? "The server's operator should renew it; tell them."
    : "Check the clock of this computer; if it is right, tell the server's operator.";
  return [
    `${describeInvalidCertificate(invalid)}: it is invalid, and no request was sent.`,
    why,
  ].join("\n");
}

/** Options for {@linkcode checkServerCertificate}. */
export interface ServerCertificateCheckOptions {
  /** Trust mode. Default `strict`. */
  mode?: TofuMode;
  /** `onInvalidCertificate` decides in `strict` mode; `onWarning` hears the rest. */
  hooks?: Pick<ClientHooks, "onInvalidCertificate" | "onWarning">;
  /** The current time. Default now. */
  now?: Date;
}

/** What {@linkcode checkServerCertificate} found. */
export interface ServerCertificateCheck {
  /** Whether the certificate is inside its validity period. */
  validity: CertificateValidity;
  /** Whether one of its names covers the host. */
  nameMatches: boolean;
}

/**
 * Checks the dates and names of `presented`, the certificate of `host`:`port`. Call it after
 * the TLS handshake and before the trust check (so that an invalid certificate refused here
 * is never pinned) and before writing the request. Throws a {@linkcode ClientError}
 * `certificate-invalid` when the certificate is out of its validity period in `strict` mode
 * and nobody chose to go on; warns through `onWarning` about a name that does not cover the
 * host and, in `warn` mode, about the dates. Mode `off` checks nothing (the result is still
 * computed).
 *
 * @example
 * ```ts
 * import { checkServerCertificate } from "./server_certificate.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import assert from "node:assert/strict";
 * const { info } = await generateCertificate("other.example", { altNames: ["other.example"] });
 * const warnings: string[] = [];
 * const found = await checkServerCertificate("127.0.0.1", 1965, info, {
 *   hooks: { onWarning: (m) => void warnings.push(m) },
 * });
 * assert.equal(found.validity, "valid");
 * assert.ok(!found.nameMatches);
 * assert.equal(warnings.length, 1);
 * ```
 */
export async function checkServerCertificate(
  host: string,
  port: number,
  presented: CertificateInfo,
  options: ServerCertificateCheckOptions = {},
): Promise<ServerCertificateCheck> {
  const mode = options.mode ?? "strict";
  const now = options.now ?? new Date();
  const validity = certificateValidity(presented, now);
  const nameMatches = hostMatchesCertificate(host, presented);
  if (mode === "off") return { validity, nameMatches };
  const hooks = options.hooks ?? {};
  if (validity !== "valid") {
    const invalid: InvalidCertificate = {
      host: canonicalHost(host),
      port,
      reason: validity,
      presented,
      checkedAt: now,
    };
    if (mode === "warn") {
      hooks.onWarning?.(`${describeInvalidCertificate(invalid)}; going on`, {
        code: "certificate-invalid",
        invalid,
      });
    } else {
      const decision = await hooks.onInvalidCertificate?.(invalid) ?? "abort";
      if (decision !== "once") {
        throw new ClientError("certificate-invalid", formatInvalidCertificate(invalid), {
          invalid,
        });
      }
    }
  }
  if (!nameMatches) {
    // Names are the server's text: no control characters, and not hundreds of them.
    const names = certificateNames(presented).map((n) => stripControls(n, { replacement: "?" }));
    const shown = names.length > MAX_NAMES_SHOWN
      ? `${names.slice(0, MAX_NAMES_SHOWN).join(", ")} and ${names.length - MAX_NAMES_SHOWN} more`
      : names.join(", ");
    hooks.onWarning?.(
      `The certificate of ${target(canonicalHost(host), port)} is for ${
        names.length > 0 ? shown : "no name at all"
      }, not for ${canonicalHost(host)}; going on, since trust on first use pins the key, ` +
        "not the name",
      { code: "certificate-name" },
    );
  }
  return { validity, nameMatches };
}
