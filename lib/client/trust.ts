/**
 * Trust on first use: the verdict for a server certificate against the known-hosts store.
 * The pin is the SHA-256 of the SubjectPublicKeyInfo, so a renewed certificate with the same
 * key is no change; a `cert` pin (imported from a client that pins whole certificates) is
 * upgraded to an `spki` pin on the first visit whose certificate matches it.
 *
 * @module
 */

import { type CertificateInfo } from "../tls/certificate.ts";
import { formatFingerprint } from "../tls/fingerprint.ts";
import { pinMatches } from "./known_hosts.ts";
import {
  type CertificateChange,
  ClientError,
  type ClientHooks,
  type KnownHost,
  type KnownHostsStore,
  type TofuMode,
  type TrustDecider,
  type TrustReport,
  type TrustRequest,
  type TrustVerdict,
} from "./types.ts";

/** Options for {@linkcode checkTrust}. */
export interface TrustCheckOptions {
  /** Trust mode. Default `strict`. */
  mode?: TofuMode;
  /** Accept and save a changed key without asking. Default false. */
  trustNew?: boolean;
  /** `onCertificateChange` decides about a change; `onWarning` hears about it in `warn` mode. */
  hooks?: Pick<ClientHooks, "onCertificateChange" | "onWarning">;
  /** The current time. Default now. */
  now?: Date;
}

/** Minimum interval between `lastSeen` updates of an unchanged pin (one minute). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

function entryFor(
  host: string,
  port: number,
  presented: CertificateInfo,
  now: Date,
  firstSeen?: string,
): KnownHost {
  return {
    host,
    port,
    pin: "spki",
    spkiSha256: presented.spkiSha256,
    certSha256: presented.certSha256,
    notAfter: presented.notAfter.toISOString(),
    firstSeen: firstSeen ?? now.toISOString(),
    lastSeen: now.toISOString(),
  };
}

/** The host as the known-hosts store keys it: lower case, IPv6 without brackets. */
function knownHostKey(host: string): string {
  return host.replace(/^\[|\]$/g, "").toLowerCase();
}

/**
 * What changed, line by line: the host and when its pin was made, the pinned fingerprint
 * with its expiry, then the presented key and certificate fingerprints with theirs. The
 * first lines of the `trust-changed` error (all four) and of the `trust-changed` warning of
 * mode `warn` (the first three).
 *
 * @example
 * ```ts
 * import { describeTrustChange } from "./trust.ts";
 * import assert from "node:assert";
 * const lines = describeTrustChange({
 *   host: "example.org", port: 1966,
 *   pinned: { host: "example.org", port: 1966, pin: "spki", spkiSha256: "aa", certSha256: "bb",
 *     notAfter: "2030-01-01T00:00:00.000Z", firstSeen: "2025-02-03T00:00:00.000Z", lastSeen: "" },
 *   presented: { spkiSha256: "cc", certSha256: "dd" } as never,
 * });
 * assert.equal(lines.length, 4);
 * assert.ok(lines[0].startsWith("The certificate of example.org:1966 has changed since it was pinned on 2025-02-03"));
 * assert.equal(lines[1], "  pinned:    key SHA-256 AA (expires 2030-01-01T00:00:00Z)");
 * assert.equal(lines[2], "  presented: key SHA-256 CC");
 * ```
 */
export function describeTrustChange(change: CertificateChange): string[] {
  const { pinned, presented } = change;
  const oldPin = pinned.pin === "spki"
    ? `key SHA-256 ${formatFingerprint(pinned.spkiSha256)}`
    : pinned.certSha256
    ? `certificate SHA-256 ${formatFingerprint(pinned.certSha256)}`
    : `certificate SHA-512 ${formatFingerprint(pinned.certSha512 ?? "")}`;
  const expiry = pinned.notAfter ? pinned.notAfter.replace(/\.\d{3}Z$/, "Z") : "unknown";
  return [
    `The certificate of ${trustChangeTarget(change)} has changed since it was pinned on ${
      pinned.firstSeen.slice(0, 10) || "an earlier visit"
    }: this may be an attack or a new certificate the server's owner installed.`,
    `  pinned:    ${oldPin} (expires ${expiry})`,
    `  presented: key SHA-256 ${formatFingerprint(presented.spkiSha256)}`,
    `             certificate SHA-256 ${formatFingerprint(presented.certSha256)}` +
    ` (expires ${presented.notAfter?.toISOString?.().replace(/\.\d{3}Z$/, "Z") ?? "unknown"})`,
  ];
}

/** The server of a certificate change as messages name it: `host`, or `host:port` off 1965. */
function trustChangeTarget(change: Pick<CertificateChange, "host" | "port">): string {
  return change.port === 1965 ? change.host : `${change.host}:${change.port}`;
}

/**
 * The message of a `trust-changed` error: {@linkcode describeTrustChange} and that nothing
 * was sent. How to accept the new key is the application's to say (it names no flag).
 *
 * @example
 * ```ts
 * import { formatTrustChange } from "./trust.ts";
 * import assert from "node:assert";
 * const message = formatTrustChange({
 *   host: "example.org", port: 1965,
 *   pinned: { host: "example.org", port: 1965, pin: "spki", spkiSha256: "aa", certSha256: "bb",
 *     notAfter: "2030-01-01T00:00:00.000Z", firstSeen: "", lastSeen: "" },
 *   presented: { spkiSha256: "cc", certSha256: "dd" } as never,
 * });
 * assert.ok(message.includes("AA"));
 * assert.ok(message.endsWith("\nNo request was sent."));
 * assert.ok(!message.includes("--"));
 * ```
 */
export function formatTrustChange(change: CertificateChange): string {
  return [...describeTrustChange(change), "No request was sent."].join("\n");
}

/**
 * Checks `presented`, the certificate of `host`:`port`, against `store` and records what
 * trust on first use requires. Returns the verdict, or throws a {@linkcode ClientError}
 * `trust-changed` when the key changed and nobody accepted it. Call it after the TLS
 * handshake and before writing the request.
 *
 * @example
 * ```ts
 * import { checkTrust } from "./trust.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import type { KnownHost } from "./types.ts";
 * import assert from "node:assert";
 * const entries = new Map<string, KnownHost>();
 * const store = {
 *   get: (h: string, p: number) => Promise.resolve(entries.get(`${h}:${p}`)),
 *   put: (e: KnownHost) => Promise.resolve(void entries.set(`${e.host}:${e.port}`, e)),
 *   remove: (h: string, p: number) => Promise.resolve(entries.delete(`${h}:${p}`)),
 *   list: () => Promise.resolve([...entries.values()]),
 * };
 * const { info } = await generateCertificate("example.org");
 * assert.equal(await checkTrust(store, "example.org", 1965, info), "first-use");
 * assert.equal(await checkTrust(store, "example.org", 1965, info), "match");
 * ```
 */
export async function checkTrust(
  store: KnownHostsStore,
  host: string,
  port: number,
  presented: CertificateInfo,
  options: TrustCheckOptions = {},
): Promise<TrustVerdict> {
  return (await assessTrust(store, host, port, presented, options)).verdict;
}

/**
 * {@linkcode checkTrust} with the whole story: the verdict, the pin on record before the
 * check (what `presented` was compared with) and the first-seen date of the pin in force
 * after it.
 */
async function assessTrust(
  store: KnownHostsStore,
  host: string,
  port: number,
  presented: CertificateInfo,
  options: TrustCheckOptions = {},
): Promise<TrustReport> {
  const mode = options.mode ?? "strict";
  if (mode === "off") return { verdict: "unchecked" };
  const key = knownHostKey(host);
  const now = options.now ?? new Date();
  const pinned = await store.get(key, port);
  if (!pinned) {
    const entry = entryFor(key, port, presented, now);
    await store.put(entry);
    return { verdict: "first-use", firstSeen: entry.firstSeen };
  }
  const kept = (verdict: TrustVerdict): TrustReport => ({
    verdict,
    pinned,
    firstSeen: pinned.firstSeen,
  });
  const replaced = async (verdict: TrustVerdict): Promise<TrustReport> => {
    const entry = entryFor(key, port, presented, now);
    await store.put(entry);
    return { verdict, pinned, firstSeen: entry.firstSeen };
  };
  if (pinMatches(pinned, presented)) {
    const stale = now.getTime() - Date.parse(pinned.lastSeen) >= LAST_SEEN_RESOLUTION_MS ||
      Number.isNaN(Date.parse(pinned.lastSeen));
    if (pinned.pin === "cert" || pinned.certSha256 !== presented.certSha256 || stale) {
      await store.put(entryFor(key, port, presented, now, pinned.firstSeen));
    }
    return kept("match");
  }
  if (pinned.notAfter && Date.parse(pinned.notAfter) < now.getTime()) {
    return await replaced("expired-replaced");
  }
  const change: CertificateChange = { host: key, port, pinned, presented };
  if (options.trustNew) return await replaced("changed-accepted");
  if (mode === "warn") {
    options.hooks?.onWarning?.(
      [
        ...describeTrustChange(change).slice(0, 3),
        "Going on (mode warn); the pin was not changed.",
      ].join("\n"),
      { code: "trust-changed", change },
    );
    return kept("changed-warned");
  }
  const decision = await options.hooks?.onCertificateChange?.(change) ?? "abort";
  if (decision === "save") return await replaced("changed-accepted");
  if (decision === "once") return kept("changed-once");
  throw new ClientError("trust-changed", formatTrustChange(change), { change });
}

/**
 * The default trust decision of a `Client`: trust on first use against `store`, as
 * {@linkcode assessTrust} does it, with `options` for every connection.
 *
 * @example
 * ```ts
 * import { tofuTrust } from "./trust.ts";
 * import { generateCertificate } from "../tls/certificate.ts";
 * import type { KnownHost } from "./types.ts";
 * import assert from "node:assert";
 * const entries = new Map<string, KnownHost>();
 * const store = {
 *   get: (h: string, p: number) => Promise.resolve(entries.get(`${h}:${p}`)),
 *   put: (e: KnownHost) => Promise.resolve(void entries.set(`${e.host}:${e.port}`, e)),
 *   remove: (h: string, p: number) => Promise.resolve(entries.delete(`${h}:${p}`)),
 *   list: () => Promise.resolve([...entries.values()]),
 * };
 * const trust = tofuTrust(store);
 * const { info } = await generateCertificate("example.org");
 * const request = { url: new URL("gemini://example.org/"), host: "example.org", port: 1965 };
 * assert.equal((await trust({ ...request, certificate: info })).verdict, "first-use");
 * assert.equal((await trust({ ...request, certificate: info })).verdict, "match");
 * ```
 */
export function tofuTrust(store: KnownHostsStore, options: TrustCheckOptions = {}): TrustDecider {
  return (request: TrustRequest) =>
    assessTrust(store, request.host, request.port, request.certificate, options);
}
