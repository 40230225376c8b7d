/**
 * Links `gemini browse` hands to other programs (mailto, https...): which URLs those are,
 * and starting a program without tying it to the browser.
 *
 * @module
 */

import type { ClientError } from "../../client/types.ts";

/** The scheme of a URL in lower case, without the colon (`""` when there is none). */
export function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase() ?? "";
}

/**
 * Whether a client error means the URL is for another program: a scheme the client does not
 * fetch, or a URL of a scheme other than gemini and gopher that it could not even parse
 * (`mailto:` has no host).
 */
export function isExternal(error: ClientError, url: string): boolean {
  if (error.code === "unsupported-scheme") return true;
  const scheme = schemeOf(url);
  if (scheme === "" || scheme === "gemini" || scheme === "gopher") return false;
  return (error.code as string) === "bad-url" || (error.code as string) === "scheme";
}

/** Starts `command` detached from the browser (no stdio); throws when it cannot start. */
export function spawnDetached(command: string[]): void {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  // Reap it in the background; its exit status does not matter.
  child.status.catch(() => {});
}

/**
 * Starts an opener with `spawn`; `undefined` when it started, else a message that says why it
 * did not and where to set another program (`[browse.schemes]` for a scheme, else
 * `[browse.handlers]`).
 */
export function startOpener(
  spawn: (command: string[]) => void,
  command: string[],
  scheme?: string,
): string | undefined {
  try {
    spawn(command);
    return undefined;
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "not installed"
      : error instanceof Error
      ? error.message
      : String(error);
    const table = scheme ? `[browse.schemes] (${scheme} = "program")` : "[browse.handlers]";
    return `Could not start ${command[0]} (${why}); set a handler in ${table}`;
  }
}
