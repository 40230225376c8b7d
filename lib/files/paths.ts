/**
 * Where the toolkit keeps its files. Config lives in `$XDG_CONFIG_HOME/gemini/`, data
 * (known hosts, identities, bookmarks, history, server certificates) in
 * `$XDG_DATA_HOME/gemini/`. Setting `GEMINI_HOME` relocates everything to
 * `$GEMINI_HOME/config` and `$GEMINI_HOME/data` (the tests use this).
 *
 * @module
 */

import { join } from "node:path";

/** The directories and well-known files of the toolkit. */
export interface Paths {
  /** Directory for configuration, e.g. `~/.config/gemini`. */
  configDir: string;
  /** Directory for data, e.g. `~/.local/share/gemini`. */
  dataDir: string;
  /** The client configuration file, `config.toml` in {@linkcode Paths.configDir}. */
  configFile: string;
}

/** Reads one environment variable; `undefined` when unset. */
export type EnvReader = (name: string) => string | undefined;

/**
 * Resolves the toolkit's directories from the environment: `GEMINI_HOME`, then the XDG
 * variables, then the platform defaults under the home directory.
 *
 * @example
 * ```ts
 * import { resolvePaths } from "./paths.ts";
 * import assert from "node:assert/strict";
 * const p = resolvePaths((k) => ({ GEMINI_HOME: "/tmp/g" } as Record<string, string>)[k]);
 * assert.equal(p.dataDir, "/tmp/g/data");
 * ```
 */
export function resolvePaths(env: EnvReader): Paths {
  const home = env("GEMINI_HOME");
  let configDir: string;
  let dataDir: string;
  if (home) {
    configDir = join(home, "config");
    dataDir = join(home, "data");
  } else {
    const user = env("HOME") ?? env("USERPROFILE") ?? ".";
    configDir = join(env("XDG_CONFIG_HOME") || env("APPDATA") || join(user, ".config"), "gemini");
    dataDir = join(
      env("XDG_DATA_HOME") || env("LOCALAPPDATA") || join(user, ".local", "share"),
      "gemini",
    );
  }
  return { configDir, dataDir, configFile: join(configDir, "config.toml") };
}
