/**
 * A handler serving files held in memory (the built-in capsule, tests, small apps).
 *
 * @module
 */

import { encodeRequestPath } from "../protocol/request_path.ts";
import { _mediaTypeLoaded, type FileServerOptions } from "./static.ts";
import type { GeminiReply, GeminiRequest, Handler } from "./types.ts";
import { notFound, redirect, success } from "./reply.ts";

/**
 * A handler for `files`, a map from URL path (`/index.gmi`) to content. A directory path
 * ending in `/` serves its `index.gmi`; without the slash it redirects (31).
 *
 * @example
 * ```ts
 * import { memoryServer } from "./memory.ts";
 * import assert from "node:assert/strict";
 * const handler = memoryServer({ "/index.gmi": "# Hi\n" });
 * const reply = await handler({
 *   url: new URL("gemini://localhost/"), path: "/", host: "localhost",
 *   clientCertificate: undefined, remoteAddress: { hostname: "127.0.0.1", port: 1 },
 *   requestId: "x", signal: new AbortController().signal,
 * });
 * assert.equal(reply.status, 20);
 * assert.equal(reply.body, "# Hi\n");
 * ```
 */
export function memoryServer(
  files: Readonly<Record<string, string | Uint8Array>>,
  options: Pick<FileServerOptions, "lang" | "charset" | "defaultMediaType" | "mediaTypes"> = {},
): Handler {
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/") + "/");
  }
  return (request: GeminiRequest): GeminiReply | Promise<GeminiReply> => {
    const path = request.path;
    if (path.split("/").some((s) => s.startsWith("."))) return notFound();
    if (!path.endsWith("/") && dirs.has(path + "/")) {
      return redirect(`${encodeRequestPath(path)}/`, true);
    }
    const name = path.endsWith("/") ? path + "index.gmi" : path;
    const body = files[name];
    if (body === undefined) return notFound();
    const type = _mediaTypeLoaded(name, options);
    return typeof type === "string" ? success(body, type) : type.then((t) => success(body, t));
  };
}
