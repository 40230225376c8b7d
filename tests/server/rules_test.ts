import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  compileRules,
  contentOverrides,
  expandCaptures,
  overrideMediaType,
  pathRules,
} from "../../lib/server/rules.ts";
import type { GeminiRequest } from "../../lib/server/types.ts";
import { handlerRequest } from "./_request.ts";

function req(path: string): GeminiRequest {
  return handlerRequest(`gemini://localhost${encodeURI(path)}`, { path });
}

Deno.test("expandCaptures() expands numbered and named groups, $$ and missing groups", () => {
  const m = /^\/(?<year>\d+)\/(.*?)(x)?$/.exec("/2024/a b?c#d")!;
  assertEquals(expandCaptures("/y/$<year>/$2", m), "/y/2024/a%20b%3Fc%23d");
  assertEquals(expandCaptures("$$1 $3|$9", m), "$1 |");
  assertEquals(expandCaptures("gemini://other.example/$1", m), "gemini://other.example/2024");
});

Deno.test("compileRules(): first matching rule wins, 30/31/52", () => {
  const rules = compileRules([
    { match: "^/docs$", redirect: "/docs/" },
    { match: "^/blog/(\\d{4})/(.+)\\.html$", redirect: "/posts/$1/$2.gmi", permanent: true },
    { match: "^/old/", gone: true },
    { match: "^/removed/(.*)", gone: "Removed: see /new" },
    { match: /^\/CASE$/i, redirect: "/case" },
  ]);
  assertEquals(rules("/docs"), { status: 30, meta: "/docs/" });
  assertEquals(rules("/docs/"), undefined);
  assertEquals(rules("/blog/2023/hello.html"), { status: 31, meta: "/posts/2023/hello.gmi" });
  assertEquals(rules("/old/a"), { status: 52, meta: "Gone" });
  assertEquals(rules("/removed/x"), { status: 52, meta: "Removed: see /new" });
  assertEquals(rules("/case"), { status: 30, meta: "/case" });
  assertEquals(rules("/elsewhere"), undefined);
});

Deno.test("compileRules() rejects bad patterns and incomplete rules", () => {
  assertThrows(() => compileRules([{ match: "(", redirect: "/" }]), SyntaxError, "not a valid");
  assertThrows(() => compileRules([{ match: "x" }]), SyntaxError, "exactly one");
  assertThrows(() => compileRules([{ match: "x", redirect: "/", gone: true }]), SyntaxError);
  assertThrows(() => compileRules([{ match: "x", redirect: " " }]), SyntaxError, "empty");
});

Deno.test("pathRules() answers matching requests and passes the rest", async () => {
  const handler = pathRules([{ match: "^/a$", redirect: "/b" }])(() => ({
    status: 51,
    meta: "nf",
  }));
  assertEquals(await handler(req("/a")), { status: 30, meta: "/b" });
  assertEquals(await handler(req("/c")), { status: 51, meta: "nf" });
});

Deno.test("overrideMediaType() replaces type, lang and charset", () => {
  assertEquals(overrideMediaType("text/gemini", { lang: "en,fr" }), 'text/gemini; lang="en,fr"');
  assertEquals(
    overrideMediaType("text/gemini; charset=utf-8; lang=en", { lang: "" }),
    "text/gemini; charset=utf-8",
  );
  assertEquals(
    overrideMediaType("text/plain; charset=utf-8", { charset: "ISO-8859-1" }),
    "text/plain; charset=iso-8859-1",
  );
  assertEquals(
    overrideMediaType("application/octet-stream", { mime: "text/x-patch", charset: "utf-8" }),
    "text/x-patch; charset=utf-8",
  );
  assertEquals(
    overrideMediaType("text/gemini; lang=de", { mime: "text/markdown" }),
    "text/markdown; lang=de",
  );
  assertEquals(overrideMediaType("", { lang: "fi" }), "text/gemini; charset=utf-8; lang=fi");
});

Deno.test("contentOverrides() rewrites only 2x replies of matching paths", async () => {
  const handler = contentOverrides([
    { match: "^/fr/", lang: "fr" },
    { match: "\\.patch$", mime: "text/x-diff", charset: "utf-8" },
  ])((r) =>
    r.path === "/missing"
      ? { status: 51, meta: "Not found" }
      : { status: 20, meta: "text/gemini", body: "x" }
  );
  assertEquals((await handler(req("/fr/index.gmi"))).meta, "text/gemini; lang=fr");
  assertEquals((await handler(req("/fr/a.patch"))).meta, "text/x-diff; charset=utf-8; lang=fr");
  assertEquals((await handler(req("/en/index.gmi"))).meta, "text/gemini");
  assertEquals(await handler(req("/missing")), { status: 51, meta: "Not found" });
  assertThrows(() => contentOverrides([{ match: "[", lang: "x" }]), SyntaxError);
});
