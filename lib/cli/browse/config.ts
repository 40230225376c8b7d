/**
 * The settings of `gemini browse`: the `[browse]` table of `config.toml` (the file whose
 * `[client]` table `gemini get` reads too). An older `browse.toml` beside it, with the same
 * keys at the top level, is still read when `config.toml` has no `[browse]` table.
 *
 * ```toml
 * [browse]
 * max_width = 90
 * downloads = "~/Downloads"
 *
 * [browse.handlers]
 * "image/*" = "feh"
 *
 * [browse.schemes]
 * mailto = "thunderbird -compose"
 * https = ["firefox", "--new-tab"]
 * ```
 *
 * @module
 */

import { readTextIfExists } from "../../files/read.ts";
import { join } from "node:path";
import { formatTomlPath, parseTomlFile, TomlFileError, tomlLine } from "../../files/toml.ts";
import type { Paths } from "../../files/paths.ts";

/** The browser's own settings. */
export interface BrowseConfig {
  /** Readable maximum page width (at least 20). */
  maxWidth?: number;
  /** Downloads folder (`~` is the home directory). */
  downloads?: string;
  /** Opener programs by media type (lower case): `image/png`, `image/*` or `*`. */
  handlers: Record<string, string>;
  /**
   * Programs for links of schemes the browser does not fetch, by scheme (lower case): the
   * program and its arguments; the URL is added as the last argument.
   */
  schemes: Record<string, string[]>;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/**
 * Reads the browser's settings from `table`, a parsed TOML table (`[browse]` of
 * `config.toml`, or the top level of `browse.toml`). `text`, `file` and `name` (the table's
 * name in the file, `""` for the top level) only serve the error messages, which name the
 * file, the line and the key, like those of the client configuration.
 *
 * @example
 * ```ts
 * import { parseBrowseConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const c = parseBrowseConfig({ max_width: 80, handlers: { "Image/*": "feh" } });
 * assert.equal(c.maxWidth, 80);
 * assert.equal(c.handlers["image/*"], "feh");
 * ```
 */
export function parseBrowseConfig(
  table: Record<string, unknown>,
  options: { text?: string; file?: string; name?: string } = {},
): BrowseConfig {
  const { text = "", file = "config.toml", name = "browse" } = options;
  const fail = (t: string, key: string, what: string): never => {
    const path = t === "" ? [key] : [...t.split("."), key];
    throw new TomlFileError(file, tomlLine(text, path), formatTomlPath(path), what);
  };
  const config: BrowseConfig = { handlers: {}, schemes: {} };
  for (const [key, value] of Object.entries(table)) {
    switch (key) {
      case "max_width":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 20) {
          fail(name, key, "expected a whole number of columns >= 20");
        }
        config.maxWidth = value as number;
        break;
      case "downloads":
        if (typeof value !== "string" || value === "") {
          fail(name, key, "expected a folder name");
        }
        config.downloads = value as string;
        break;
      case "handlers": {
        const handlersTable = name === "" ? "handlers" : `${name}.handlers`;
        if (!isTable(value)) fail(name, key, 'expected a table such as { "image/*" = "feh" }');
        for (const [type, program] of Object.entries(value as Record<string, unknown>)) {
          if (!/^([a-z0-9!#$&^_.+-]+\/([a-z0-9!#$&^_.+-]+|\*)|\*)$/i.test(type)) {
            fail(handlersTable, type, "a key must be a media type such as image/png or image/*");
          }
          if (typeof program !== "string" || program.trim() === "") {
            fail(handlersTable, type, "expected the name of a program");
          }
          config.handlers[type.toLowerCase()] = program as string;
        }
        break;
      }
      case "schemes": {
        const schemesTable = name === "" ? "schemes" : `${name}.schemes`;
        if (!isTable(value)) fail(name, key, 'expected a table such as { mailto = "mutt" }');
        for (const [scheme, program] of Object.entries(value as Record<string, unknown>)) {
          config.schemes[scheme.toLowerCase()] = parseProgram(
            program,
            (what) => fail(schemesTable, scheme, what),
            scheme,
          );
        }
        break;
      }
      default:
        fail(name, key, "unknown key (known: max_width, downloads, handlers, schemes)");
    }
  }
  return config;
}

/** A program for a scheme: `"prog arg"` (split at spaces) or `["prog", "arg"]`. */
function parseProgram(value: unknown, fail: (what: string) => never, scheme: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*$/i.test(scheme)) {
    fail("a key must be a URL scheme such as mailto or https");
  }
  if (["gemini", "gopher", "about"].includes(scheme.toLowerCase())) {
    fail("the browser opens this scheme itself");
  }
  if (typeof value === "string" && value.trim() !== "") return value.trim().split(/\s+/);
  if (
    Array.isArray(value) && value.length > 0 &&
    value.every((v) => typeof v === "string" && v !== "")
  ) {
    return value as string[];
  }
  return fail('expected a program such as "mutt" or ["mutt", "-x"]');
}

function readOptional(path: string): Promise<string | undefined> {
  return readTextIfExists(path, { wrapErrors: true });
}

/**
 * Reads the browser's settings: the `[browse]` table of `config.toml`, else the older
 * `browse.toml` in the config directory, else the defaults. Bad values are a `SyntaxError`
 * that names the file, the line and the key.
 *
 * @example
 * ```ts
 * import { loadBrowseConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const paths = { configDir: dir, dataDir: dir, configFile: `${dir}/config.toml` };
 * await Deno.writeTextFile(paths.configFile, "[client]\nretries = 1\n[browse]\nmax_width = 72\n");
 * assert.equal((await loadBrowseConfig(paths)).maxWidth, 72);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadBrowseConfig(paths: Paths): Promise<BrowseConfig> {
  const text = await readOptional(paths.configFile);
  if (text !== undefined) {
    const doc = parseTomlFile(text, paths.configFile);
    if (doc.browse !== undefined) {
      if (!isTable(doc.browse)) {
        throw new TomlFileError(paths.configFile, undefined, "browse", "must be a table");
      }
      return parseBrowseConfig(doc.browse, { text, file: paths.configFile, name: "browse" });
    }
  }
  const legacy = join(paths.configDir, "browse.toml");
  const old = await readOptional(legacy);
  if (old === undefined) return { handlers: {}, schemes: {} };
  return parseBrowseConfig(parseTomlFile(old, legacy), { text: old, file: legacy, name: "" });
}
