/**
 * Helper process for the concurrency test: adds `count` entries named `PREFIX-N.example` to
 * the known-hosts file given as the first argument.
 */

import { FileKnownHosts } from "../../lib/client/known_hosts.ts";

const [file, prefix, countText] = Deno.args;
const store = new FileKnownHosts(file);
const now = new Date().toISOString();
for (let i = 0; i < Number(countText); i++) {
  await store.put({
    host: `${prefix}-${i}.example`,
    port: 1965,
    pin: "spki",
    spkiSha256: "ab".repeat(32),
    certSha256: "cd".repeat(32),
    notAfter: now,
    firstSeen: now,
    lastSeen: now,
  });
}
