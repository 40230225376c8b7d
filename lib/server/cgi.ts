/**
 * CGI for Gemini: a location maps to executables (a directory of programs, or one
 * program). The program gets the request only through its environment (the variables
 * Jetforce, Molly Brown and gmid set, so their scripts run unchanged), never through
 * arguments or a shell. Its standard output is the response: a header line, then the body,
 * which is streamed to the client. An invalid header, a crash or a timeout answers `42`
 * and logs why; standard error goes to the log. The timeout covers the whole run: then the
 * program's process group, its descendants and (Linux) every process carrying this run's
 * {@linkcode CGI_RUN_VARIABLE} are killed and the response ends, even if some process
 * still holds the output open. A body cut short (timeout, or a program that dies or exits
 * non-zero after its header) makes the body stream fail, so the server ends the connection
 * without TLS close_notify.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { isWithin } from "../files/within.ts";
import { isCgiProgram } from "./cgi_program.ts";
import denoJson from "../../deno.json" with { type: "json" };
import type { CertificateInfo } from "../tls/certificate.ts";
import {
  type BodyHooks,
  type HeaderThenBody,
  IncompleteHeaderError,
  readHeaderThenBody,
} from "../tls/header_body.ts";
import { type ResponseHeader, scanResponseHeader } from "../protocol/response.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { _isNoSuchResource } from "./_lookup.ts";
import { _CgiRun, _OWN_SESSION, _spawnProgram } from "./_cgi_run.ts";
import { _killRunChecked, type _RunKill, _setRunKiller } from "./_process_tree.ts";
import { isSuccess, Status } from "../protocol/status.ts";
import { notFound, temporaryFailure } from "./reply.ts";

/**
 * What ends one CGI run: the PID of the program the server started, whether it leads its
 * own process group, and the run's mark (`variable=value` in the environment of every
 * process of the run).
 */
export type CgiRunKill = _RunKill;

/**
 * Sets how CGI runs are ended (`undefined`: by signals from this thread, the default).
 * `gemini serve` workers, whose Deno `run` permission lists only the CGI programs and so
 * cannot call `Deno.kill`, post the kill to their supervisor, which calls
 * {@linkcode killCgiRun}.
 */
export function setCgiKiller(killer: ((run: CgiRunKill) => void) | undefined): void {
  _setRunKiller(killer);
}

/**
 * Ends a CGI run that a worker of this process started: its program's process group and
 * descendants when the program is a child of this process, and (Linux) the processes
 * carrying the run's mark. Requests that name anything else are ignored.
 */
export function killCgiRun(run: CgiRunKill): void {
  _killRunChecked(run);
}

/** Default `SERVER_SOFTWARE`: `gemini/<version>`. */
export const CGI_SERVER_SOFTWARE = `gemini/${denoJson.version}`;

/** Default `PATH` for CGI programs (the rest of the server's environment is not passed). */
export const CGI_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Options for {@linkcode cgiHandler}. Give exactly one of `root` and `program`. */
export interface CgiOptions {
  /**
   * Directory of CGI programs. The program is the shortest prefix of the request path
   * (below `mount`) that names an executable file; the rest of the path is `PATH_INFO`.
   */
  root?: string;
  /** One program that answers every request under `mount`; the rest of the path is `PATH_INFO`. */
  program?: string;
  /** The URL path prefix this handler is mounted at, e.g. `/cgi-bin`. Default `""` (the root). */
  mount?: string;
  /** Time allowed for the whole run, in ms; then the process group is killed. Default 10000. */
  timeoutMs?: number;
  /** Extra environment variables (e.g. `PATH`, `LANG`); the CGI variables win over these. */
  env?: Record<string, string>;
  /** `SERVER_SOFTWARE`. Default {@linkcode CGI_SERVER_SOFTWARE}. */
  serverSoftware?: string;
  /** `SERVER_PORT`. Default: the port in the request URL, else 1965. */
  serverPort?: number;
  /** `SERVER_NAME`. Default: the request's host. */
  serverName?: string;
  /** Where failures and the programs' standard error go. Default: nowhere. */
  logger?: Logger;
}

/** Where a request landed among the CGI programs. */
export interface CgiTarget {
  /** Absolute path of the program. */
  scriptPath: string;
  /** URL path of the program (`SCRIPT_NAME`). */
  scriptName: string;
  /** The rest of the request path (`PATH_INFO`), `""` when none. */
  pathInfo: string;
  /** The CGI directory, or the program's directory. */
  documentRoot: string;
}

/** Settings that shape the environment besides the request itself. */
export interface CgiEnvironmentOptions {
  /** `SERVER_SOFTWARE`. */
  serverSoftware?: string;
  /** `SERVER_PORT`. */
  serverPort?: number;
  /** `SERVER_NAME`. */
  serverName?: string;
  /** Extra variables, overridden by the CGI ones. */
  env?: Record<string, string>;
}

/**
 * Formats a date as CGI certificate variables do: `YYYY-MM-DDTHH:MM:SSZ`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatCgiTime } from "./cgi.ts";
 * assert.equal(formatCgiTime(new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678))), "2030-01-02T03:04:05Z");
 * ```
 */
export function formatCgiTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function hexToBase64Url(hex: string): string {
  const bytes = hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? [];
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

function commonNameIn(name: string): string | undefined {
  for (const part of name.split(/,\s*/)) if (part.startsWith("CN=")) return part.slice(3);
  return undefined;
}

function certificateVariables(cert: CertificateInfo): Record<string, string> {
  const vars: Record<string, string> = {
    AUTH_TYPE: "Certificate",
    REMOTE_USER: cert.commonName ?? cert.subject,
    TLS_CLIENT_HASH: `SHA256:${cert.certSha256.toUpperCase()}`,
    TLS_CLIENT_HASH_B64: `SHA256:${hexToBase64Url(cert.certSha256)}`,
    TLS_CLIENT_SPKI_HASH: `SHA256:${cert.spkiSha256.toUpperCase()}`,
    TLS_CLIENT_SUBJECT: cert.subject,
    TLS_CLIENT_ISSUER: cert.issuer,
    TLS_CLIENT_NOT_BEFORE: formatCgiTime(cert.notBefore),
    TLS_CLIENT_NOT_AFTER: formatCgiTime(cert.notAfter),
    TLS_CLIENT_SERIAL_NUMBER: cert.serialNumber,
  };
  if (cert.commonName !== undefined) vars.TLS_CLIENT_SUBJECT_CN = cert.commonName;
  const issuerCn = commonNameIn(cert.issuer);
  if (issuerCn !== undefined) vars.TLS_CLIENT_ISSUER_CN = issuerCn;
  return vars;
}

/**
 * Builds the environment of a CGI program for `request` (RFC 3875 names plus the Gemini and
 * TLS ones of Jetforce, Molly Brown and gmid). Nothing else of the server's environment is
 * included except `PATH` (default {@linkcode CGI_DEFAULT_PATH}) and `options.env`.
 * `PATH_TRANSLATED` is set only when `PATH_INFO` mapped into the document root stays inside
 * it; a variable whose value would hold NUL (e.g. `GEMINI_SEARCH_STRING` for `?a%00b`) is
 * left out, since a process environment cannot carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { cgiEnvironment } from "./cgi.ts";
 * const env = cgiEnvironment({
 *   url: new URL("gemini://example.org/cgi/hello/extra?a%20b"),
 *   path: "/cgi/hello/extra",
 *   host: "example.org",
 *   clientCertificate: undefined,
 *   remoteAddress: { hostname: "127.0.0.1", port: 4000 },
 *   requestId: "r1",
 *   signal: new AbortController().signal,
 * }, { scriptPath: "/srv/cgi/hello", scriptName: "/cgi/hello", pathInfo: "/extra", documentRoot: "/srv/cgi" });
 * assert.equal(env.QUERY_STRING, "a%20b");
 * assert.equal(env.PATH_INFO, "/extra");
 * assert.equal(env.PATH_TRANSLATED, "/srv/cgi/extra");
 * assert.equal(env.SERVER_PROTOCOL, "GEMINI");
 * assert.equal(env.AUTH_TYPE, undefined);
 * ```
 */
export function cgiEnvironment(
  request: GeminiRequest,
  target: CgiTarget,
  options: CgiEnvironmentOptions = {},
): Record<string, string> {
  const url = request.url;
  const query = url.search.startsWith("?") ? url.search.slice(1) : "";
  const port = options.serverPort ?? (url.port ? Number(url.port) : 1965);
  const serverName = options.serverName ?? request.host;
  const env: Record<string, string> = {
    PATH: CGI_DEFAULT_PATH,
    ...options.env,
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "GEMINI",
    SERVER_SOFTWARE: options.serverSoftware ?? CGI_SERVER_SOFTWARE,
    SERVER_NAME: serverName,
    SERVER_PORT: String(port),
    HOSTNAME: serverName,
    REQUEST_METHOD: "",
    GEMINI_URL: url.href,
    GEMINI_URL_PATH: request.path,
    GEMINI_DOCUMENT_ROOT: target.documentRoot,
    GEMINI_SCRIPT_FILENAME: target.scriptPath,
    SCRIPT_FILENAME: target.scriptPath,
    SCRIPT_PATH: target.scriptPath,
    SCRIPT_NAME: target.scriptName,
    PATH_INFO: target.pathInfo,
    QUERY_STRING: query,
    REMOTE_ADDR: request.remoteAddress.hostname,
    REMOTE_HOST: request.remoteAddress.hostname,
    REMOTE_PORT: String(request.remoteAddress.port),
    GEMINI_REQUEST_ID: request.requestId,
  };
  // Jetforce and gmid always set these two; "unknown" (deno backend) is left out.
  if (request.tls?.version && request.tls.version !== "unknown") {
    env.TLS_VERSION = request.tls.version;
  }
  if (request.tls?.cipher && request.tls.cipher !== "unknown") env.TLS_CIPHER = request.tls.cipher;
  const translated = translatePath(target);
  if (translated !== undefined) env.PATH_TRANSLATED = translated;
  if (query !== "" && !query.includes("=")) {
    try {
      env.GEMINI_SEARCH_STRING = decodeURIComponent(query);
    } catch {
      // malformed escapes: leave it out, QUERY_STRING has the raw form
    }
  }
  if (request.clientCertificate) {
    Object.assign(env, certificateVariables(request.clientCertificate));
  }
  // A process environment cannot hold NUL (the program could not be started): a variable
  // whose value would (a `%00` in the query, an odd certificate subject) is left out.
  for (const [name, value] of Object.entries(env)) if (value.includes("\0")) delete env[name];
  return env;
}

/**
 * `PATH_TRANSLATED`: `PATH_INFO` mapped into the document root, only when the normalised
 * result stays inside it (`/x/../../etc/passwd` gives none).
 */
function translatePath(target: CgiTarget): string | undefined {
  if (target.pathInfo === "") return undefined;
  const root = resolve(target.documentRoot);
  const translated = resolve(root, "." + target.pathInfo);
  return isWithin(translated, root) ? translated : undefined;
}

/**
 * Finds the program for `path` under `root` (the shortest prefix that is an executable
 * file). Returns `undefined` when there is none (also when a lookup fails with an error
 * that means "no such file", such as a name over 255 bytes); `..` and `.` segments never
 * match, and a program reached through a symbolic link must still lie inside `root`. Other
 * I/O faults throw (the server answers `40`).
 */
export async function resolveCgiTarget(
  root: string,
  mount: string,
  path: string,
): Promise<CgiTarget | undefined> {
  const base = mount.replace(/\/+$/, "");
  if (path !== base && !path.startsWith(base + "/")) return undefined;
  const rest = path.slice(base.length);
  const segments = rest.split("/");
  // segments[0] is "" (rest starts with "/")
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch (error) {
    if (_isNoSuchResource(error)) return undefined;
    throw error;
  }
  let current = realRoot;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === "" || segment === "." || segment === ".." || segment.includes("\0")) {
      return undefined;
    }
    current = join(current, segment);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(current);
    } catch (error) {
      // ENAMETOOLONG, ENOTDIR, ENOENT, EACCES, ELOOP: no such program (51); else a fault (40)
      if (_isNoSuchResource(error)) return undefined;
      throw error;
    }
    if (info.isDirectory) continue;
    if (!isCgiProgram(info)) return undefined;
    const real = await Deno.realPath(current);
    if (!isWithin(real, realRoot)) return undefined;
    const remaining = segments.slice(i + 1);
    return {
      scriptPath: real,
      scriptName: base + "/" + segments.slice(1, i + 1).join("/"),
      pathInfo: remaining.length > 0 ? "/" + remaining.join("/") : "",
      documentRoot: realRoot,
    };
  }
  return undefined;
}
/**
 * The variable that marks every process of one CGI run. Descendants inherit it, also those
 * that leave the program's session and process group (`setsid`, a daemon's double fork) and
 * so escape the group kill; the kill at the deadline finds them by it in /proc (Linux).
 */
export const CGI_RUN_VARIABLE = "GEMINI_CGI_RUN";

/**
 * Runs one CGI program for `request` and turns its output into a reply. The header is
 * checked before anything is sent; the body is streamed. Failures before the header give
 * `42`. After the header, a timeout, a crash or a non-zero exit makes the body stream fail,
 * so the server ends the connection without TLS close_notify and the client can tell the
 * body was cut short.
 */
export async function runCgi(
  request: GeminiRequest,
  target: CgiTarget,
  options: CgiOptions = {},
): Promise<GeminiReply> {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tag = `[${request.requestId}] cgi ${target.scriptPath}`;
  const run = startRun(request, target, options, tag);
  if (!run) return temporaryFailure("CGI error", Status.CgiError);
  const fail = async (why: string): Promise<GeminiReply> => {
    run.kill();
    await run.finish();
    logger.error(`${tag}: ${run.timedOut ? `timed out after ${timeoutMs} ms` : why}`);
    return temporaryFailure(run.timedOut ? "CGI program timed out" : "CGI error", Status.CgiError);
  };
  let head: HeaderThenBody<ResponseHeader>;
  try {
    head = await readHeaderThenBody(run.source, scanResponseHeader, bodyHooks(run, tag, options));
  } catch (error) {
    if (error instanceof IncompleteHeaderError) {
      await run.status;
      const partial = error.received > 0;
      return await fail(partial ? `${run.howItEnded} (incomplete header)` : run.howItEnded);
    }
    return await fail(`invalid response header: ${error instanceof Error ? error.message : error}`);
  }
  const { header, body } = head;
  if (!isSuccess(header.status)) {
    // No body for non-2x: let the program finish on its own (within the deadline).
    run.stdout.cancel().catch(() => {});
    run.finish().then(() => {
      if (run.exited && !run.exited.success) {
        logger.warn(`${tag}: exited with status ${run.exited.code} after its header`);
      }
    });
    return { status: header.status, meta: header.meta };
  }
  return { status: header.status, meta: header.meta, body };
}

/** Starts the program of `target`, or logs why it cannot and returns `undefined`. */
function startRun(
  request: GeminiRequest,
  target: CgiTarget,
  options: CgiOptions,
  tag: string,
): _CgiRun | undefined {
  const logger = options.logger ?? silentLogger;
  const mark = { variable: CGI_RUN_VARIABLE, value: crypto.randomUUID() };
  const env = { ...cgiEnvironment(request, target, options), [mark.variable]: mark.value };
  let child: Deno.ChildProcess;
  try {
    child = _spawnProgram(target.scriptPath, env);
  } catch (error) {
    logger.error(`${tag}: cannot start: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
  return new _CgiRun(
    child,
    {
      ownGroup: _OWN_SESSION,
      mark,
      timeoutMs: options.timeoutMs ?? 10_000,
      signal: request.signal,
    },
    (line) => logger.warn(`${tag}: stderr: ${line}`),
  );
}

/**
 * How the body after the header ends. It fails (so the connection ends without
 * close_notify) when the deadline cut it or the program did not exit with 0; a read error
 * or a cancelled body kills the run.
 */
function bodyHooks(run: _CgiRun, tag: string, options: CgiOptions): BodyHooks {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stop = async (): Promise<void> => {
    run.kill();
    await run.finish();
  };
  return {
    onError: stop,
    onCancel: stop,
    async onEnd(): Promise<void> {
      await run.finish();
      if (run.timedOut) {
        logger.error(`${tag}: timed out after ${timeoutMs} ms while sending its body`);
        throw new Error(`CGI program timed out after ${timeoutMs} ms`);
      }
      const exited = run.exited;
      if (exited && !exited.success) {
        const how = exited.signal
          ? `was killed by ${exited.signal}`
          : `exited with status ${exited.code}`;
        logger.warn(`${tag}: ${how} after its header; the body is cut short`);
        throw new Error(`CGI program ${how}`);
      }
    },
  };
}

/**
 * A handler that runs CGI programs: from a directory (`root`) or one `program`. No shell
 * is involved and no request data becomes an argument. Answers `51` when no program
 * matches the path (also for lookup errors such as a name over 255 bytes) and `42` when the
 * program fails; another I/O fault while looking for the program throws (`40`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cgiHandler } from "./cgi.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/hello`, "#!/bin/sh\nprintf '20 text/plain\\r\\nHello'\n");
 * await Deno.chmod(`${root}/hello`, 0o755);
 * const handler = cgiHandler({ root, mount: "/cgi-bin", timeoutMs: 5000 });
 * const request = (url: string) => ({
 *   url: new URL(url), path: new URL(url).pathname, host: new URL(url).hostname,
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "r", signal: new AbortController().signal,
 * });
 * const reply = await handler(request("gemini://h/cgi-bin/hello"));
 * assert.deepEqual([reply.status, reply.meta], [20, "text/plain"]);
 * assert.equal(await new Response(reply.body as ReadableStream<Uint8Array>).text(), "Hello");
 * assert.equal((await handler(request("gemini://h/cgi-bin/missing"))).status, 51);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function cgiHandler(options: CgiOptions): Handler {
  if ((options.root === undefined) === (options.program === undefined)) {
    throw new TypeError("cgiHandler() needs exactly one of `root` and `program`");
  }
  const mount = (options.mount ?? "").replace(/\/+$/, "");
  return async (request: GeminiRequest): Promise<GeminiReply> => {
    let target: CgiTarget | undefined;
    if (options.root !== undefined) {
      target = await resolveCgiTarget(options.root, mount, request.path);
    } else {
      const program = resolve(options.program!);
      if (request.path === mount || request.path.startsWith(mount + "/") || mount === "") {
        target = {
          scriptPath: program,
          scriptName: mount,
          pathInfo: request.path.slice(mount.length),
          documentRoot: dirname(program),
        };
      }
    }
    if (!target) return notFound();
    return await runCgi(request, target, options);
  };
}
