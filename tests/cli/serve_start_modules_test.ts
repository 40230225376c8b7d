/**
 * The footprint of `gemini serve`'s supervisor (issue 14): starting on certificates that
 * are already on disk and fine loads neither `node:crypto` nor `node:net` (Deno's Node layer
 * costs a few MiB per isolate once either is loaded). Checked two ways: in the static import
 * graph (`deno info --json`) of lib/cli/serve.ts and of lib/server/certificates.ts (which
 * site.ts imports at start), and by running `--check`, a start, the daily certificate check
 * and a stop under an import map that makes those two modules throw when loaded; a
 * certificate that must be renewed at start does load them, which shows the check can fail.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { serverCertificateNames } from "../../lib/server/certificates.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

const ROOT = new URL("../../", import.meta.url);
const DENO = Deno.execPath();
const HEAVY = ["node:crypto", "node:net"];

interface GraphModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    isDynamic?: boolean;
  }[];
}

/** The modules `deno info --json` lists for `file`, by specifier. */
async function graphOf(file: string): Promise<{ roots: string[]; modules: GraphModule[] }> {
  const out = await new Deno.Command(DENO, {
    args: ["info", "--json", new URL(file, ROOT).pathname],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * What loading `file` loads before any `import()` runs: the modules reachable from it by
 * static imports, each with the chain that reaches it (for the failure message).
 */
async function staticImports(file: string): Promise<Map<string, string[]>> {
  const graph = await graphOf(file);
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const reached = new Map<string, string[]>(graph.roots.map((r) => [r, [r]]));
  const queue = [...graph.roots];
  // Bounded: each module enters the queue once.
  for (let i = 0; i < queue.length && i < 100_000; i++) {
    const chain = reached.get(queue[i])!;
    for (const dep of modules.get(queue[i])?.dependencies ?? []) {
      if (!dep.code || dep.isDynamic) continue;
      const target = dep.code.specifier;
      if (reached.has(target)) continue;
      reached.set(target, [...chain, target]);
      queue.push(target);
    }
  }
  return reached;
}

function heavyIn(reached: Map<string, string[]>): string[] {
  return HEAVY.filter((m) => reached.has(m)).map((m) =>
    reached.get(m)!.map((s) => s.replace(ROOT.href, "")).join(" -> ")
  );
}

Deno.test("the supervisor's static imports reach neither node:crypto nor node:net", async () => {
  // serve.ts is what the main isolate loads; certificates.ts is imported (by site.ts) on
  // every start that has a host without its own certificate files.
  for (const file of ["lib/cli/serve.ts", "lib/server/certificates.ts"]) {
    assertEquals(heavyIn(await staticImports(file)), [], file);
  }
  // The walk does find them where they are imported statically, and does not follow the
  // import() of the X.509 module.
  const x509 = await staticImports("lib/tls/certificate.ts");
  assertEquals(heavyIn(x509).length, 1, "certificate.ts imports node:crypto");
  const serve = await staticImports("lib/server/certificates.ts");
  assert(!serve.has(new URL("lib/tls/certificate.ts", ROOT).href));
  const all = (await graphOf("lib/server/certificates.ts")).modules.map((m) => m.specifier);
  assert(all.includes(new URL("lib/tls/certificate.ts", ROOT).href), "imported with import()");
});

/** A GEMINI_HOME with a generated-style localhost certificate valid for `days`. */
async function homeWithCertificate(days: number): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "gemini-start-" });
  const dir = join(home, "data", "server");
  await Deno.mkdir(dir, { recursive: true });
  const made = await generateCertificate("localhost", {
    altNames: serverCertificateNames("localhost"),
    days,
  });
  await Deno.writeTextFile(join(dir, "localhost.crt"), made.cert);
  await Deno.writeTextFile(join(dir, "localhost.key"), made.key, { mode: 0o600 });
  return home;
}

/**
 * Runs tests/cli/_start_path_probe.ts on `home` under an import map (the project's
 * imports, and `node:crypto` and `node:net` mapped to modules that throw, naming
 * themselves): its exit status and output.
 */
async function probe(home: string): Promise<{ code: number; output: string }> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const imports: Record<string, string> = { ...config.imports };
  for (const name of HEAVY) {
    const file = join(home, `${name.replace(":", "_")}.js`);
    await Deno.writeTextFile(file, `throw new Error("the start path loaded ${name}");\n`);
    imports[name] = new URL(`file://${file}`).href;
  }
  const map = join(home, "import_map.json");
  await Deno.writeTextFile(map, JSON.stringify({ imports }));
  const out = await new Deno.Command(DENO, {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      "--unstable-worker-options",
      "--import-map",
      map,
      new URL("tests/cli/_start_path_probe.ts", ROOT).pathname,
      home,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

Deno.test("gemini serve with its certificate on disk: --check, start, daily check and stop load neither node:crypto nor node:net", async () => {
  const home = await homeWithCertificate(3650);
  try {
    const { code, output } = await probe(home);
    assertEquals(code, 0, output);
    assertStringIncludes(output, "probe: ok");
    // It did serve, on the certificate it found, and checked it once more.
    assertMatch(output, /listening on 127\.0\.0\.1:\d+/);
    assertStringIncludes(output, "certificate for localhost (valid until");
    assert(!output.includes("generated a certificate"), output);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a certificate renewed at start loads the X.509 module: the probe sees node:crypto", async () => {
  const home = await homeWithCertificate(10);
  try {
    const { code, output } = await probe(home);
    assertEquals(code, 1, output);
    // Linking (a named import the stand-in lacks) or evaluating it fails, naming the module.
    assertMatch(output, /the start failed: .*node:crypto/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
