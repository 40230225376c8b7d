/**
 * Titan uploads (`titan://host/path;size=N;mime=T;token=S`) into a directory: authorised
 * by token and/or a client-certificate allow list, with a size cap and a MIME allow list.
 * The body is read to exactly `size` bytes under a deadline into a temporary file beside the
 * target, then renamed over it, so an aborted or short upload leaves neither the file nor a
 * partial temporary file. `size=0` deletes the file when deleting is allowed. Success
 * answers `30` to the `gemini://` URL of the resource.
 *
 * @module
 */

import { basename, dirname, join, sep } from "node:path";
import { encodeRequestPath } from "../protocol/request_path.ts";
import { parseTitanUrl, type TitanUrl } from "../protocol/titan.ts";
import { type AccessPolicy, accessPolicy } from "./access.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { type Logger, silentLogger } from "./logger.ts";

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
    return auth.anonymous ? undefined : { status: 61, meta: "Uploads are not allowed here" };
  }
  if (auth.requireBoth) {
    if (!certOk) return certReply;
    if (auth.tokens.length > 0 && !tokenOk) return { status: 59, meta: "Wrong or missing token" };
    return undefined;
  }
  if (tokenOk || certOk) return undefined;
  if (auth.tokens.length > 0 && (token !== undefined || auth.policy === undefined)) {
    return { status: 59, meta: "Wrong or missing token" };
  }
  return certReply ?? { status: 59, meta: "Wrong or missing token" };
}

/**
 * Maps a request's canonical path below `mount` to a file below `root`; `undefined` when
 * it may not be written.
 */
function targetFile(root: string, mount: string, path: string): string | undefined {
  if (path !== mount && !path.startsWith(mount + "/")) return undefined;
  const segments = path.slice(mount.length).split("/").slice(1);
  if (segments.length === 0) return undefined;
  for (const s of segments) {
    // Dot files are never served, so they may not be written either (nor our temp files).
    if (s === "" || s.startsWith(".") || s.includes("\0") || s.includes("\\")) {
      return undefined;
    }
  }
  return join(root, ...segments);
}

async function insideRoot(root: string, dir: string): Promise<boolean> {
  const realRoot = await Deno.realPath(root);
  const real = await Deno.realPath(dir);
  return real === realRoot || real.startsWith(realRoot + sep);
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const aborted = new Promise<"abort">((resolve) => {
    if (signal.aborted) resolve("abort");
    signal.addEventListener("abort", () => resolve("abort"), { once: true });
  });
  try {
    while (received < size) {
      const next = await Promise.race([reader.read(), deadline, aborted]).catch((error) => ({
        error,
      }));
      if (next === "timeout") {
        return {
          ok: false,
          reason: `timed out after ${timeoutMs} ms with ${received} of ${size} bytes`,
          reply: { status: 59, meta: "Upload timed out" },
        };
      }
      if (next === "abort" || "error" in next) {
        return {
          ok: false,
          reason: `connection lost after ${received} of ${size} bytes`,
          reply: { status: 59, meta: "Upload incomplete" },
        };
      }
      if (next.done) {
        return {
          ok: false,
          reason: `body ended after ${received} of ${size} bytes`,
          reply: { status: 59, meta: "Upload incomplete" },
        };
      }
      const chunk = next.value;
      if (received + chunk.length > size) {
        return {
          ok: false,
          reason: `body longer than ${size} bytes`,
          reply: { status: 59, meta: "Body longer than its size parameter" },
        };
      }
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
      received += chunk.length;
    }
    return { ok: true };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A handler for Titan uploads into `options.root`. Requests with another scheme go to
 * `fallback` (default: answer `59`).
 *
 * @example
 * ```ts
 * import { titanHandler } from "./titan.ts";
 * const handler = titanHandler({ root: "/srv/gemini/wiki", mount: "/wiki", tokens: ["s3cret"], maxSize: 65536 });
 * console.assert(typeof handler === "function");
 * ```
 */
export function titanHandler(options: TitanOptions, fallback?: Handler): Handler {
  const mount = (options.mount ?? "").replace(/\/+$/, "");
  const maxSize = options.maxSize ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logger = options.logger ?? silentLogger;
  const auth: Authorisation = {
    policy: options.allow && options.allow.length > 0
      ? accessPolicy({ allow: options.allow, prompt: "Uploading needs a client certificate" })
      : undefined,
    tokens: options.tokens ?? [],
    requireBoth: options.requireBoth ?? false,
    anonymous: options.anonymous ?? false,
  };

  return async (request: GeminiRequest): Promise<GeminiReply> => {
    if (request.url.protocol !== "titan:") {
      return fallback ? await fallback(request) : { status: 59, meta: "Titan request expected" };
    }
    const tag = `[${request.requestId}] titan ${request.url.pathname}`;
    let params: TitanUrl;
    try {
      params = parseTitanUrl(request.url);
    } catch (error) {
      return { status: 59, meta: error instanceof Error ? error.message : "Bad Titan request" };
    }
    const refused = authorise(auth, request, params.token);
    if (refused) {
      logger.warn(`${tag}: refused: ${refused.status} ${refused.meta}`);
      return refused;
    }
    const file = targetFile(options.root, mount, request.path);
    if (!file) return { status: 59, meta: "Cannot upload to this path" };
    const gemini = `gemini://${request.url.host}${encodeRequestPath(request.path)}`;

    if (params.size === 0) {
      if (!options.allowDelete) return { status: 59, meta: "Deleting is not allowed here" };
      try {
        if (!(await insideRoot(options.root, dirname(file)))) {
          return { status: 59, meta: "Cannot upload to this path" };
        }
        await Deno.remove(file);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return { status: 51, meta: "Not found" };
        logger.error(`${tag}: cannot delete: ${error}`);
        return { status: 40, meta: "Cannot delete" };
      }
      logger.info(`${tag}: deleted ${file}`);
      // Like an upload, a delete that succeeds answers 30 to the gemini:// URL of the
      // resource (issue 8); fetching it now answers 51.
      return { status: 30, meta: gemini };
    }
    if (params.size > maxSize) {
      return { status: 59, meta: `Upload too large: ${params.size} bytes, limit ${maxSize}` };
    }
    if (!mimeAllowed(params.mime, options.mimeTypes)) {
      return { status: 59, meta: `Media type ${params.mime} is not accepted here` };
    }
    if (!request.body) return { status: 59, meta: "Upload body missing" };

    const dir = dirname(file);
    try {
      await Deno.mkdir(dir, { recursive: true });
      if (!(await insideRoot(options.root, dir))) {
        return { status: 59, meta: "Cannot upload to this path" };
      }
      if ((await Deno.stat(file).catch(() => undefined))?.isDirectory) {
        return { status: 59, meta: "Cannot upload over a directory" };
      }
    } catch (error) {
      logger.error(`${tag}: cannot prepare ${dir}: ${error}`);
      return { status: 40, meta: "Cannot store the upload" };
    }
    const tmp = join(dir, `.${basename(file)}.${crypto.randomUUID().slice(0, 8)}.titan-tmp`);
    const reader = request.body.getReader();
    let handle: Deno.FsFile | undefined;
    let done = false;
    try {
      handle = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: options.fileMode ?? 0o644,
      });
      const result = await receive(reader, handle, params.size, timeoutMs, request.signal);
      if (!result.ok) {
        logger.warn(`${tag}: ${result.reason}; nothing written`);
        return result.reply;
      }
      await handle.sync();
      handle.close();
      handle = undefined;
      await Deno.rename(tmp, file);
      done = true;
    } catch (error) {
      logger.error(`${tag}: cannot store: ${error}`);
      return { status: 40, meta: "Cannot store the upload" };
    } finally {
      handle?.close();
      if (!done) await Deno.remove(tmp).catch(() => {});
      reader.cancel().catch(() => {});
    }
    logger.info(`${tag}: stored ${params.size} bytes (${params.mime}) in ${file}`);
    return { status: 30, meta: gemini };
  };
}
