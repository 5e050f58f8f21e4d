import type { ResolvedConfig } from '../core/config.js';
import type { Bootstrap } from './bootstrap.js';
import type { App } from './open-app.js';

/** The service's logger as the `serve` command uses it (pino-shaped). */
export interface ServiceLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * A running service as its front ends see it: the CLI's `serve` starts one
 * through a `StartService` handed to it by the process entry point, so the
 * CLI does not depend on the HTTP layer that implements it.
 */
export interface RunningService {
  readonly services: App;
  readonly url: string;
  readonly bootstrap: Bootstrap;
  /** The data directory's write probe at start. */
  readonly writable: { readonly ok: boolean; readonly problems: readonly { readonly message: string }[] };
  readonly log: ServiceLog;
  /** Stops accepting, lets in-flight operations finish, then closes the stores. */
  close(): Promise<void>;
}

export type StartService = (config: ResolvedConfig, options: { logLevel?: string }) => Promise<RunningService>;
