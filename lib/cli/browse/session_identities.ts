/**
 * The identities of one `gemini browse` session: the saved ones of an
 * {@linkcode IdentityStore}, plus transient ones made for this session only. A transient
 * identity is kept in memory and used for its scope until the browser quits, so a capsule
 * that asked once does not ask again on every page; it is never written to disk.
 *
 * @module
 */

import { bestIdentity } from "../../client/identities.ts";
import type { Identity, IdentityStore } from "../../client/types.ts";

/** An identity store that adds in-memory transient identities to a saved one. */
export class SessionIdentities implements IdentityStore {
  #saved: IdentityStore | undefined;
  #transient: Identity[] = [];

  /** Wraps `saved` (none: only transient identities). */
  constructor(saved?: IdentityStore) {
    this.#saved = saved;
  }

  /** Whether saved identities can be listed and created. */
  get persistent(): boolean {
    return this.#saved !== undefined;
  }

  /** Keeps `identity` for this session (it is used for its scopes until quitting). */
  addTransient(identity: Identity): void {
    this.#transient = [identity, ...this.#transient.filter((i) => i.name !== identity.name)];
  }

  /** The transient identities of this session. */
  transient(): Identity[] {
    return [...this.#transient];
  }

  /** The saved identities (transient ones are not listed). */
  async list(): Promise<Identity[]> {
    return this.#saved ? await this.#saved.list() : [];
  }

  /** A saved identity by name. */
  async get(name: string): Promise<Identity | undefined> {
    return this.#transient.find((i) => i.name === name) ?? await this.#saved?.get(name);
  }

  /** Saves a new identity. */
  async add(identity: Identity): Promise<void> {
    if (!this.#saved) throw new Error("No identity store to save identities in");
    await this.#saved.add(identity);
  }

  /** Replaces a saved identity. */
  async update(identity: Identity): Promise<void> {
    if (!this.#saved) throw new Error("No identity store to save identities in");
    await this.#saved.update(identity);
  }

  /** Removes an identity (a transient one is forgotten). */
  async remove(name: string): Promise<boolean> {
    const before = this.#transient.length;
    this.#transient = this.#transient.filter((i) => i.name !== name);
    if (this.#transient.length !== before) return true;
    return this.#saved ? await this.#saved.remove(name) : false;
  }

  /** The identity whose scope covers `url` best, transient or saved (transient on a tie). */
  async forUrl(url: URL): Promise<Identity | undefined> {
    const saved = await this.#saved?.forUrl(url);
    return bestIdentity([...this.#transient, ...(saved ? [saved] : [])], url);
  }
}
