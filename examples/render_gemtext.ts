/**
 * Renders a gemtext file for the terminal with the library's gemtext layer: colour on a TTY
 * unless NO_COLOR is set, wrapped to the terminal width, links numbered and listed at the end.
 *
 * ```sh
 * deno run --allow-read --allow-env examples/render_gemtext.ts page.gmi [base-url]
 * deno run examples/render_gemtext.ts            # renders a built-in sample
 * ```
 *
 * @module
 */

import { parseGemtext, renderGemtext, shouldUseColor } from "../lib/gemtext/mod.ts";

const SAMPLE = `# Welcome
A small sample of gemtext, wrapped to your terminal: 日本語もちゃんと折り返されます。
=> gemini://geminiprotocol.net/ Project Gemini
=> https://example.com/ A web page
* one list item
> a quotation
\`\`\`a box
+-----+
| box |
+-----+
\`\`\`
`;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

function terminalWidth(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80; // not a terminal
  }
}

/** Renders `text` and returns what to print. */
export function renderForTerminal(text: string, baseUrl?: string): string {
  const isTty = Deno.stdout.isTerminal();
  const color = shouldUseColor({ NO_COLOR: env("NO_COLOR"), isTty });
  const { rows, links } = renderGemtext(parseGemtext(text), {
    width: isTty ? terminalWidth() : 80,
    color,
    baseUrl,
  });
  let out = rows.map((row) => row.text).join("\n") + "\n";
  if (links.length > 0) {
    // An unresolvable URL is returned as written: keep its control characters off the terminal.
    // deno-lint-ignore no-control-regex
    const safe = (url: string): string => url.replace(/[\x00-\x1f\x7f-\x9f]/g, "\uFFFD");
    out += "\n" + links.map((link) => `[${link.number}] ${safe(link.url)}`).join("\n") + "\n";
  }
  return out;
}

if (import.meta.main) {
  const [file, base] = Deno.args;
  const text = file === undefined ? SAMPLE : await Deno.readTextFile(file);
  await Deno.stdout.write(new TextEncoder().encode(renderForTerminal(text, base)));
}
