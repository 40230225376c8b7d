/**
 * In-memory known-hosts and identity stores for tests: the same contract as the file
 * stores, no files.
 */

import type {
  ClientOptions,
  Identity,
  IdentityStore,
  KnownHost,
  KnownHostsStore,
} from "../../lib/client/types.ts";
import { hostAndPort } from "../../lib/protocol/url.ts";
import { Client } from "../../lib/client/client.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

/** A known-hosts store in a Map; `puts` counts writes. */
export class MemoryKnownHosts implements KnownHostsStore {
  readonly entries: Map<string, KnownHost> = new Map();
  puts = 0;

  #key(host: string, port: number): string {
    return `${host}:${port}`;
  }

  get(host: string, port: number): Promise<KnownHost | undefined> {
    const entry = this.entries.get(this.#key(host, port));
    return Promise.resolve(entry ? { ...entry } : undefined);
  }

  put(entry: KnownHost): Promise<void> {
    this.puts++;
    this.entries.set(this.#key(entry.host, entry.port), { ...entry });
    return Promise.resolve();
  }

  remove(host: string, port: number): Promise<boolean> {
    return Promise.resolve(this.entries.delete(this.#key(host, port)));
  }

  list(): Promise<KnownHost[]> {
    return Promise.resolve(
      [...this.entries.values()].sort((a, b) =>
        a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1
      ),
    );
  }
}

/** Whether `scope` (`gemini://host[:port]/prefix`) covers `url`, matching whole segments. */
export function memoryScopeCovers(scope: string, url: URL): boolean {
  const s = new URL(scope);
  const a = hostAndPort(s);
  const b = hostAndPort(url);
  if (s.protocol !== url.protocol || a.host !== b.host || a.port !== b.port) return false;
  const prefix = s.pathname.replace(/\/+$/, "");
  const path = url.pathname;
  return prefix === "" || path === prefix || path.startsWith(prefix + "/");
}

/** An identity store in a Map. */
export class MemoryIdentityStore implements IdentityStore {
  readonly identities: Map<string, Identity> = new Map();

  list(): Promise<Identity[]> {
    return Promise.resolve([...this.identities.values()].sort((a, b) => a.name < b.name ? -1 : 1));
  }

  get(name: string): Promise<Identity | undefined> {
    return Promise.resolve(this.identities.get(name));
  }

  add(identity: Identity): Promise<void> {
    if (this.identities.has(identity.name)) {
      return Promise.reject(new Error(`Identity ${identity.name} exists`));
    }
    this.identities.set(identity.name, identity);
    return Promise.resolve();
  }

  update(identity: Identity): Promise<void> {
    this.identities.set(identity.name, identity);
    return Promise.resolve();
  }

  remove(name: string): Promise<boolean> {
    return Promise.resolve(this.identities.delete(name));
  }

  forUrl(url: URL): Promise<Identity | undefined> {
    let best: Identity | undefined;
    let bestLength = -1;
    for (const identity of this.identities.values()) {
      for (const scope of identity.scopes) {
        if (!memoryScopeCovers(scope, url)) continue;
        const length = new URL(scope).pathname.replace(/\/+$/, "").length;
        if (length > bestLength) {
          best = identity;
          bestLength = length;
        }
      }
    }
    return Promise.resolve(best);
  }
}

/** A new identity named `name` with `scopes`. */
export async function makeIdentity(name: string, scopes: string[] = []): Promise<Identity> {
  const { cert, key, info } = await generateCertificate(name);
  return { name, cert, key, encrypted: false, scopes, info, created: new Date().toISOString() };
}

/** A Client with empty in-memory known hosts and identities, plus `options`. */
export function memoryClient(options: ClientOptions = {}): Client {
  return new Client({
    knownHosts: new MemoryKnownHosts(),
    identities: new MemoryIdentityStore(),
    ...options,
  });
}
