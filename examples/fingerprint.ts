/**
 * Connects to a Gemini server and prints its certificate fingerprints before sending
 * anything, which is what a trust-on-first-use client decides on.
 *
 * Run: `deno run -A examples/fingerprint.ts geminiprotocol.net`
 *
 * @module
 */

import { dial, formatFingerprint } from "../lib/tls/mod.ts";

const host = Deno.args[0] ?? "localhost";
const port = Number(Deno.args[1] ?? 1965);
const conn = await dial(host, { port, timeout: 10_000 });
const peer = conn.peerCertificate;
const out = [
  `subject     ${peer.subject}`,
  `valid       ${peer.notBefore.toISOString()} .. ${peer.notAfter.toISOString()}`,
  `key (SPKI)  ${formatFingerprint(peer.spkiSha256)}`,
  `certificate ${formatFingerprint(peer.certSha256)}`,
  `tls         ${conn.tls.version} ${conn.tls.cipher}`,
];
await Deno.stdout.write(new TextEncoder().encode(out.join("\n") + "\n"));
conn.destroy();
