/** Starting a server for a test: real TLS on 127.0.0.1, port 0, a throwaway certificate. */

import { localhostCertificate } from "../_helpers/tls_server.ts";
import { type RunningServer, serve, type ServeOptions } from "../../lib/server/server.ts";
import type { Handler } from "../../lib/server/types.ts";

/** A running test server and its port. */
export interface TestGeminiServer {
  /** The server. */
  server: RunningServer;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Shuts it down. */
  stop(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1 with the localhost certificate; request URLs name no port
 * (`publicPort` 1965) unless `options` say otherwise. Rate limits are off unless given.
 */
export async function startServer(
  handler: Handler,
  options: Partial<ServeOptions> = {},
): Promise<TestGeminiServer> {
  const { cert, key } = await localhostCertificate();
  const server = await serve({
    handler,
    certificates: [{ cert, key }],
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    publicPort: 1965,
    limits: { rate: false },
    ...options,
  });
  return { server, port: server.addrs[0].port, stop: () => server.shutdown(2000) };
}
