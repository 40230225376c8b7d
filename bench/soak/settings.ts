/**
 * What a soak run is asked for, read from the environment: `SOAK_BACKENDS` (default
 * `node,deno`), `SOAK_ATTACKS` (default every attack, in the order of attacks.ts) and
 * `SOAK_SCALE` (multiplier of every duration and count, default 1: the full soak).
 *
 * @module
 */

import { attackNamed, ATTACKS } from "./attacks.ts";
import type { Backend } from "./server.ts";

/** What the environment asks for. */
export interface SoakSettings {
  /** Backends, in order. */
  backends: Backend[];
  /** Attack names, in order. */
  attacks: string[];
  /** Multiplier of durations and counts. */
  scale: number;
}

/** The largest `SOAK_SCALE` accepted. */
export const MAX_SCALE = 10;

/**
 * Reads `SOAK_BACKENDS`, `SOAK_ATTACKS` and `SOAK_SCALE` through `env`; an unknown backend or
 * attack, or a scale that is not a number above 0 and at most {@linkcode MAX_SCALE}, is a
 * TypeError that names it.
 */
export function soakSettings(env: (name: string) => string | undefined): SoakSettings {
  const list = (name: string, fallback: string[]): string[] => {
    const value = env(name)?.trim();
    if (!value) return fallback;
    return value.split(",").map((s) => s.trim()).filter(Boolean);
  };
  const backends = list("SOAK_BACKENDS", ["node", "deno"]);
  for (const b of backends) {
    if (b !== "node" && b !== "deno") {
      throw new TypeError(`SOAK_BACKENDS: unknown backend "${b}"; known: node, deno`);
    }
  }
  const attacks = list("SOAK_ATTACKS", ATTACKS.map((a) => a.name));
  for (const a of attacks) {
    try {
      attackNamed(a);
    } catch (error) {
      throw new TypeError(`SOAK_ATTACKS: ${(error as Error).message}`, { cause: error });
    }
  }
  const scaleText = env("SOAK_SCALE")?.trim();
  const scale = scaleText ? Number(scaleText) : 1;
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new TypeError(
      `SOAK_SCALE must be a number above 0 and at most ${MAX_SCALE}, got "${scaleText}"`,
    );
  }
  return { backends: backends as Backend[], attacks, scale };
}
