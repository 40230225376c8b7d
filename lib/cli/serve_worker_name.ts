/**
 * The name `gemini serve --workers` gives its Web Workers, so that an entry module shared
 * with the CLI (the bundled single file) can tell it runs as one.
 *
 * @module
 */

/** The Web Worker name of a serve worker. */
export const SERVE_WORKER_NAME = "gemini-serve-worker";
