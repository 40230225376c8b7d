/**
 * A logger that drops everything: the default of the dynamic handlers.
 *
 * @module
 */

import type { Logger } from "./handler_types.ts";

function drop(_message: string): void {}

/** Discards every message. */
export const SILENT_LOGGER: Logger = { debug: drop, info: drop, warn: drop, error: drop };
