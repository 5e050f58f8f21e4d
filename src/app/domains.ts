import { aiModule } from './ai-module.js';
import type { EvidenceLocker } from '../evidence/locker.js';
import { acceptCosignature } from '../tlog/witness.js';
import type { LogState } from '../tlog/log-reader.js';
import type { AppModule } from './modules.js';
import { reachabilityModule } from './reachability-module.js';
import { reviewModule } from './review-module.js';
import { signalsModule } from './signals-module.js';

/**
 * Today's domains. Their evidence kinds are declared in their own folders
 * and listed in src/kinds/builtin.ts (so authz and the layout can derive
 * from them below the app); a module's `kinds` adds kinds beyond those.
 */

/** Signed evidence: upload, fetch, search, bundle export. */
export type EvidenceUseCases = Pick<EvidenceLocker, 'put' | 'get' | 'find' | 'exportBundle' | 'logInfo'>;

export const evidenceModule: AppModule<EvidenceUseCases> = {
  name: 'evidence',
  register: (app) => app.locker,
};

/** The transparency log: its state, and witnesses returning cosigned checkpoints. */
export interface LogUseCases {
  state(): Promise<LogState>;
  /** Stores the configured witnesses' cosignatures on a checkpoint this log signed (see tlog/witness.ts). */
  acceptCosignature(note: string): Promise<{ size: number; witnesses: string[] }>;
}

export const logModule: AppModule<LogUseCases> = {
  name: 'log',
  register: ({ tlog, clock }) => ({
    state: () => tlog.reader.state(),
    acceptCosignature: (note) => acceptCosignature(tlog.cosignatures, tlog.noteKey, tlog.witnesses, note, clock.now()),
  }),
};

/**
 * Model signing runs where the model is (CLI, library); the service's share
 * is storing and serving model signatures, which the evidence module does.
 */
export type ModelUseCases = Record<string, never>;

export const modelsModule: AppModule<ModelUseCases> = {
  name: 'models',
  register: () => ({}),
};

export const BUILTIN_MODULES: readonly AppModule[] = [
  evidenceModule,
  logModule,
  modelsModule,
  signalsModule,
  reachabilityModule,
  aiModule,
  reviewModule,
];
