import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { readTextIfExists } from "../../lib/files/read.ts";
import { loadClientConfig } from "../../lib/client/config.ts";
import { FileKnownHosts } from "../../lib/client/known_hosts.ts";

Deno.test("readTextIfExists() names what the file is when it cannot read it, and is quiet about a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await readTextIfExists(`${dir}/missing`, { wrapErrors: true }), undefined);
    // A directory exists but cannot be read as text.
    await assertRejects(
      () => readTextIfExists(dir, { wrapErrors: true, what: "the known-hosts file" }),
      Error,
      `Cannot read the known-hosts file ${dir}: `,
    );
    await assertRejects(
      () => readTextIfExists(dir, { wrapErrors: true }),
      Error,
      `Cannot read ${dir}: `,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the client config and the known-hosts file read through readTextIfExists(): missing is empty, unreadable says which file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = { configDir: dir, dataDir: dir, configFile: `${dir}/config.toml` };
    assertEquals(await loadClientConfig(paths), {});
    assertEquals(await new FileKnownHosts(`${dir}/known_hosts`).list(), []);
    await Deno.mkdir(`${dir}/config.toml`);
    await assertRejects(() => loadClientConfig(paths), Error, `Cannot read ${dir}/config.toml: `);
    await Deno.mkdir(`${dir}/known_hosts`);
    await assertRejects(
      () => new FileKnownHosts(`${dir}/known_hosts`).list(),
      Error,
      `Cannot read the known-hosts file ${dir}/known_hosts: `,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
