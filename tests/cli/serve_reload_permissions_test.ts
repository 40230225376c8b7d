/**
 * A SIGHUP reload computes the workers' permissions (which lists the programs of every CGI
 * directory, a walk of the tree) once: reloadUntilStopped() hands what the permission check
 * computed to `apply`, and Supervisor.reload() uses it rather than computing it again.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import { join } from "node:path";
import { Supervisor, type SupervisorOptions } from "../../lib/cli/serve_supervisor.ts";
import { reloadUntilStopped } from "../../lib/cli/serve_reload.ts";
import { workerSandboxAvailable } from "../../lib/cli/serve_permissions.ts";
import { parseConfig, type ServerConfig } from "../../lib/server/config/mod.ts";
import { silentLogger } from "../../lib/server/logger.ts";
import type { SiteFiles } from "../../lib/server/site.ts";

const PERMISSIONS: Deno.PermissionOptionsObject = {
  read: true,
  write: false,
  net: false,
  run: false,
  env: false,
  sys: false,
  ffi: false,
  import: false,
};

const NO_FILES: SiteFiles = { allowLists: new Map(), pems: new Map() };

function config(name: string): ServerConfig {
  return parseConfig(`listen = "127.0.0.1:0"\n[[host]]\nname = "${name}"\n`);
}

/** A Supervisor of stand-in workers (they serve nothing and apply every reload). */
function standIn(
  first: ServerConfig,
  options: Pick<SupervisorOptions, "workers" | "permissions">,
): Supervisor {
  return new Supervisor(first, {
    module: new URL("./_reload_worker.ts", import.meta.url),
    dataDir: "/nonexistent",
    certificates: [],
    files: NO_FILES,
    limits: { buffer: new SharedArrayBuffer(64), options: {} as never },
    reusePort: false,
    access: { write: () => {} },
    errors: { write: () => {} },
    logger: silentLogger,
    ...options,
  });
}

Deno.test("Supervisor.reload() computes the workers' permissions only when it is not given them and the configuration is new", async () => {
  if (!workerSandboxAvailable((name) => Deno.env.get(name))) {
    throw new Error("run this test with --unstable-worker-options (make test passes it)");
  }
  const computed: string[] = [];
  const first = config("a.example");
  const supervisor = standIn(first, {
    workers: 1,
    permissions: (c) => {
      computed.push(c.hosts[0].name);
      return Promise.resolve(PERMISSIONS);
    },
  });
  await supervisor.start();
  try {
    assertEquals(computed, ["a.example"]);
    const site = { certificates: [], files: NO_FILES };
    const second = config("b.example");
    // What the SIGHUP's permission check computed is used as it is.
    assertEquals(await supervisor.reload(second, site, { permissions: PERMISSIONS }), "reloaded");
    assertEquals(computed, ["a.example"]);
    // The running configuration again (a certificate renewal): its permissions are known.
    assertEquals(await supervisor.reload(second, site, { reason: "certificate" }), "reloaded");
    assertEquals(computed, ["a.example"]);
    // A new configuration and nothing given: computed now, once.
    assertEquals(await supervisor.reload(config("c.example"), site), "reloaded");
    assertEquals(computed, ["a.example", "c.example"]);
  } finally {
    await supervisor.shutdown(1000);
  }
});

Deno.test("reloadUntilStopped() checks the permissions once per reload and hands their result, with the files it read, to apply", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "serve.toml");
    const members = join(dir, "members.txt");
    await Deno.writeTextFile(members, `${"ab".repeat(32)}\n`);
    await Deno.writeTextFile(
      file,
      `listen = "127.0.0.1:1966"\n[[host]]\nname = "localhost"\n` +
        `[[host.location]]\npath = "/p/"\nallow_file = "members.txt"\n`,
    );
    const running = parseConfig(`listen = "127.0.0.1:1966"\n[[host]]\nname = "localhost"\n`);
    const checked: string[] = [];
    const applied: { permissions: unknown; allowLists: [string, string[]][] }[] = [];
    const stop = new AbortController();
    const reload = new EventTarget();
    const done = reloadUntilStopped({
      values: { config: file },
      positionals: [],
      config: running,
      certificateDir: join(dir, "certs"),
      logger: silentLogger,
      stop: stop.signal,
      reload,
      checkPermissions(next): Promise<Deno.PermissionOptionsObject> {
        checked.push(next.hosts[0].name);
        return Promise.resolve(PERMISSIONS);
      },
      apply(_next, site, permissions): Promise<Record<string, unknown>> {
        applied.push({ permissions, allowLists: [...site.files.allowLists] });
        return Promise.resolve({});
      },
    });
    reload.dispatchEvent(new Event("reload"));
    await waitFor(() => applied.length === 1, "the reload to be applied");
    stop.abort();
    await done;
    assertEquals(checked, ["localhost"]);
    assertEquals(applied, [{
      permissions: PERMISSIONS,
      allowLists: [[members, ["ab".repeat(32)]]],
    }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Supervisor reloads that come together (SIGHUP and a certificate renewal) run one after the other and renewals use what runs by then", async () => {
  const supervisor = standIn(config("a.example"), { workers: 2 });
  await supervisor.start();
  try {
    const site = { certificates: [], files: NO_FILES };
    const readFor: string[] = [];
    const all = Promise.all([
      supervisor.reload(config("b.example"), site),
      supervisor.reloadCertificates((running) => {
        readFor.push(running.hosts[0].name);
        return Promise.resolve([]);
      }, "certificate"),
      supervisor.reload(config("c.example"), site),
    ]);
    // Each worker answers every reload: none may be left waiting (before, a second ask on a
    // worker replaced the first one's handler and that reload never ended).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("a reload never ended")), 10_000);
    });
    try {
      assertEquals(await Promise.race([all, timeout]), ["reloaded", "reloaded", "reloaded"]);
    } finally {
      clearTimeout(timer);
    }
    assertEquals(readFor, ["b.example"], "the renewal read the configuration running by its turn");
    assertEquals(supervisor.running.config.hosts[0].name, "c.example");
  } finally {
    await supervisor.shutdown(1000);
  }
});
