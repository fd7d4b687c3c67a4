/** Load the config for a CLI command, printing every problem and exiting 1 when it is invalid. */
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';

export function loadConfigOrExit(configPath?: string): Config {
  try {
    return loadConfig(configPath ? { configPath } : {});
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[ERROR] ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
