/**
 * The Gemini wire format as pure functions: status codes, request URLs and request lines,
 * response headers, media types, Titan URL parameters and gopher menus. No I/O.
 *
 * @module
 */

export * from "./status.ts";
