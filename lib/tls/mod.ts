/**
 * TLS for Gemini over `node:tls` (and `Deno.listenTls` for the fastest single-certificate
 * servers): certificates and fingerprints, `dial` that hands back the server certificate
 * before any request byte is written, and `listen` that can ask clients for certificates.
 *
 * @module
 */

export * from "./certificate.ts";
export * from "./connection.ts";
export * from "./deadline.ts";
export * from "./dial.ts";
export * from "./header_body.ts";
export * from "./listen.ts";
