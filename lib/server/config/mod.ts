/**
 * The `gemini serve` configuration file (TOML): global settings, limits, virtual hosts
 * and their locations. {@linkcode parseConfig} validates a file and fills in defaults;
 * every error names the file, the line and the key. {@linkcode formatConfig} prints the
 * effective configuration (what `gemini serve` shows when asked to check a file).
 *
 * @module
 */

export {
  type CgiLocationConfig,
  ConfigError,
  DEFAULT_LIMITS,
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_RECYCLE,
  type HostConfig,
  type LimitsConfig,
  type ListenConfig,
  type LocationConfig,
  type OverrideConfig,
  type ProxyLocationConfig,
  type RecycleConfig,
  type RuleConfig,
  type ServerConfig,
  type TitanLocationConfig,
} from "./types.ts";
export { parseListenAddress, parseSize } from "./values.ts";
export {
  configFromDocument,
  type ConfigFromDocumentOptions,
  parseConfig,
  parseConfigDocument,
  type ParseConfigOptions,
} from "./parse.ts";
export { formatConfig, formatListenAddress } from "./format.ts";
