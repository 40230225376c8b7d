/**
 * `gemini browse [URL]`: an interactive terminal browser. Full screen on a terminal
 * (alternate screen, raw keys, resize-aware); a line mode with `--line`, when `TERM=dumb`,
 * or when standard output is not a terminal. Every trust and identity decision the client
 * cannot make alone is asked in the browser's prompt area.
 *
 * @module
 */

import { join } from "node:path";
import { openIdentityStore } from "../client/identities.ts";
import type { ClientHooks, IdentityStore } from "../client/types.ts";
import { type Paths, resolvePaths } from "../files/paths.ts";
import { displayWidth, shouldUseColor } from "../gemtext/render.ts";
import {
  type CommandSpec,
  formatHelp,
  parseCommand,
  type ParsedValues,
  UsageError,
} from "./args.ts";
import { Browser, type BrowserOptions, type Fetcher } from "./browse/browser.ts";
import { makeClientFetcher } from "./browse/client_fetcher.ts";
import { LinePrinter, runLineMode } from "./browse/line_mode.ts";
import { cursorPosition, initialState, KEYS, PROMPT_KEYS, view } from "./browse/model.ts";
import { BrowseStore } from "./browse/store.ts";
import { type BrowseConfig, loadBrowseConfig } from "./browse/config.ts";
import { SessionIdentities } from "./browse/session_identities.ts";
import { FullScreen, osc52 } from "./browse/terminal.ts";
import type { CliIo } from "./io.ts";

const SPEC = {
  name: "gemini browse",
  usage: ["gemini browse [options] [URL]"],
  summary: "Read Gemini space in an interactive terminal browser. Without a URL it opens the " +
    "page of the last session (or the help page).",
  options: {
    line: {
      type: "boolean",
      description: "Line mode: print pages and read commands (also with TERM=dumb or no TTY)",
    },
    width: {
      type: "string",
      value: "N",
      description: "Readable maximum page width in columns (default: config, else 100)",
    },
    downloads: {
      type: "string",
      value: "DIR",
      description: "Folder for saved files (default: config, else the data dir's downloads/)",
    },
    "no-color": { type: "boolean", description: "No colours (also with NO_COLOR set)" },
  },
  positionals: { max: 1 },
  examples: ["gemini browse gemini://geminiprotocol.net/", "gemini browse --line localhost"],
  footer: [
    "Keys:",
    ...KEYS.map((k) => `  ${k.keys.padEnd(16)} ${k.action}`),
    "",
    "Keys in a prompt:",
    ...PROMPT_KEYS.map((k) => `  ${k.keys.padEnd(22)} ${k.action}`),
    "",
    "Config: the [client] table of config.toml (trust, retries, proxies...) applies as in",
    "gemini get; its [browse] table holds the browser's own settings:",
    "  [browse]",
    "  max_width = 100",
    '  downloads = "~/Downloads"',
    "  [browse.handlers]",
    '  "image/*" = "feh"',
    "  [browse.schemes]",
    '  mailto = "thunderbird -compose"',
    '  https = ["firefox", "--new-tab"]',
    "",
    "Files in the data dir: bookmarks.gmi, history.json, session.json, subscriptions.json,",
    "insecure_hosts.json, downloads/ (with GEMINI_HOME set, else $XDG_DOWNLOAD_DIR).",
  ].join("\n"),
} satisfies CommandSpec;

export { type BrowseConfig, loadBrowseConfig } from "./browse/config.ts";

/** The downloads folder: flag, config, `$GEMINI_HOME` data dir, XDG download dir, data dir. */
export function downloadsDir(
  env: (name: string) => string | undefined,
  dataDir: string,
  configured: string | undefined,
): string {
  const home = env("HOME") ?? "";
  const expand = (p: string): string => p.replace(/^~(?=\/|$)/, home).replace("$HOME", home);
  if (configured) return expand(configured);
  if (env("GEMINI_HOME")) return join(dataDir, "downloads");
  const xdg = env("XDG_DOWNLOAD_DIR");
  if (xdg) return expand(xdg);
  return join(dataDir, "downloads");
}

function systemOpener(): string[] {
  if (Deno.build.os === "darwin") return ["open"];
  if (Deno.build.os === "windows") return ["cmd", "/c", "start", ""];
  return ["xdg-open"];
}

/** Options for {@linkcode main} beyond the arguments (tests swap the network). */
export interface BrowseMainOptions {
  /** Makes the fetcher from the hooks; default: the real client. */
  makeFetcher?: (
    paths: Paths,
    hooks: ClientHooks,
    options: { identities: IdentityStore },
  ) => Promise<Fetcher> | Fetcher;
}

/** What the arguments, the environment and the config decide before the browser starts. */
interface Settings {
  /** Readable maximum page width. */
  maxWidth: number;
  /** Folder for saved files. */
  downloads: string;
  /** Line mode rather than full screen. */
  line: boolean;
  /** ANSI styles in page rows. */
  color: boolean;
  /** The browser's part of config.toml. */
  config: BrowseConfig;
}

/** The settings from the parsed arguments, the environment and config.toml, in that order. */
async function settingsOf(
  values: ParsedValues<typeof SPEC.options>,
  io: CliIo,
  paths: Paths,
): Promise<Settings> {
  const config = await loadBrowseConfig(paths);
  let maxWidth = config.maxWidth ?? 100;
  if (values.width !== undefined) {
    const n = Number(values.width);
    if (!Number.isInteger(n) || n < 20) {
      throw new UsageError(`gemini browse: --width must be a whole number of at least 20`);
    }
    maxWidth = n;
  }
  const downloads = downloadsDir(io.env, paths.dataDir, values.downloads ?? config.downloads);
  const dumb = io.env("TERM") === "dumb";
  const line = values.line || dumb || !io.stdout.isTerminal || !io.stdinIsTerminal;
  const color = !values["no-color"] &&
    shouldUseColor({ isTty: io.stdout.isTerminal && !dumb, NO_COLOR: io.env("NO_COLOR") });
  return { maxWidth, downloads, line, color, config };
}

/**
 * The browser's options both modes share. The fetcher is made once, on the first fetch,
 * with the saved identities plus the transient ones of this session.
 */
function sharedOptions(
  paths: Paths,
  settings: Settings,
  factory: NonNullable<BrowseMainOptions["makeFetcher"]>,
): Omit<BrowserOptions, "copy" | "render" | "state"> {
  const identities = new SessionIdentities(openIdentityStore(paths));
  let fetcher: Fetcher | undefined;
  const makeFetcher = (hooks: ClientHooks): Fetcher => {
    const ready = Promise.resolve(factory(paths, hooks, { identities }));
    ready.catch(() => {});
    return async (url, requestOptions) => {
      fetcher ??= await ready;
      return await fetcher(url, requestOptions);
    };
  };
  return {
    makeFetcher,
    store: new BrowseStore(paths.dataDir),
    identities,
    downloadsDir: settings.downloads,
    handlers: settings.config.handlers,
    schemes: settings.config.schemes,
    opener: systemOpener(),
  };
}

/** Line mode: pages printed once, commands read a line at a time. */
async function runLine(
  io: CliIo,
  shared: Omit<BrowserOptions, "copy" | "render" | "state">,
  settings: Settings,
  startUrl: string | undefined,
): Promise<number> {
  const printer = new LinePrinter();
  const { maxWidth, color } = settings;
  const browser = new Browser({
    ...shared,
    // The URL is printed with the message; a terminal also gets it on its clipboard.
    copy: (text) => {
      if (io.stdout.isTerminal) void io.stdout.write(osc52(text));
    },
    render: printer.render,
    state: initialState({ width: io.columns() ?? 80, height: 1000, maxWidth, color }),
  });
  return await runLineMode(io, browser, printer, startUrl);
}

/** Full screen: the alternate screen, raw keys, redrawn on every change and resize. */
async function runFullScreen(
  shared: Omit<BrowserOptions, "copy" | "render" | "state">,
  settings: Settings,
  startUrl: string | undefined,
): Promise<number> {
  const screen = new FullScreen();
  const browser = new Browser({
    ...shared,
    copy: (text) => screen.draw(osc52(text)),
    render: (state) => screen.render(view(state), state.width, cursorPosition(state), displayWidth),
    state: initialState({ ...screen.size(), maxWidth: settings.maxWidth, color: settings.color }),
  });
  screen.start(() => browser.dispatch({ type: "resize", ...screen.size() }));
  try {
    browser.dispatch({ type: "resize", ...screen.size() });
    await browser.loadStores();
    if (startUrl) browser.open(startUrl);
    else browser.dispatch("?");
    const quit = browser.done.then(() => null);
    while (!browser.quitted) {
      const keys = await Promise.race([screen.keys(), quit]);
      if (keys === null) break;
      for (const key of keys) {
        if (key === "ctrl-l") screen.invalidate();
        if (!browser.quitted) browser.dispatch(key);
      }
    }
    await browser.idle();
  } finally {
    screen.stop();
  }
  return 0;
}

/** Runs `gemini browse` and returns its exit code. */
export async function main(
  args: string[],
  io: CliIo,
  options: BrowseMainOptions = {},
): Promise<number> {
  const { values, positionals } = parseCommand(SPEC, args);
  if (values.help) {
    await io.stdout.write(formatHelp(SPEC));
    return 0;
  }
  const paths = resolvePaths(io.env);
  const settings = await settingsOf(values, io, paths);
  const shared = sharedOptions(paths, settings, options.makeFetcher ?? makeClientFetcher);
  const startUrl = positionals[0] ?? await shared.store.lastUrl();
  if (settings.line) return await runLine(io, shared, settings, startUrl);
  return await runFullScreen(shared, settings, startUrl);
}
