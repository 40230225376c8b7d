/**
 * `gemini get` names the flags; the client library does not. Each test makes the error or
 * warning with the real client (or its real message function) and checks the exact text get
 * shows: the library's message with get's advice for its code, as it read before the advice
 * moved out of the library.
 */

import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { answer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { makeIdentity, memoryClient as client } from "../_helpers/memory_stores.ts";
import { clientErrorMessage, warningMessage } from "../../lib/cli/get_hints.ts";
import { errorMessage } from "../../lib/cli/get_report.ts";
import { encryptKey } from "../../lib/client/identities.ts";
import { localResponse } from "../../lib/client/local_response.ts";
import { describeInvalidCertificate } from "../../lib/client/server_certificate.ts";
import { describeTrustChange, formatTrustChange } from "../../lib/client/trust.ts";
import { ClientError } from "../../lib/client/types.ts";
import { parseMediaType } from "../../lib/protocol/mime.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

/** Every flag or command the library must not name. */
const CLI_WORDS = /--[a-z]|gemini cert|GEMINI_IDENTITY_PASSPHRASE|config\.toml/;

async function clientError(fetch: () => Promise<unknown>): Promise<ClientError> {
  const error = await assertRejects(fetch, ClientError);
  assert(!CLI_WORDS.test(error.message), `the library names a flag: ${error.message}`);
  return error;
}

Deno.test("get_hints: unsupported schemes name --proxy (http(s) with [proxies]); get's own refusals stand alone", async () => {
  const https = await clientError(() => client().fetch("https://example.org/"));
  assertEquals(
    clientErrorMessage(https),
    "https://example.org/ is https, which gemini does not fetch itself; name a Gemini proxy " +
      "for it with --proxy https=gemini://HOST:PORT (or [proxies] in config.toml)",
  );
  const foo = await clientError(() => client().fetch("foo://example.org/x"));
  assertEquals(
    clientErrorMessage(foo),
    "Cannot fetch foo://example.org/x: the foo scheme is not supported (a Gemini proxy for " +
      "it can be named with --proxy foo=gemini://HOST:PORT)",
  );
  const mailto = new ClientError("unsupported-scheme", "mailto:a@b is an e-mail address");
  assertEquals(clientErrorMessage(mailto), "mailto:a@b is an e-mail address");
});

Deno.test("get_hints: gopher refused names --allow-gopher; a missing passphrase names the variable", async () => {
  const gopher = await clientError(() => client().fetch("gopher://127.0.0.1:9/"));
  assertEquals(
    clientErrorMessage(gopher),
    "gopher://127.0.0.1:9/ is gopher, which is not encrypted; allow it with --allow-gopher",
  );
  const plain = await makeIdentity("locked");
  const identity = { ...plain, key: encryptKey(plain.key, "pw"), encrypted: true };
  const locked = await clientError(() => client().fetch("gemini://127.0.0.1:9/", { identity }));
  assertEquals(
    clientErrorMessage(locked),
    'The key of identity "locked" is encrypted and no passphrase was given; set ' +
      "GEMINI_IDENTITY_PASSPHRASE or run on a terminal to be asked",
  );
  const wrong = await clientError(() =>
    client({ hooks: { onPassphrase: () => Promise.resolve("not it") } })
      .fetch("gemini://127.0.0.1:9/", { identity })
  );
  assertEquals(clientErrorMessage(wrong), wrong.message);
});

Deno.test("get_hints: redirect limits, scheme changes, size limits and charsets name their flags", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = new URL(line).pathname;
    if (path === "/away") return answer(conn, "30 gopher://example.org/\r\n");
    if (path === "/big") return answer(conn, "20 application/octet-stream\r\n", "0123456789");
    const n = Number(path.slice(1));
    return answer(conn, `30 /${n + 1}\r\n`);
  }, async (server) => {
    const limit = await clientError(() => client({ maxRedirects: 1 }).fetch(server.url("/0")));
    assertEquals(
      clientErrorMessage(limit),
      `More than 1 redirects (--max-redirects): ${server.url("/0")} -> ${server.url("/1")} -> ` +
        server.url("/2"),
    );
    const away = await clientError(() => client().fetch(server.url("/away")));
    assertEquals(
      clientErrorMessage(away),
      `${server.url("/away")} redirects to gopher://example.org/, another scheme; not ` +
        "followed without --allow-scheme-change",
    );
    const big = await client({ maxBodyBytes: 4 }).fetch(server.url("/big"));
    const tooLarge = await clientError(() => big.bytes());
    assertEquals(
      clientErrorMessage(tooLarge),
      `The body of ${server.url("/big")} exceeds the limit of 4 bytes (--max-size)`,
    );
  });
  const klingon = localResponse({
    url: new URL("gemini://example.org/k"),
    status: 20,
    meta: "text/plain; charset=x-klingon",
    mediaType: parseMediaType("text/plain; charset=x-klingon"),
  });
  const charset = await clientError(() => klingon.text());
  assertEquals(
    clientErrorMessage(charset),
    'Unknown charset "x-klingon" in the media type of gemini://example.org/k; use --raw to ' +
      "get the bytes as sent",
  );
});

Deno.test("get_hints: a refused key change says --trust-new and gemini cert hosts forget HOST[:PORT]", async () => {
  const { info } = await generateCertificate("example.org");
  for (const [port, target] of [[1965, "example.org"], [1966, "example.org:1966"]] as const) {
    const change = {
      host: "example.org",
      port,
      pinned: {
        host: "example.org",
        port,
        pin: "spki" as const,
        spkiSha256: "aa".repeat(32),
        certSha256: "bb".repeat(32),
        firstSeen: "2025-01-01T00:00:00.000Z",
        lastSeen: "2025-01-01T00:00:00.000Z",
      },
      presented: info,
    };
    const error = new ClientError("trust-changed", formatTrustChange(change), { change });
    assertEquals(
      clientErrorMessage(error),
      `${error.message} If you trust the new certificate, run again with --trust-new, or ` +
        `forget the old one with: gemini cert hosts forget ${target}`,
    );
    // The warning of --tofu=warn: the first three lines, then why get went on.
    const warned = warningMessage("(the library's text)", { code: "trust-changed", change });
    assertEquals(warned.split("\n"), [
      ...describeTrustChange(change).slice(0, 3),
      "Going on because --tofu=warn; the pin was not changed.",
    ]);
  }
});

Deno.test("get_hints: an invalid certificate says --tofu=warn, as an error and as a warning", async () => {
  const { info } = await generateCertificate("example.org", { days: 1 });
  const invalid = {
    host: "example.org",
    port: 1965,
    reason: "expired" as const,
    presented: info,
    checkedAt: new Date(),
  };
  const error = new ClientError("certificate-invalid", "Expired.\nTell them.", { invalid });
  assertEquals(
    clientErrorMessage(error),
    "Expired.\nTell them. To go on anyway, run again with --tofu=warn.",
  );
  const message = `${describeInvalidCertificate(invalid)}; going on`;
  assertEquals(
    warningMessage(message, { code: "certificate-invalid", invalid }),
    `${message} because --tofu=warn`,
  );
  // Warnings that name no flag pass as they are, and so do warnings without a kind.
  for (const code of ["certificate-name", "tls-1.2-identity", "truncated"] as const) {
    assertEquals(warningMessage("as it is", { code }), "as it is");
  }
  assertEquals(warningMessage("as it is"), "as it is");
});

Deno.test("get_hints: errorMessage() gives get's text for client errors, found on the error itself only", () => {
  const tooLarge = new ClientError(
    "too-large",
    "The body of gemini://x/ exceeds the limit of 1 bytes",
  );
  assertEquals(errorMessage(tooLarge), `${tooLarge.message} (--max-size)`);
  // A wrapper (such as -o's "the bytes received are in FILE.part") keeps its own message.
  const wrapped = new Error(`${errorMessage(tooLarge)}; kept in x.part`, { cause: tooLarge });
  assertEquals(errorMessage(wrapped), wrapped.message);
  assertEquals(errorMessage(new ClientError("timeout", "Too slow")), "Too slow");
  assertEquals(errorMessage("plain"), "plain");
});
