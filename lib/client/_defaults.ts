/**
 * The stores a {@linkcode Client} uses when none are given.
 *
 * @module
 */

import type { Identity, IdentityStore, KnownHost, KnownHostsStore } from "./types.ts";

/** A known-hosts store kept in memory for the life of the process. */
export function _defaultKnownHosts(): KnownHostsStore {
  const entries = new Map<string, KnownHost>();
  const key = (host: string, port: number): string => `${host}\n${port}`;
  return {
    get: (host, port) => Promise.resolve(entries.get(key(host, port))),
    put: (entry) => Promise.resolve(void entries.set(key(entry.host, entry.port), entry)),
    remove: (host, port) => Promise.resolve(entries.delete(key(host, port))),
    list: () =>
      Promise.resolve(
        [...entries.values()].sort((a, b) =>
          a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1
        ),
      ),
  };
}

/** An empty identity store kept in memory. */
export function _defaultIdentities(): IdentityStore {
  const identities = new Map<string, Identity>();
  return {
    list: () => Promise.resolve([...identities.values()].sort((a, b) => a.name < b.name ? -1 : 1)),
    get: (name) => Promise.resolve(identities.get(name)),
    add: (identity) => {
      if (identities.has(identity.name)) {
        return Promise.reject(new Error(`Identity ${identity.name} already exists`));
      }
      identities.set(identity.name, identity);
      return Promise.resolve();
    },
    update: (identity) => Promise.resolve(void identities.set(identity.name, identity)),
    remove: (name) => Promise.resolve(identities.delete(name)),
    forUrl: () => Promise.resolve(undefined),
  };
}
