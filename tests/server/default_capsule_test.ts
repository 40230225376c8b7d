import { assert, assertEquals } from "../_helpers/assert.ts";
import { DEFAULT_CAPSULE } from "../../lib/server/default_capsule.ts";
import { memoryServer } from "../../lib/server/memory.ts";
import { MODULE_PATH, renderCapsuleModule } from "../../tools/embed-capsule.ts";
import { extractLinks } from "../../lib/gemtext/links.ts";
import { parseGemtext } from "../../lib/gemtext/parse.ts";
import type { GeminiRequest } from "../../lib/server/types.ts";
import { handlerRequest } from "./_request.ts";

function request(path: string): GeminiRequest {
  return handlerRequest(`gemini://localhost${path}`);
}

Deno.test("lib/server/default_capsule.ts matches examples/capsule (run tools/embed-capsule.ts)", async () => {
  assertEquals(await Deno.readTextFile(MODULE_PATH), await renderCapsuleModule());
});

Deno.test("the default capsule has a welcome page whose relative links all resolve", async () => {
  const handler = memoryServer(DEFAULT_CAPSULE);
  const home = await handler(request("/"));
  assertEquals(home.status, 20);
  assert(String(home.body).startsWith("# It works"));
  for (const [path, text] of Object.entries(DEFAULT_CAPSULE)) {
    const links = extractLinks(parseGemtext(text), `gemini://localhost${path}`);
    for (const link of links) {
      const url = link.url;
      if (url === null || url.host !== "localhost") continue;
      const r = await handler(request(url.pathname));
      assertEquals(r.status, 20, `${path} links to ${url.pathname}`);
    }
  }
});

Deno.test("memoryServer() redirects directories, hides dotfiles and answers 51 for the rest", async () => {
  const handler = memoryServer({ "/index.gmi": "# i\n", "/d/index.gmi": "# d\n", "/.x": "no" });
  assertEquals(await handler(request("/d")), { status: 31, meta: "/d/" });
  assertEquals((await handler(request("/d/"))).body, "# d\n");
  assertEquals((await handler(request("/.x"))).status, 51);
  assertEquals((await handler(request("/nope"))).status, 51);
});
