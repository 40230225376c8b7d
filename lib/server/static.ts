/**
 * Static files: a handler that maps request paths onto a directory. Media types come from
 * the file extension (`mime-types`, plus `text/gemini` for `.gmi` and `.gemini`) with
 * `charset` and `lang` parameters from the options; directories serve `index.gmi` or a
 * listing; dotfiles are never served; every way of escaping the root (encoded,
 * double-encoded, backslashes, NUL, `%2F`, symlinks) is refused; files up to 64 KiB are
 * sent from one read, larger ones streamed in 64 KiB chunks; a file over the size cap is
 * answered with a failure that names its size and the limit. Path lookups take one lstat
 * per segment below the real root (a realpath only where a symlink is met). A `.meta` file
 * in a directory (Agate's syntax, see meta.ts) sets the media type, adds parameters, or
 * answers a status instead, for files of that directory; it is looked at again at most
 * once a second per directory and read again when it changed.
 *
 * @module
 */

import { join } from "node:path";
import { isWithin } from "../files/within.ts";
import { loadMediaTypes, lookupMediaType, needsFullTable } from "./_media_types.ts";
import { gemtextTitle } from "../gemtext/links.ts";
import { parseGemtext } from "../gemtext/parse.ts";
import { encodeRequestPath } from "../protocol/request_path.ts";
import { formatSize } from "../gemtext/size.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { _isNoSuchResource } from "./_lookup.ts";
import {
  _FileCache,
  fileChunks,
  lstatOrUndefined,
  statOrUndefined,
  wholeFile,
} from "./_file_read.ts";
import type { Logger } from "./logger.ts";
import { type MetaFile, metaMediaType, type MetaRule, metaRuleFor, parseMetaFile } from "./meta.ts";
import { badRequest, notFound, permanentFailure, redirect, success } from "./reply.ts";

/** Options for {@linkcode fileServer}. */
export interface FileServerOptions {
  /** The directory served. */
  root: string;
  /** File names tried in a directory, in order. Default `["index.gmi"]`. */
  index?: string[];
  /** Generate a listing for directories without an index file. Default `false`. */
  listing?: boolean;
  /** `lang` parameter added to `text/gemini` responses (e.g. `en`). Default none. */
  lang?: string;
  /** `charset` parameter added to `text/*` responses. Default none (UTF-8 is implied). */
  charset?: string;
  /** Media type for unknown extensions. Default `application/octet-stream`. */
  defaultMediaType?: string;
  /** Media types by extension (without the dot), overriding the built-in table. */
  mediaTypes?: Record<string, string>;
  /** Largest file served, in bytes. Default 1 GiB. */
  maxFileSize?: number;
  /** Serve symlinks that point outside the root. Default `false`. */
  followSymlinks?: boolean;
  /**
   * Files up to this size are read in one call; larger ones are streamed in chunks of this
   * size. Default: 65536 for the one read, chunks of 262144 (fewer reads and writes per
   * MiB; see bench/RESULTS.md).
   */
  chunkSize?: number;
  /**
   * Bytes of small files (those read whole) kept in memory while unchanged, in a cache of this
   * server's own; 0 turns it off. Default: a cache of 4 MiB shared by every file server of
   * the isolate (files up to 64 KiB). A kept file is served only while its lstat shows the
   * same inode, size, modification and change times, and a file is kept only once it has not
   * changed for 2 s. Replies served from it share their body bytes: a middleware must not
   * change a reply's `Uint8Array` body in place (make a new one).
   */
  cacheBytes?: number;
  /** Read `.meta` files (per-directory metadata). Default `true`. */
  metaFiles?: boolean;
  /** Where `.meta` lines that cannot be used are reported (once per load). Default none. */
  logger?: Logger;
  /**
   * Milliseconds clock deciding when a `.meta` file is looked at again and when a file has
   * settled enough to be cached. Default `Date.now`.
   */
  clock?: () => number;
}

/** How long a directory's `.meta` file is trusted before it is looked at again, ms. */
const META_CHECK_MS = 1000;
/** Bytes of small files that the file servers of an isolate keep in memory by default. */
const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;
/**
 * The cache the file servers of this isolate share unless given their own size: one bound
 * for a server with many hosts and locations, not one per root.
 */
let sharedCache: _FileCache | undefined;
/** Largest `.meta` file read, bytes. */
const MAX_META_SIZE = 65_536;
/** Directories whose `.meta` state is kept (past it the cache starts again). */
const MAX_META_DIRS = 10_000;

/** A directory's `.meta` file as last seen. */
interface MetaState {
  /** When the file was last looked at (Date.now()). */
  checkedAt: number;
  /** What identifies its version: mtime, size and inode; "" when there is none. */
  version: string;
  /** Its rules, when there is a usable file. */
  meta: MetaFile | undefined;
  /** Media types made from its lines: by line number and the type they change. */
  types?: Map<string, string>;
}

const GEMTEXT_EXTENSIONS = new Set(["gmi", "gemini"]);

/**
 * The media type for a file name, with `charset` and `lang` parameters as configured.
 * Common extensions come from a built-in table; the others from the full `mime-types`
 * table once {@linkcode loadMediaTypes} has loaded it (a file server loads it the first
 * time it meets such an extension).
 *
 * @example
 * ```ts
 * import { mediaTypeFor } from "./static.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mediaTypeFor("a.gmi", { lang: "en" }), "text/gemini; lang=en");
 * assert.equal(mediaTypeFor("a.png"), "image/png");
 * assert.equal(mediaTypeFor("a.txt", { charset: "utf-8" }), "text/plain; charset=utf-8");
 * assert.equal(mediaTypeFor("README"), "application/octet-stream");
 * ```
 */
export function mediaTypeFor(
  name: string,
  options: Pick<FileServerOptions, "lang" | "charset" | "defaultMediaType" | "mediaTypes"> = {},
): string {
  const ext = extensionOf(name);
  let type = (ext && options.mediaTypes?.[ext]) ||
    (GEMTEXT_EXTENSIONS.has(ext) ? "text/gemini" : undefined) ||
    (ext ? lookupMediaType(ext) : undefined) ||
    options.defaultMediaType || "application/octet-stream";
  if (type.includes(";")) return type; // an override with its own parameters
  const essence = type.toLowerCase();
  if (essence.startsWith("text/") && options.charset) type += `; charset=${options.charset}`;
  if (essence === "text/gemini" && options.lang) type += `; lang=${options.lang}`;
  return type;
}

/** The lower-case extension of the last name in `name` (a file name or a path), or "". */
function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

/**
 * {@linkcode mediaTypeFor}, loading the full extension table first when nothing else answers
 * for the extension (the options, gemtext, the built-in table): a promise only for that
 * first load. Internal to lib/server.
 */
export function _mediaTypeLoaded(
  name: string,
  options: Pick<FileServerOptions, "lang" | "charset" | "defaultMediaType" | "mediaTypes"> = {},
): string | Promise<string> {
  const ext = extensionOf(name);
  if (ext && !options.mediaTypes?.[ext] && !GEMTEXT_EXTENSIONS.has(ext) && needsFullTable(ext)) {
    return loadMediaTypes().then(() => mediaTypeFor(name, options));
  }
  return mediaTypeFor(name, options);
}

/** Why a path is refused, with the reply to send. */
type Resolved =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; reply: GeminiReply };

const BAD_REQUEST: GeminiReply = badRequest("Bad request: path not allowed");
const NOT_FOUND: GeminiReply = notFound();

/**
 * Splits a request's canonical path (decoded, normalised: `GeminiRequest.path`) into the
 * names to look up below the root, refusing what could name a file outside it or a hidden
 * file: a name may not contain `/`, `\`, NUL or control characters and may not be `.` or
 * `..` (59), nor start with `.` (dotfiles answer 51). The path is never decoded again.
 */
export function _resolveSegments(path: string): Resolved {
  const segments: string[] = [];
  for (const name of path.split("/")) {
    if (name === "") continue;
    // deno-lint-ignore no-control-regex
    if (/[\\\x00-\x1f\x7f]/.test(name) || name === "." || name === "..") {
      return { ok: false, reply: BAD_REQUEST };
    }
    if (name.startsWith(".")) return { ok: false, reply: NOT_FOUND };
    segments.push(name);
  }
  return { ok: true, segments, trailingSlash: path.endsWith("/") };
}

async function titleOf(path: string): Promise<string | undefined> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true });
    const buffer = new Uint8Array(4096);
    const n = await file.read(buffer);
    if (!n) return undefined;
    const text = new TextDecoder().decode(buffer.subarray(0, n));
    const complete = n === buffer.length ? text.slice(0, text.lastIndexOf("\n") + 1) : text;
    return gemtextTitle(parseGemtext(complete));
  } catch {
    return undefined;
  } finally {
    file?.close();
  }
}

/** Options for {@linkcode formatListing}. */
export interface ListingEntry {
  /** File or directory name. */
  name: string;
  /** Whether it is a directory. */
  directory: boolean;
  /** Size in bytes (files). */
  size: number;
  /** Title from a gemtext file's first heading. */
  title?: string;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

/** `text` with every control character (C0, DEL, C1, U+2028, U+2029) shown as U+FFFD. */
function visible(text: string): string {
  return text.replace(CONTROL, "\uFFFD");
}

/**
 * A gemtext directory listing: directories first, then files, each sorted by name; files
 * show their size and, for gemtext, the title from their first heading. A file name can
 * hold any byte but `/` and NUL: in the link text, control characters (newlines included)
 * are shown as U+FFFD, and the link target is percent-encoded, so a name never adds lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatListing } from "./static.ts";
 * const text = formatListing("/docs/", [
 *   { name: "b.gmi", directory: false, size: 2048, title: "Bee" },
 *   { name: "a", directory: true, size: 0 },
 * ]);
 * assert.equal(text, "# Index of /docs/\n\n=> ../ ..\n=> a/ a/\n=> b.gmi Bee (b.gmi, 2.0 KiB)\n");
 * const odd = formatListing("/", [{ name: "x\n=> evil", directory: false, size: 1 }]);
 * assert.equal(odd, "# Index of /\n\n=> x%0A%3D%3E%20evil x\uFFFD=> evil (1 B)\n");
 * ```
 */
export function formatListing(path: string, entries: ListingEntry[]): string {
  const sorted = [...entries].sort((a, b) =>
    a.directory !== b.directory
      ? (a.directory ? -1 : 1)
      : a.name < b.name
      ? -1
      : a.name > b.name
      ? 1
      : 0
  );
  const lines = [`# Index of ${path}`, ""];
  if (path !== "/") lines.push("=> ../ ..");
  for (const e of sorted) {
    const href = encodeURIComponent(e.name) + (e.directory ? "/" : "");
    const name = visible(e.name);
    const title = e.title ? visible(e.title) : undefined;
    if (e.directory) lines.push(`=> ${href} ${name}/`);
    else if (title) lines.push(`=> ${href} ${title} (${name}, ${formatSize(e.size)})`);
    else lines.push(`=> ${href} ${name} (${formatSize(e.size)})`);
  }
  return lines.join("\n") + "\n";
}

/**
 * A handler serving files from `options.root`.
 *
 * @example
 * ```ts
 * import { fileServer } from "./static.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/index.gmi`, "# Home\n");
 * const handler = fileServer({ root: dir });
 * const reply = await handler({
 *   url: new URL("gemini://localhost/"), path: "/", host: "localhost",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "x", signal: new AbortController().signal,
 * });
 * assert.equal(reply.status, 20);
 * assert.equal(reply.meta, "text/gemini");
 * await (reply.body as ReadableStream).cancel?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function fileServer(options: FileServerOptions): Handler {
  const tree = new FileTree(options);
  return (request: GeminiRequest): Promise<GeminiReply> => tree.serve(request.path);
}

/** An entry found under the root: its real path and what it is. */
interface Found {
  path: string;
  info: Deno.FileInfo;
}

/**
 * The files of one {@linkcode fileServer}: looking a request path up under the real root
 * (its real path and info looked up once), then answering with the file, the index file, a
 * listing, a redirect to the directory, or 51.
 */
class FileTree {
  readonly #options: FileServerOptions;
  readonly #index: string[];
  readonly #maxFileSize: number;
  readonly #chunkSize: number;
  readonly #streamChunk: number;
  #realRoot: Promise<string> | undefined;
  #rootEntry: Promise<Found | undefined> | undefined;
  #meta = new Map<string, MetaState>();
  readonly #cache: _FileCache | undefined;

  constructor(options: FileServerOptions) {
    this.#options = options;
    this.#index = options.index ?? ["index.gmi"];
    this.#maxFileSize = options.maxFileSize ?? 1024 ** 3;
    this.#chunkSize = options.chunkSize ?? 65_536;
    this.#streamChunk = options.chunkSize ?? 262_144;
    const own = options.cacheBytes;
    this.#cache = own === undefined
      ? (sharedCache ??= new _FileCache({ maxFileBytes: 65_536, maxBytes: DEFAULT_CACHE_BYTES }))
      : own > 0
      ? new _FileCache({ maxFileBytes: this.#chunkSize, maxBytes: own })
      : undefined;
  }

  /** The reply for the decoded request path `path`. */
  async serve(path: string): Promise<GeminiReply> {
    const resolved = _resolveSegments(path);
    if (!resolved.ok) return resolved.reply;
    const { segments } = resolved;
    let real: string;
    const name = segments.at(-1);
    if (name === undefined) {
      const root = await this.#locate([]);
      if (!root?.info.isDirectory) return NOT_FOUND;
      real = root.path;
    } else {
      const parent = await this.#locate(segments.slice(0, -1));
      if (!parent?.info.isDirectory) return NOT_FOUND;
      const found = await this.#child(parent.path, name);
      if (!found?.info.isDirectory) {
        // A file, or no such name: the directory's .meta may answer for it.
        const rule = this.#metaRule(parent.path, name);
        if (rule?.value.kind === "status") return metaStatus(rule.value);
        if (!found?.info.isFile || resolved.trailingSlash) return NOT_FOUND;
        return this.#file(found.path, name, found.info, rule && [parent.path, rule]);
      }
      if (!resolved.trailingSlash) return redirect(`${encodeRequestPath(path)}/`, true);
      real = found.path;
    }
    for (const index of this.#index) {
      const candidate = await this.#child(real, index);
      if (!candidate?.info.isFile) continue;
      const rule = this.#metaRule(real, index);
      if (rule?.value.kind === "status") return metaStatus(rule.value);
      return this.#file(candidate.path, index, candidate.info, rule && [real, rule]);
    }
    if (this.#options.listing) {
      const urlPath = segments.length === 0 ? "/" : `/${segments.join("/")}/`;
      return await this.#listing(real, urlPath);
    }
    return NOT_FOUND;
  }

  /** The `.meta` rule of directory `dir` (a real path) for its file `name`, if any. */
  #metaRule(dir: string, name: string): MetaRule | undefined {
    const meta = this.#metaOf(dir);
    return meta ? metaRuleFor(meta, name) : undefined;
  }

  /** The media type for a file of `dir` whose extension gives `type` and `rule` matches. */
  #metaType(dir: string, rule: MetaRule, type: string): string {
    if (rule.value.kind === "status") return type;
    const state = this.#meta.get(dir);
    const key = `${rule.line}\0${type}`;
    const known = state?.types?.get(key);
    if (known !== undefined) return known;
    const made = metaMediaType(rule.value, type, this.#options);
    if (state) {
      state.types ??= new Map();
      if (state.types.size < 1024) state.types.set(key, made);
    }
    return made;
  }

  /**
   * The `.meta` file of directory `dir`: cached, looked at again (one lstat) at most once
   * every {@linkcode META_CHECK_MS}, read again when its mtime, size or inode changed.
   */
  #metaOf(dir: string): MetaFile | undefined {
    if (this.#options.metaFiles === false) return undefined;
    const now = (this.#options.clock ?? Date.now)();
    const known = this.#meta.get(dir);
    if (known && now - known.checkedAt < META_CHECK_MS) return known.meta;
    const path = join(dir, ".meta");
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.lstatSync(path);
    } catch (error) {
      if (!_isNoSuchResource(error) && known?.version !== "error") {
        this.#options.logger?.warn(".meta file cannot be read; ignored", {
          file: path,
          reason: (error as Error).message,
        });
      }
      const version = _isNoSuchResource(error) ? "" : "error";
      this.#remember(dir, { checkedAt: now, version, meta: undefined });
      return undefined;
    }
    const version = `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
    if (known && known.version === version) {
      known.checkedAt = now;
      return known.meta;
    }
    const meta = this.#readMeta(path, info);
    this.#remember(dir, { checkedAt: now, version, meta });
    return meta;
  }

  #remember(dir: string, state: MetaState): void {
    if (this.#meta.size >= MAX_META_DIRS && !this.#meta.has(dir)) this.#meta.clear();
    this.#meta.set(dir, state);
  }

  /** Reads and parses a `.meta` file, logging what cannot be used. */
  #readMeta(path: string, info: Deno.FileInfo): MetaFile | undefined {
    const logger = this.#options.logger;
    if (!info.isFile) {
      logger?.warn(".meta is not a regular file; ignored", { file: path });
      return undefined;
    }
    if (info.size > MAX_META_SIZE) {
      logger?.warn(".meta file too large; ignored", { file: path, size: info.size });
      return undefined;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      logger?.warn(".meta file cannot be read; ignored", {
        file: path,
        reason: (error as Error).message,
      });
      return undefined;
    }
    const meta = parseMetaFile(text);
    for (const e of meta.errors) {
      logger?.warn(".meta line ignored", { file: path, line: e.line, reason: e.message });
    }
    return meta;
  }

  /**
   * A file (`info` from its lstat): whole when small (from the cache while it is unchanged),
   * streamed when large, 50 past the limit; its media type from the extension, changed by
   * its `.meta` rule when there is one.
   */
  async #file(
    path: string,
    name: string,
    info: Deno.FileInfo,
    meta?: [string, MetaRule],
  ): Promise<GeminiReply> {
    const size = info.size;
    const max = this.#maxFileSize;
    if (size > max) {
      return permanentFailure(
        `File too large to serve: ${size} bytes (${formatSize(size)}), the limit is ` +
          `${max} bytes (${formatSize(max)})`,
      );
    }
    let type = await _mediaTypeLoaded(name, this.#options);
    if (meta) type = this.#metaType(meta[0], meta[1], type);
    if (size <= this.#chunkSize) {
      const cache = this.#cache && {
        cache: this.#cache,
        now: (this.#options.clock ?? Date.now)(),
      };
      const bytes = wholeFile(path, info, max, cache);
      if (!bytes) return NOT_FOUND;
      return success(bytes, type);
    }
    return success(fileChunks(path, this.#streamChunk, max), type);
  }

  /** The real path of `path` when it is allowed, else undefined. */
  async #allowed(path: string): Promise<string | undefined> {
    this.#realRoot ??= Deno.realPath(this.#options.root);
    const root = await this.#realRoot;
    let real: string;
    try {
      real = await Deno.realPath(path);
    } catch (error) {
      if (_isNoSuchResource(error)) return undefined;
      throw error;
    }
    if (!this.#options.followSymlinks && !isWithin(real, root)) return undefined;
    return real;
  }

  /**
   * `name` inside the directory `dir` (a real path already allowed), with its file info:
   * one lstat instead of a realpath of the whole path, since a name that is not a symlink
   * cannot leave `dir` (names are never `.` or `..`). Symlinks go through `#allowed`.
   */
  async #child(dir: string, name: string): Promise<Found | undefined> {
    const path = join(dir, name);
    const info = lstatOrUndefined(path);
    if (!info) return undefined;
    if (!info.isSymlink) return { path, info };
    const real = await this.#allowed(path);
    if (real === undefined) return undefined;
    const target = await statOrUndefined(real);
    return target ? { path: real, info: target } : undefined;
  }

  /** Walks `segments` down from the real root, one lstat per segment. */
  async #locate(segments: string[]): Promise<Found | undefined> {
    // The root's real path and info are looked up once (a root that disappears later makes
    // every lookup below it fail anyway).
    this.#rootEntry ??= (async () => {
      this.#realRoot ??= Deno.realPath(this.#options.root);
      const root = await this.#realRoot;
      const info = await statOrUndefined(root);
      return info ? { path: root, info } : undefined;
    })();
    let found: Found | undefined;
    try {
      found = await this.#rootEntry;
      if (!found) this.#rootEntry = undefined;
    } catch (error) {
      this.#rootEntry = undefined;
      if (_isNoSuchResource(error)) return undefined;
      throw error;
    }
    for (const segment of segments) {
      if (!found?.info.isDirectory) return undefined;
      found = await this.#child(found.path, segment);
    }
    return found;
  }

  /**
   * A listing of `dir` (no dotfiles, no symlinks that leave the root, no files that its
   * `.meta` answers with a status).
   */
  async #listing(dir: string, urlPath: string): Promise<GeminiReply> {
    const entries: ListingEntry[] = [];
    const meta = this.#metaOf(dir);
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (entry.isSymlink && !(await this.#allowed(full))) continue;
      const info = await statOrUndefined(full);
      if (!info || !(info.isFile || info.isDirectory)) continue;
      if (info.isFile && meta && metaRuleFor(meta, entry.name)?.value.kind === "status") continue;
      const gemtext = info.isFile && GEMTEXT_EXTENSIONS.has(entry.name.split(".").pop() ?? "");
      entries.push({
        name: entry.name,
        directory: info.isDirectory,
        size: info.size,
        title: gemtext ? await titleOf(full) : undefined,
      });
    }
    return success(formatListing(urlPath, entries), mediaTypeFor("index.gmi", this.#options));
  }
}

/** The reply for a `.meta` status line. */
function metaStatus(value: Extract<MetaRule["value"], { kind: "status" }>): GeminiReply {
  return { status: value.status, meta: value.meta };
}

export { formatSize };
