/**
 * Downloads of `gemini browse`: a safe file name for a response, the program that opens a
 * media type, and the body saved to a free name in the downloads folder (through a `.part`
 * file, so a cancelled download leaves nothing behind).
 *
 * @module
 */

import { basename, join } from "node:path";
import mime from "mime-types";
import { saveThroughPart } from "../../files/part_file.ts";

const SAFE_NAME = /[^A-Za-z0-9._ -]+/g;

/** A file name for a download of `url`: the last path segment, cleaned, or `download`. */
export function downloadName(url: string, mediaType: string): string {
  let name = "";
  try {
    const path = new URL(url).pathname;
    name = decodeURIComponent(basename(path));
  } catch {
    // keep the default
  }
  name = name.replace(SAFE_NAME, "_").replace(/^\.+/, "").slice(0, 120);
  // The usual extension of the media type, so that the file opens with the right program.
  const ext = mime.extension(mediaType.split(";")[0].trim().toLowerCase());
  if (name === "") {
    const sub = mediaType.split("/")[1]?.split(/[;+]/)[0]?.replace(SAFE_NAME, "") ?? "";
    name = ext ? `download.${ext}` : sub ? `download.${sub}` : "download";
  } else if (!name.includes(".") && ext && ext !== "bin") name = `${name}.${ext}`;
  return name;
}

/** The handler program for `mediaType` from `handlers` (exact, then `type/*`, then `*`). */
export function handlerFor(
  handlers: Record<string, string>,
  mediaType: string,
): string | undefined {
  const essence = mediaType.split(";")[0].trim().toLowerCase();
  return handlers[essence] ?? handlers[`${essence.split("/")[0]}/*`] ?? handlers["*"];
}

/** `name` in `dir`, or `name-1`, `name-2`... when it is taken. */
async function freePath(dir: string, name: string): Promise<string> {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  for (let i = 0; i < 1000; i++) {
    const candidate = join(dir, i === 0 ? name : `${stem}-${i}${ext}`);
    try {
      await Deno.lstat(candidate);
    } catch {
      return candidate;
    }
  }
  return join(dir, `${stem}-${crypto.randomUUID().slice(0, 8)}${ext}`);
}

/** Options for {@linkcode saveBody}. */
export interface SaveBodyOptions {
  /** The folder (made when missing). */
  dir: string;
  /** The file name wanted; a free variant is used when it is taken. */
  name: string;
  /** Stops the download (the partial file is removed). */
  signal: AbortSignal;
  /** Called with the bytes saved so far, every 64 KiB. */
  onProgress?: (bytes: number) => void;
}

/**
 * Saves `body` as a file in `options.dir`: written to `NAME.part`, renamed when complete,
 * removed when the download fails or is stopped. Returns the path and the size.
 */
export async function saveBody(
  body: ReadableStream<Uint8Array>,
  options: SaveBodyOptions,
): Promise<{ path: string; bytes: number }> {
  await Deno.mkdir(options.dir, { recursive: true });
  const path = await freePath(options.dir, options.name);
  let shown = 0;
  const bytes = await saveThroughPart(body, path, {
    removePartial: true,
    signal: options.signal,
    onChunk: (total) => {
      if (total - shown < 65536) return;
      shown = total;
      options.onProgress?.(total);
    },
  });
  return { path, bytes };
}
