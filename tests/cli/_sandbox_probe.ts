/**
 * A stand-in for serve_worker.ts in the permission sandbox tests: started by the real
 * Supervisor with the permissions `gemini serve` computes, it skips every check the server
 * makes and calls Deno directly (reads outside the roots, starts programs, signals, FFI,
 * environment, network), posts what happened to each attempt as one access-log line
 * (`"ok"`, or the error's name), then answers like a worker that is ready.
 */

import type { SupervisorMessage, WorkerMessage } from "../../lib/cli/serve_messages.ts";

const scope = self as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
};

/** What each attempt did: "ok" or the name of the error it threw. */
async function attempt(run: () => unknown): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (error) {
    return (error as Error).name;
  }
}

async function probe(
  root: string,
  extra: { program?: string; titanRoot?: string },
): Promise<Record<string, string>> {
  const results: Record<string, string> = {
    readInsideRoot: await attempt(() => Deno.readTextFile(`${root}/index.gmi`)),
    readBesideRoot: await attempt(() => Deno.readTextFile(`${root}/../outside.txt`)),
    readEtcHostname: await attempt(() => Deno.readTextFile("/etc/hostname")),
    writeStaticRoot: await attempt(() => Deno.writeTextFile(`${root}/new.gmi`, "x")),
    runShell: await attempt(() => new Deno.Command("/bin/sh", { args: ["-c", "true"] }).output()),
    runInRoot: await attempt(() => new Deno.Command(`${root}/tool.sh`).output()),
    // Another process (Deno lets a process signal itself); SIGCONT would do no harm.
    kill: await attempt(() => Deno.kill(Deno.ppid, "SIGCONT")),
    env: await attempt(() => Deno.env.get("HOME")),
    sys: await attempt(() => Deno.hostname()),
    ffi: await attempt(() => Deno.dlopen("libc.so.6", {}).close()),
    connectElsewhere: await attempt(async () => {
      (await Deno.connect({ hostname: "127.0.0.2", port: 9 })).close();
    }),
  };
  if (extra.program) {
    results.runProgram = await attempt(async () => {
      const out = await new Deno.Command(extra.program!, { stdout: "piped" }).output();
      if (!out.success) throw new Error("the program failed");
    });
  }
  if (extra.titanRoot) {
    results.writeTitanRoot = await attempt(() =>
      Deno.writeTextFile(`${extra.titanRoot}/upload.txt`, "x")
    );
    results.symlinkInTitanRoot = await attempt(() =>
      Deno.symlink("/etc/hostname", `${extra.titanRoot}/link`)
    );
  }
  return results;
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as SupervisorMessage;
  if (message.type === "start") {
    const host = message.config.hosts[0];
    const cgi = host.locations.find((l) => l.cgi)?.cgi;
    const titan = host.locations.find((l) => l.titan)?.titan;
    probe(host.root!, { program: cgi?.program, titanRoot: titan?.root }).then((results) => {
      scope.postMessage({ type: "line", stream: "stdout", line: JSON.stringify(results) });
      scope.postMessage({
        type: "ready",
        ready: { addrs: [], certificates: [], hosts: [], backends: ["node"] },
      });
    });
  } else if (message.type === "shutdown" || message.type === "retire") {
    scope.postMessage({ type: "stopped" });
  }
});
