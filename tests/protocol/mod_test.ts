/**
 * The public surface of lib/protocol: every name other layers code against is exported, no
 * internal helper leaks, and the JSDoc examples run and hold (`console.assert` in an example
 * only prints, so the run's output is checked for failed assertions).
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import * as protocol from "../../lib/protocol/mod.ts";
import { fileURLToPath } from "node:url";

const EXPECTED = [
  // url.ts
  "DEFAULT_PORT",
  "DEFAULT_PORTS",
  "MAX_REQUEST_URL_BYTES",
  "UrlError",
  "normalizeUrl",
  "formatRequestLine",
  "withInput",
  "hostAndPort",
  "isIpLiteral",
  "resolveUrl",
  // request_error.ts
  "RequestError",
  "REQUEST_REJECTIONS",
  // request.ts
  "MAX_REQUEST_LINE_BYTES",
  "scanRequestLine",
  "parseRequestLine",
  "checkRequestTarget",
  // request_path.ts
  "decodeRequestPath",
  "canonicalRequestPath",
  "encodeRequestPath",
  // response.ts
  "MAX_META_BYTES",
  "MAX_HEADER_BYTES",
  "ResponseHeaderError",
  "scanResponseHeader",
  "parseResponseHeader",
  "formatResponseHeader",
  "slowDownSeconds",
  // mime.ts
  "parseMediaType",
  "formatMediaType",
  "isTextType",
  "DEFAULT_MEDIA_TYPE",
  // titan.ts
  "parseTitanUrl",
  "formatTitanUrl",
  // gopher.ts
  "parseGopherUrl",
  "formatGopherRequest",
  "parseGopherMenu",
  "gopherMenuToGemtext",
  "gopherTypeToMediaType",
  "gopherItemUrl",
  // status.ts
  "Status",
  "statusClass",
  "normalizeStatus",
];

Deno.test("lib/protocol/mod.ts exports the agreed names", () => {
  const missing = EXPECTED.filter((name) => !(name in protocol));
  assertEquals(missing, []);
});

Deno.test("lib/protocol/mod.ts exports no internal _helpers", () => {
  assertEquals(Object.keys(protocol).filter((name) => name.startsWith("_")), []);
});

Deno.test("lib/protocol doc examples run and their assertions hold", async () => {
  const dir = fileURLToPath(new URL("../../lib/protocol/", import.meta.url));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "--no-check=remote", dir],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assertEquals(code, 0, output);
  assert(!output.includes("Assertion failed"), output);
  const examples = Number(/ok \| (\d+) passed/.exec(output)?.[1] ?? 0);
  assert(examples >= 30, `expected at least 30 doc examples, ran ${examples}`);
});
