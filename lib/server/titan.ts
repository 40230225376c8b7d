/**
 * Titan uploads (`titan://host/path;size=N;mime=T;token=S`) into a directory: authorised
 * by token and/or a client-certificate allow list, with a size cap and a MIME allow list.
 * The body is read to exactly `size` bytes under a deadline into a temporary file beside the
 * target, then renamed over it, so an aborted or short upload leaves neither the file nor a
 * partial temporary file. `size=0` deletes the file when deleting is allowed. Success
 * answers `30` to the `gemini://` URL of the resource. Missing directories are made one
 * level at a time below the real root, never through a symbolic link that leaves it; a
 * lookup that means "no such file" (a name over 255 bytes, a file used as a directory)
 * answers `51`. The token is never logged.
 *
 * @module
 */

import { join, sep } from "node:path";
import { encodeRequestPath } from "../protocol/request_path.ts";
import { parseTitanUrl, type TitanUrl } from "../protocol/titan.ts";
import { DeadlineError, withDeadline } from "../tls/deadline.ts";
import { type AccessPolicy, accessPolicy } from "./access.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { _isNoSuchResource } from "./_lookup.ts";
import {
  badRequest,
  certificateNotAuthorised,
  notFound,
  redirect,
  temporaryFailure,
} from "./reply.ts";

/** Options for {@linkcode titanHandler}. */
export interface TitanOptions {
  /** Directory the uploads are written into. */
  root: string;
  /** URL path prefix mapped onto `root`, e.g. `/wiki`. Default `""` (the root). */
  mount?: string;
  /** Largest accepted upload in bytes. Default 10 MiB. */
  maxSize?: number;
  /** Accepted media types; `text/*` matches any text type. Default: any type. */
  mimeTypes?: string[];
  /** Accepted tokens. */
  tokens?: string[];
  /** Fingerprints (SPKI or whole certificate SHA-256) of client certificates allowed to upload. */
  allow?: string[];
  /** With both `tokens` and `allow`: require both instead of either. Default `false`. */
  requireBoth?: boolean;
  /** Accept uploads with neither token nor certificate. Default `false`. */
  anonymous?: boolean;
  /** Whether `size=0` deletes the file. Default `false`. */
  allowDelete?: boolean;
  /** Time allowed for receiving the body, in ms. Default 60000. */
  timeoutMs?: number;
  /** Mode of written files. Default `0o644`. */
  fileMode?: number;
  /** Where uploads and failures are logged. */
  logger?: Logger;
}

/** Whether media type `type` is allowed by `patterns` (`text/*` style wildcards allowed). */
export function mimeAllowed(type: string, patterns: string[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  const essence = type.split(";")[0].trim().toLowerCase();
  return patterns.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    if (p === "*/*" || p === essence) return true;
    return p.endsWith("/*") && essence.startsWith(p.slice(0, -1));
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

interface Authorisation {
  policy: AccessPolicy | undefined;
  tokens: string[];
  requireBoth: boolean;
  anonymous: boolean;
}

function authorise(
  auth: Authorisation,
  request: GeminiRequest,
  token: string | undefined,
): GeminiReply | undefined {
  const tokenOk = token !== undefined && auth.tokens.some((t) => safeEqual(t, token));
  const certReply = auth.policy?.check(request.clientCertificate);
  const certOk = auth.policy !== undefined && certReply === undefined;
  if (auth.policy === undefined && auth.tokens.length === 0) {
    return auth.anonymous ? undefined : certificateNotAuthorised("Uploads are not allowed here");
  }
  if (auth.requireBoth) {
    if (!certOk) return certReply;
    if (auth.tokens.length > 0 && !tokenOk) return badRequest("Wrong or missing token");
    return undefined;
  }
  if (tokenOk || certOk) return undefined;
  if (auth.tokens.length > 0 && (token !== undefined || auth.policy === undefined)) {
    return badRequest("Wrong or missing token");
  }
  return certReply ?? badRequest("Wrong or missing token");
}

/**
 * The names of the file's path below `mount` (from the request's canonical path; the last
 * one is the file name); `undefined` when the path may not be written.
 */
function targetSegments(mount: string, path: string): string[] | undefined {
  if (path !== mount && !path.startsWith(mount + "/")) return undefined;
  const segments = path.slice(mount.length).split("/").slice(1);
  if (segments.length === 0) return undefined;
  for (const s of segments) {
    // Dot files are never served, so they may not be written either (nor our temp files).
    if (s === "" || s.startsWith(".") || s.includes("\0") || s.includes("\\")) {
      return undefined;
    }
  }
  return segments;
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root + sep);
}

const NOT_FOUND: GeminiReply = notFound();
const BAD_PATH: GeminiReply = badRequest("Cannot upload to this path");

/** Where the directory of an upload is, or why it cannot be used. */
type Directory = { ok: true; dir: string } | { ok: false; reply: GeminiReply };

/**
 * Walks `segments` (the directories above the file) down from the real path of `root`,
 * one level at a time, and returns the real path of the last one. With `create`, missing
 * directories are made one at a time (never `mkdir -p`, which would follow a symbolic link
 * out of the root before any check). A symbolic link is followed only when its target is a
 * directory inside the root (else `59`); a component that is a file, or a lookup that means
 * "no such resource" (`ENAMETOOLONG`, `ENOTDIR`, `EACCES`, missing without `create`),
 * answers `51`. Other faults throw. Directories made by a walk that then fails are removed.
 */
async function walkDirectory(
  root: string,
  segments: string[],
  create: boolean,
): Promise<Directory> {
  const made: string[] = [];
  let result: Directory | undefined;
  try {
    result = await walk(root, segments, create, made);
    return result;
  } finally {
    if (!result?.ok) {
      for (const dir of made.reverse()) await Deno.remove(dir).catch(() => {});
    }
  }
}

async function walk(
  root: string,
  segments: string[],
  create: boolean,
  made: string[],
): Promise<Directory> {
  if (create) await Deno.mkdir(root, { recursive: true }); // the configured root itself
  const realRoot = await Deno.realPath(root);
  let current = realRoot;
  for (const segment of segments) {
    const next = join(current, segment);
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(next);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        if (_isNoSuchResource(error)) return { ok: false, reply: NOT_FOUND };
        throw error;
      }
    }
    if (info === undefined) {
      if (!create) return { ok: false, reply: NOT_FOUND };
      try {
        await Deno.mkdir(next);
        made.push(next);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) {
          if (_isNoSuchResource(error)) return { ok: false, reply: NOT_FOUND };
          throw error;
        }
        // made by a concurrent upload: look at it again
        info = await Deno.lstat(next);
        if (!info.isDirectory) return { ok: false, reply: NOT_FOUND };
      }
      current = next;
      continue;
    }
    if (info.isSymlink) {
      let real: string;
      try {
        real = await Deno.realPath(next);
      } catch (error) {
        if (_isNoSuchResource(error)) return { ok: false, reply: BAD_PATH };
        throw error;
      }
      if (!isInside(real, realRoot)) return { ok: false, reply: BAD_PATH };
      if (!(await Deno.stat(real)).isDirectory) return { ok: false, reply: NOT_FOUND };
      current = real;
      continue;
    }
    if (!info.isDirectory) return { ok: false, reply: NOT_FOUND };
    current = next;
  }
  return { ok: true, dir: current };
}

/** lstat of the file itself; `undefined` when absent, a reply when it cannot be a file here. */
async function existingFile(path: string): Promise<Deno.FileInfo | undefined | GeminiReply> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (_isNoSuchResource(error)) return NOT_FOUND;
    throw error;
  }
}

type BodyResult = { ok: true } | { ok: false; reason: string; reply: GeminiReply };

async function receive(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  file: Deno.FsFile,
  size: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<BodyResult> {
  let received = 0;
  const deadline = { at: Date.now() + timeoutMs, signal };
  while (received < size) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await withDeadline(reader.read(), deadline);
    } catch (error) {
      if (error instanceof DeadlineError && !(signal.aborted && error === signal.reason)) {
        return {
          ok: false,
          reason: `timed out after ${timeoutMs} ms with ${received} of ${size} bytes`,
          reply: badRequest("Upload timed out"),
        };
      }
      return {
        ok: false,
        reason: `connection lost after ${received} of ${size} bytes`,
        reply: badRequest("Upload incomplete"),
      };
    }
    if (next.done) {
      return {
        ok: false,
        reason: `body ended after ${received} of ${size} bytes`,
        reply: badRequest("Upload incomplete"),
      };
    }
    const chunk = next.value;
    if (received + chunk.length > size) {
      return {
        ok: false,
        reason: `body longer than ${size} bytes`,
        reply: badRequest("Body longer than its size parameter"),
      };
    }
    let written = 0;
    while (written < chunk.length) written += await file.write(chunk.subarray(written));
    received += chunk.length;
  }
  return { ok: true };
}

/**
 * A handler for Titan uploads into `options.root`. Requests with another scheme go to
 * `fallback` (default: answer `59`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { titanHandler } from "./titan.ts";
 * const root = await Deno.makeTempDir();
 * const handler = titanHandler({ root, mount: "/wiki", tokens: ["s3cret"], maxSize: 65536 });
 * const upload = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname.split(";")[0], host: "h",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 *   body: ReadableStream.from([new TextEncoder().encode("# Hi\n")]),
 * });
 * const saved = await handler(upload("titan://h/wiki/a.gmi;size=5;mime=text/gemini;token=s3cret"));
 * assert.equal(saved.status, 30);
 * assert.equal(await Deno.readTextFile(`${root}/a.gmi`), "# Hi\n");
 * const refused = await handler(upload("titan://h/wiki/b.gmi;size=5;token=wrong"));
 * assert.deepEqual(refused, { status: 59, meta: "Wrong or missing token" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function titanHandler(options: TitanOptions, fallback?: Handler): Handler {
  const uploads = new TitanUploads(options);
  return async (request: GeminiRequest): Promise<GeminiReply> => {
    if (request.url.protocol !== "titan:") {
      return fallback ? await fallback(request) : badRequest("Titan request expected");
    }
    return await uploads.handle(request);
  };
}

/** What a Titan request asks for, once it has been checked. */
interface Upload {
  params: TitanUrl;
  /** Names of the path below the mount; the last is the file name. */
  segments: string[];
  /** Where its answer points: the `gemini://` URL of the resource. */
  gemini: string;
  /** The log prefix: request id and canonical path (never the token). */
  tag: string;
}

/**
 * The uploads of one {@linkcode titanHandler}, in stages: check the request (parameters,
 * authorisation, path, size, media type), then delete the file or receive the body into a
 * temporary file and rename it over the target.
 */
class TitanUploads {
  readonly #options: TitanOptions;
  readonly #mount: string;
  readonly #maxSize: number;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #auth: Authorisation;

  constructor(options: TitanOptions) {
    this.#options = options;
    this.#mount = (options.mount ?? "").replace(/\/+$/, "");
    this.#maxSize = options.maxSize ?? 10 * 1024 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#logger = options.logger ?? silentLogger;
    this.#auth = {
      policy: options.allow && options.allow.length > 0
        ? accessPolicy({ allow: options.allow, prompt: "Uploading needs a client certificate" })
        : undefined,
      tokens: options.tokens ?? [],
      requireBoth: options.requireBoth ?? false,
      anonymous: options.anonymous ?? false,
    };
  }

  /** Answers one `titan://` request. */
  async handle(request: GeminiRequest): Promise<GeminiReply> {
    const upload = this.#check(request);
    if ("status" in upload) return upload;
    const { params, segments, gemini, tag } = upload;
    if (params.size === 0) {
      if (!this.#options.allowDelete) return badRequest("Deleting is not allowed here");
      return await this.#remove(segments, tag, gemini);
    }
    const refused = this.#checkBody(params, request);
    if (refused) return refused;
    const file = await this.#prepare(segments, tag);
    if (typeof file !== "string") return file;
    const stored = await this.#store(file, request.body!, params.size, tag, request.signal);
    if (stored) return stored;
    this.#logger.info(`${tag}: stored ${params.size} bytes (${params.mime}) in ${file}`);
    return redirect(gemini);
  }

  /** Stage 1: the parameters, the authorisation and the path; a reply when refused. */
  #check(request: GeminiRequest): Upload | GeminiReply {
    let params: TitanUrl;
    try {
      params = parseTitanUrl(request.url);
    } catch (error) {
      return badRequest(error instanceof Error ? error.message : "Bad Titan request");
    }
    // The tag names the canonical path, without the parameters: the token never reaches a log.
    const tag = `[${request.requestId}] titan ${request.path}`;
    const refused = authorise(this.#auth, request, params.token);
    if (refused) {
      this.#logger.warn(`${tag}: refused: ${refused.status} ${refused.meta}`);
      return refused;
    }
    const segments = targetSegments(this.#mount, request.path);
    if (!segments) return BAD_PATH;
    const gemini = `gemini://${request.url.host}${encodeRequestPath(request.path)}`;
    return { params, segments, gemini, tag };
  }

  /** Stage 2 of an upload: its size, its media type and its body; a reply when refused. */
  #checkBody(params: TitanUrl, request: GeminiRequest): GeminiReply | undefined {
    const maxSize = this.#maxSize;
    if (params.size > maxSize) {
      return badRequest(`Upload too large: ${params.size} bytes, limit ${maxSize}`);
    }
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f\x7f]/.test(params.mime)) {
      return badRequest("Media type holds control characters");
    }
    if (!mimeAllowed(params.mime, this.#options.mimeTypes)) {
      return badRequest(`Media type ${params.mime} is not accepted here`);
    }
    if (!request.body) return badRequest("Upload body missing");
    return undefined;
  }

  /** Stage 3: the target file's directory (made when missing); a reply when it cannot be. */
  async #prepare(segments: string[], tag: string): Promise<string | GeminiReply> {
    try {
      const where = await walkDirectory(this.#options.root, segments.slice(0, -1), true);
      if (!where.ok) return where.reply;
      const file = join(where.dir, segments[segments.length - 1]);
      const existing = await existingFile(file);
      if (existing !== undefined && "status" in existing) return existing;
      if (existing?.isDirectory) return badRequest("Cannot upload over a directory");
      return file;
    } catch (error) {
      this.#logger.error(`${tag}: cannot prepare the directory: ${error}`);
      return temporaryFailure("Cannot store the upload");
    }
  }

  /** Deletes the file of `segments` (which must not lead out of the root). */
  async #remove(segments: string[], tag: string, gemini: string): Promise<GeminiReply> {
    let file: string;
    try {
      const where = await walkDirectory(this.#options.root, segments.slice(0, -1), false);
      if (!where.ok) return where.reply;
      file = join(where.dir, segments[segments.length - 1]);
      await Deno.remove(file);
    } catch (error) {
      if (_isNoSuchResource(error)) return NOT_FOUND;
      this.#logger.error(`${tag}: cannot delete: ${error}`);
      return temporaryFailure("Cannot delete");
    }
    this.#logger.info(`${tag}: deleted ${file}`);
    // Like an upload, a delete that succeeds answers 30 to the gemini:// URL of the
    // resource (issue 8); fetching it now answers 51.
    return redirect(gemini);
  }

  /**
   * Stage 4: receives exactly `size` bytes into a temporary file beside `file`, then renames
   * it over `file`. Returns the failure reply, or `undefined` when the file is stored.
   */
  async #store(
    file: string,
    body: ReadableStream<Uint8Array>,
    size: number,
    tag: string,
    signal: AbortSignal,
  ): Promise<GeminiReply | undefined> {
    // A short name, so that any file name up to the system's limit can be uploaded.
    const tmp = join(file, "..", `.${crypto.randomUUID().slice(0, 12)}.titan-tmp`);
    const reader = body.getReader();
    let handle: Deno.FsFile | undefined;
    let done = false;
    try {
      handle = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: this.#options.fileMode ?? 0o644,
      });
      const result = await receive(reader, handle, size, this.#timeoutMs, signal);
      if (!result.ok) {
        this.#logger.warn(`${tag}: ${result.reason}; nothing written`);
        return result.reply;
      }
      await handle.sync();
      handle.close();
      handle = undefined;
      await Deno.rename(tmp, file);
      done = true;
      return undefined;
    } catch (error) {
      this.#logger.error(`${tag}: cannot store: ${error}`);
      return temporaryFailure("Cannot store the upload");
    } finally {
      handle?.close();
      if (!done) await Deno.remove(tmp).catch(() => {});
      reader.cancel().catch(() => {});
    }
  }
}
