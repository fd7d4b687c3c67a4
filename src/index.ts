/** The library entry point for embedding the inbox; published compiled, as dist/index.js with its declarations. */
export { createInbox, type Inbox, type InboxOptions, type EventHandler, type Handlers, type InboxEvent } from './inbox.ts';
export { loadConfig, ConfigError } from './config/load.ts';
export type { Config, SourceConfig, DestinationConfig } from './config/types.ts';
export { getProvider, providers } from './providers/index.ts';
export type { Provider } from './providers/types.ts';
