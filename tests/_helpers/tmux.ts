/**
 * Drives a program in a real terminal: a tmux server on a socket of its own
 * (`tmux -L test-<pid>-<n>`), one session, keys in with send-keys, the screen out with
 * capture-pane. Every wait is bounded; `close()` kills only this socket's server.
 */

const decoder = new TextDecoder();

async function tmuxRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Throws a clear error when tmux is not installed. */
export async function requireTmux(): Promise<void> {
  try {
    const r = await tmuxRun(["-V"]);
    if (r.code !== 0) throw new Error(r.stderr);
  } catch (error) {
    throw new Error(
      "tmux is required for the browse end-to-end tests: apt-get install -y tmux " +
        `(${error instanceof Error ? error.message : error})`,
    );
  }
}

let counter = 0;

/** A tmux server with one session running a command. */
export class Tmux {
  /** The socket name (`-L`). */
  readonly socket: string;
  /** The session name. */
  readonly session = "browse";
  #started = false;

  constructor() {
    this.socket = `test-${Deno.pid}-${++counter}`;
  }

  /**
   * Starts `command` (argv) in a `width` x `height` window with extra environment. `options`
   * are global tmux options set before the command starts (e.g. `set-clipboard: "on"`).
   */
  async start(
    command: string[],
    options: {
      env?: Record<string, string>;
      width?: number;
      height?: number;
      cwd?: string;
      options?: Record<string, string>;
    } = {},
  ): Promise<void> {
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const globals = Object.entries(options.options ?? {}).flatMap((
      [k, v],
    ) => ["set-option", "-g", k, v, ";"]);
    const r = await tmuxRun([
      "-L",
      this.socket,
      "-f",
      "/dev/null",
      ...globals,
      "new-session",
      "-d",
      "-s",
      this.session,
      "-x",
      String(options.width ?? 100),
      "-y",
      String(options.height ?? 30),
      ...(options.cwd ? ["-c", options.cwd] : []),
      ...env,
      ...command,
    ]);
    if (r.code !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    this.#started = true;
  }

  /** The visible screen as text. */
  async capture(): Promise<string> {
    const r = await tmuxRun(["-L", this.socket, "capture-pane", "-p", "-t", this.session]);
    if (r.code !== 0) return "";
    return r.stdout;
  }

  /** The cursor position in the pane (0-based). */
  async cursor(): Promise<{ x: number; y: number }> {
    const r = await tmuxRun([
      "-L",
      this.socket,
      "display-message",
      "-p",
      "-t",
      this.session,
      "#{cursor_x} #{cursor_y}",
    ]);
    const [x, y] = r.stdout.trim().split(" ").map(Number);
    return { x, y };
  }

  /** The terminal device of the pane (to write to the screen behind the program's back). */
  async paneTty(): Promise<string> {
    const r = await tmuxRun([
      "-L",
      this.socket,
      "display-message",
      "-p",
      "-t",
      this.session,
      "#{pane_tty}",
    ]);
    return r.stdout.trim();
  }

  /** The newest paste buffer (what a program put there with OSC 52), or `undefined`. */
  async buffer(): Promise<string | undefined> {
    const r = await tmuxRun(["-L", this.socket, "show-buffer"]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** Types `text` literally. */
  async type(text: string): Promise<void> {
    await tmuxRun(["-L", this.socket, "send-keys", "-t", this.session, "-l", text]);
  }

  /** Sends named keys (`Enter`, `Tab`, `BTab`, `Escape`, `NPage`...). */
  async keys(...names: string[]): Promise<void> {
    await tmuxRun(["-L", this.socket, "send-keys", "-t", this.session, ...names]);
  }

  /**
   * Polls the screen until `check` passes (up to `tries` times, `intervalMs` apart); returns
   * the screen, or throws with the last screen.
   */
  async waitFor(
    check: string | ((screen: string) => boolean),
    what = typeof check === "string" ? check : "the screen",
    tries = 150,
    intervalMs = 100,
    onScreen?: (screen: string) => void,
  ): Promise<string> {
    const test = typeof check === "string" ? (s: string) => s.includes(check) : check;
    let screen = "";
    for (let i = 0; i < tries; i++) {
      screen = await this.capture();
      onScreen?.(screen);
      if (test(screen)) return screen;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`Timed out waiting for ${what}; the screen was:\n${screen}`);
  }

  /** Resizes the window (the program gets SIGWINCH). */
  async resize(width: number, height: number): Promise<void> {
    await tmuxRun([
      "-L",
      this.socket,
      "resize-window",
      "-t",
      this.session,
      "-x",
      String(width),
      "-y",
      String(height),
    ]);
  }

  /** Whether the session still runs. */
  async alive(): Promise<boolean> {
    const r = await tmuxRun(["-L", this.socket, "has-session", "-t", this.session]);
    return r.code === 0;
  }

  /** Waits (bounded) until the program has exited and its session is gone. */
  async waitForExit(tries = 100): Promise<void> {
    for (let i = 0; i < tries; i++) {
      if (!(await this.alive())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`The program in tmux did not exit; the screen was:\n${await this.capture()}`);
  }

  /** Kills this socket's tmux server (and so the program in it). */
  async close(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await tmuxRun(["-L", this.socket, "kill-server"]);
  }
}
