/**
 * Media types by file extension: a built-in table of the common ones, and the full
 * `mime-types` table loaded on first need. The full table (an npm CommonJS package, so
 * Deno's Node compatibility layer with it) adds about 11 MiB to an isolate; a capsule whose
 * files all have common extensions never loads it. Internal to lib/server.
 *
 * @module
 */

/** Common extensions of a capsule, the same types `mime-types` gives them. */
export const _BUILT_IN_MEDIA_TYPES: Readonly<Record<string, string>> = {
  txt: "text/plain",
  text: "text/plain",
  md: "text/markdown",
  markdown: "text/markdown",
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  csv: "text/csv",
  xml: "application/xml",
  ics: "text/calendar",
  vcf: "text/x-vcard",
  js: "text/javascript",
  mjs: "text/javascript",
  json: "application/json",
  atom: "application/atom+xml",
  rss: "application/rss+xml",
  pdf: "application/pdf",
  epub: "application/epub+zip",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  bin: "application/octet-stream",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  ico: "image/vnd.microsoft.icon",
  avif: "image/avif",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  flac: "audio/x-flac",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
  ogv: "video/ogg",
};

let full: ((ext: string) => string | false) | undefined;
let loading: Promise<void> | undefined;

/**
 * The media type of extension `ext` (lower case, no dot) from the built-in table, or the
 * full table once {@linkcode loadMediaTypes} has loaded it; `undefined` when unknown.
 */
export function lookupMediaType(ext: string): string | undefined {
  return Object.hasOwn(_BUILT_IN_MEDIA_TYPES, ext)
    ? _BUILT_IN_MEDIA_TYPES[ext]
    : (full?.(ext) || undefined);
}

/** Whether looking `ext` up needs the full table, which is not loaded yet. */
export function needsFullTable(ext: string): boolean {
  return full === undefined && ext !== "" && !Object.hasOwn(_BUILT_IN_MEDIA_TYPES, ext);
}

/** Loads the full `mime-types` table (once). */
export function loadMediaTypes(): Promise<void> {
  loading ??= import("mime-types").then((mime) => {
    const lookup = (mime.default ?? mime).lookup;
    full = (ext) => lookup(ext);
  });
  return loading;
}
