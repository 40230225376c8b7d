/**
 * The real network for `gemini browse`: a {@linkcode Client} with the known-hosts and identity
 * stores of the data directory and the `[client]` settings of `config.toml`, whose human
 * decisions go to the browser's prompt line.
 *
 * @module
 */

import { Client } from "../../client/client.ts";
import { loadClientConfig } from "../../client/config.ts";
import { openKnownHosts } from "../../client/known_hosts.ts";
import type {
  ClientHooks,
  ClientOptions,
  GeminiResponse,
  IdentityStore,
  RequestOptions,
} from "../../client/types.ts";
import type { Paths } from "../../files/paths.ts";

/** Fetches one URL (the real `Client.fetch`, or a fake in tests). */
export type Fetcher = (url: string, options: RequestOptions) => Promise<GeminiResponse>;

/** Makes the fetcher of the browser from the files in `paths`. */
export async function makeClientFetcher(
  paths: Paths,
  hooks: ClientHooks,
  options: ClientOptions & { identities: IdentityStore },
): Promise<Fetcher> {
  const config = await loadClientConfig(paths);
  const client = new Client({
    ...config,
    knownHosts: openKnownHosts(paths),
    ...options,
    hooks,
  });
  return (url, requestOptions) => client.fetch(url, requestOptions);
}
