/**
 * The stores a {@linkcode Client} uses when none are given: the files in the data directory
 * (`GEMINI_HOME` or the XDG locations).
 *
 * @module
 */

import { openKnownHosts } from "./known_hosts.ts";
import { openIdentityStore } from "./identities.ts";
import type { IdentityStore, KnownHostsStore } from "./types.ts";

/** The known-hosts file store of this process's environment. */
export function _defaultKnownHosts(): KnownHostsStore {
  return openKnownHosts();
}

/** The identity file store of this process's environment. */
export function _defaultIdentities(): IdentityStore {
  return openIdentityStore();
}
