/** parseGemfeed(): the Gemini subscription convention. */

import { assertEquals } from "../_helpers/assert.ts";
import { parseGemfeed, parseGemtext } from "../../lib/gemtext/mod.ts";

const BASE = "gemini://example.org/gemlog/index.gmi";

Deno.test("parseGemfeed() reads the title and dated links in page order", () => {
  const feed = parseGemfeed(
    [
      "## Not the title",
      "# My gemlog",
      "# Second h1",
      "=> 2024-05-02-b.gmi 2024-05-02 - Second post",
      "=> /gemlog/a.gmi 2024-05-01: First post",
      "=> https://example.com/x 2023-12-31 Elsewhere",
      "=> /about About",
    ].join("\n"),
    BASE,
  );
  assertEquals(feed, {
    title: "My gemlog",
    entries: [
      {
        date: "2024-05-02",
        title: "Second post",
        url: "gemini://example.org/gemlog/2024-05-02-b.gmi",
      },
      { date: "2024-05-01", title: "First post", url: "gemini://example.org/gemlog/a.gmi" },
      { date: "2023-12-31", title: "Elsewhere", url: "https://example.com/x" },
    ],
  });
});

const NOT_ENTRIES: [string, string][] = [
  ["a link without label", "=> 2024-01-01.gmi"],
  ["a date later in the label", "=> a.gmi Posted 2024-01-01"],
  ["month 13", "=> a.gmi 2024-13-01 x"],
  ["February 30", "=> a.gmi 2024-02-30 x"],
  ["February 29 of a common year", "=> a.gmi 2023-02-29 x"],
  ["more digits after the day", "=> a.gmi 2024-01-011 x"],
  ["a short year", "=> a.gmi 24-01-01 x"],
  ["a preformatted line", "```\n=> a.gmi 2024-01-01 x\n```"],
  ["an unresolvable URL", "=> gemini://[::1 2024-01-01 x"],
];

for (const [name, text] of NOT_ENTRIES) {
  Deno.test(`parseGemfeed() does not take ${name} as an entry`, () => {
    assertEquals(parseGemfeed(text, BASE).entries, []);
  });
}

Deno.test("parseGemfeed() accepts February 29 of a leap year", () => {
  assertEquals(parseGemfeed("=> a.gmi 2024-02-29 Leap", BASE).entries.length, 1);
});

Deno.test("parseGemfeed() uses the URL as the title when the label is only a date", () => {
  assertEquals(parseGemfeed("=> a.gmi 2024-01-01 -", BASE).entries, [
    {
      date: "2024-01-01",
      title: "gemini://example.org/gemlog/a.gmi",
      url: "gemini://example.org/gemlog/a.gmi",
    },
  ]);
});

Deno.test("parseGemfeed() accepts parsed lines and a page without a title", () => {
  const feed = parseGemfeed(parseGemtext("=> x 2020-06-30 — Dash"), new URL(BASE));
  assertEquals(feed, {
    entries: [{ date: "2020-06-30", title: "Dash", url: "gemini://example.org/gemlog/x" }],
  });
});
