import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { type AppRequest, decodedInput, Router } from "../../lib/server/router.ts";
import { gemtext, gone, input, slowDown } from "../../lib/server/reply.ts";
import { logging, stripPrefix } from "../../lib/server/middleware.ts";
import { accessControl } from "../../lib/server/access.ts";
import { rateLimit } from "../../lib/server/limits.ts";
import { fileServer } from "../../lib/server/static.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl, HANDLER_TEST, memoryLogger, startServer } from "./_harness.ts";
import { handlerRequest as req } from "./_request.ts";

Deno.test("Router: path parameters, wildcard, order and not-found", async () => {
  const seen: AppRequest[] = [];
  const app = new Router()
    .on("/users/:name", (r) => (seen.push(r), gemtext(`# ${r.params.name}`)))
    .on("/users/:name/posts/:id", (r) => gemtext(`${r.params.name}:${r.params.id}`))
    .on("/files/*", (r) => gemtext(`rest=${r.params["*"]}`))
    .on("/exact", () => gemtext("exact"));
  assertEquals((await app.handler(req("gemini://h/users/ad%20a"))).body, "# ad a\n");
  assertEquals(seen[0].params, { name: "ad a" });
  assertEquals((await app.handler(req("gemini://h/users/x/posts/7"))).body, "x:7\n");
  assertEquals((await app.handler(req("gemini://h/files/a/b.gmi"))).body, "rest=a/b.gmi\n");
  assertEquals((await app.handler(req("gemini://h/files/"))).body, "rest=\n");
  assertEquals((await app.handler(req("gemini://h/exact/"))).status, 51);
  assertEquals((await app.handler(req("gemini://h/users/"))).status, 51);
  assertThrows(() => new Router().on("relative", () => gone()), SyntaxError);
});

Deno.test("Router: host patterns with parameters, and schemes", async () => {
  const app = new Router()
    .on("/", (r) => gemtext(`capsule of ${r.params.user}`), { host: ":user.example.org" })
    .on("/", () => gemtext("any subdomain"), { host: "*.example.net" })
    .on("/", () => gemtext("main"), { host: "example.org" })
    .on("/up", () => gemtext("titan"), { schemes: ["titan"] });
  assertEquals((await app.handler(req("gemini://alice.example.org/"))).body, "capsule of alice\n");
  assertEquals((await app.handler(req("gemini://a.b.example.net/"))).body, "any subdomain\n");
  assertEquals((await app.handler(req("gemini://example.org/"))).body, "main\n");
  assertEquals((await app.handler(req("gemini://a.b.example.org/"))).status, 51);
  assertEquals((await app.handler(req("gemini://h/up"))).status, 51);
  assertEquals((await app.handler(req("titan://h/up"))).body, "titan\n");
});

Deno.test("Router: wildcards anywhere, one-character ?, directory mounts and host lists", async () => {
  const app = new Router()
    .on("*.txt", (r) => gemtext(`text ${r.params["*"] ?? "-"}`))
    .on("/a?c", () => gemtext("one char"))
    .on("/post-:id", () => gemtext("literal colon"))
    .on("/logs/*/today", () => gemtext("middle star"))
    .mount("/private/", () => gemtext("private"))
    .on("/", () => gemtext("listed host"), { host: ["a.example", "*.b.example"] });
  assertEquals((await app.handler(req("gemini://h/x/y.txt"))).body, "text -\n");
  assertEquals((await app.handler(req("gemini://h/abc"))).body, "one char\n");
  assertEquals((await app.handler(req("gemini://h/a/c"))).status, 51);
  assertEquals((await app.handler(req("gemini://h/post-:id"))).body, "literal colon\n");
  assertEquals((await app.handler(req("gemini://h/post-7"))).status, 51);
  assertEquals((await app.handler(req("gemini://h/logs/a/b/today"))).body, "middle star\n");
  assertEquals((await app.handler(req("gemini://h/private"))).body, "private\n");
  assertEquals((await app.handler(req("gemini://h/private/notes.gmi"))).body, "private\n");
  assertEquals((await app.handler(req("gemini://h/privatex"))).status, 51);
  assertEquals((await app.handler(req("gemini://A.Example/"))).body, "listed host\n");
  assertEquals((await app.handler(req("gemini://x.y.b.example/"))).body, "listed host\n");
  assertEquals((await app.handler(req("gemini://b.example/"))).status, 51);
  assertThrows(() => new Router().on("", () => gone()), SyntaxError);
});

Deno.test("decodedInput() and the input prompt", async () => {
  assertEquals(decodedInput(new URL("gemini://h/x?")), "");
  assertEquals(decodedInput(new URL("gemini://h/x?%zz")), "%zz");
  const app = new Router().on(
    "/ask",
    (r) => r.input === undefined ? input("Name?") : gemtext(`Hi ${r.input}`),
  );
  assertEquals(await app.handler(req("gemini://h/ask")), { status: 10, meta: "Name?" });
  assertEquals((await app.handler(req("gemini://h/ask?Ada%20L."))).body, "Hi Ada L.\n");
  assertEquals(slowDown(1.2).meta, "2");
});

Deno.test("Router: middleware (logging, rate limit, certificates) and mounts over TLS", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/hello.gmi`, "# static\n");
  const logger = memoryLogger();
  const member = await generateCertificate("member");
  const app = new Router()
    .use(logging(logger))
    .on("/", () => gemtext("# home"))
    .on("/me", (r) => gemtext(`you are ${r.clientCertificate?.commonName}`), {
      use: [accessControl({ allow: [member.info.spkiSha256], prompt: "Log in" })],
    })
    .on("/limited", () => gemtext("ok"), { use: [rateLimit({ burst: 1, perSecond: 0.001 })] })
    .mount("/static", stripPrefix("/static")(fileServer({ root: dir })));
  const server = await startServer(app.handler, HANDLER_TEST);
  const base = `gemini://localhost:${server.port}`;
  try {
    assertEquals((await fetchUrl(server.port, `${base}/`)).text, "# home\n");
    assertEquals((await fetchUrl(server.port, `${base}/me`)).status, 60);
    const me = await fetchUrl(server.port, `${base}/me`, { identity: member });
    assertEquals(me.text, "you are member\n");
    assertEquals((await fetchUrl(server.port, `${base}/limited`)).status, 20);
    assertEquals((await fetchUrl(server.port, `${base}/limited`)).status, 44);
    assertEquals((await fetchUrl(server.port, `${base}/static/hello.gmi`)).text, "# static\n");
    assertEquals(logger.lines.filter((l) => l.startsWith("info request")).length, 6);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
