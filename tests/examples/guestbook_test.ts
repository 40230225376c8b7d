import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl, HANDLER_TEST, startServer } from "../server/_harness.ts";
import { guestbook, type GuestbookEntry } from "../../examples/guestbook.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Starts the example as a user would and returns its port once it says where it listens. */
async function startExample(file: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/guestbook.ts", "--port", "0", "--file", file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  const until = Date.now() + 60_000;
  while (!text.includes("\n") && Date.now() < until) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  const port = Number(/localhost:(\d+)\//.exec(text)?.[1]);
  if (!port) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`the guestbook example did not start: ${JSON.stringify(text)}`);
  }
  return {
    port,
    async stop(): Promise<void> {
      child.kill("SIGINT");
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}

Deno.test("guestbook example end to end: certificate, prompt, per-identity entries, persistence", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/book.json`;
  const alice = await generateCertificate("alice");
  const bob = await generateCertificate("bob");
  const example = await startExample(file);
  const base = `gemini://localhost:${example.port}`;
  try {
    const home = await fetchUrl(example.port, `${base}/`);
    assertEquals(home.status, 20);
    assertStringIncludes(home.text, "No entries yet.");
    assertEquals((await fetchUrl(example.port, `${base}/sign`)).status, 60);
    const prompt = await fetchUrl(example.port, `${base}/sign`, { identity: alice });
    assertEquals([prompt.status, prompt.meta], [10, "Your message, alice"]);
    const signed = await fetchUrl(example.port, `${base}/sign?Hello%20from%20Alice!`, {
      identity: alice,
    });
    assertEquals([signed.status, signed.meta], [30, "/mine"]);
    await fetchUrl(example.port, `${base}/sign?Bob%20was%20here%0Atwice`, { identity: bob });
    await fetchUrl(example.port, `${base}/sign?Alice%20again`, { identity: alice });
    const all = await fetchUrl(example.port, `${base}/`);
    assertStringIncludes(all.text, "> Hello from Alice!");
    assertStringIncludes(all.text, "> Bob was here / twice");
    const mine = await fetchUrl(example.port, `${base}/mine`, { identity: bob });
    assertStringIncludes(mine.text, "Bob was here");
    assert(!mine.text.includes("Alice"), "bob sees only his own entries");
  } finally {
    await example.stop();
  }
  try {
    const saved: GuestbookEntry[] = JSON.parse(await Deno.readTextFile(file));
    assertEquals(saved.map((e) => [e.name, e.message]), [
      ["alice", "Hello from Alice!"],
      ["bob", "Bob was here\ntwice"],
      ["alice", "Alice again"],
    ]);
    assertEquals(saved[0].author, alice.info.spkiSha256);
    // A new instance reads the same file.
    const server = await startServer(guestbook({ file }).handler, HANDLER_TEST);
    try {
      const mine = await fetchUrl(server.port, `gemini://localhost:${server.port}/mine`, {
        identity: alice,
      });
      assertStringIncludes(mine.text, "Alice again");
      assertStringIncludes(mine.text, "Hello from Alice!");
      const long = await fetchUrl(
        server.port,
        `gemini://localhost:${server.port}/sign?${"x".repeat(600)}`,
        {
          identity: alice,
        },
      );
      assertEquals(long.status, 10);
      assertStringIncludes(long.meta, "Too long");
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
