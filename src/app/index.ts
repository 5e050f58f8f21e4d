/** The composition root: what the server and the CLI open, in one place. */
export { openApp, type App, type AppCore, type AppDeps } from './open-app.js';
export { openIndexServices, startupError, type IndexServices, type IndexDeps, type Repos } from './index-services.js';
export { appSettings, databaseSettings, signingAlgorithm, type AppSettings, type WriterChoice } from './settings.js';
export { keyringFor, logKeyringFor, openTimestampAuthority, openTransparencyLog, type TransparencyLog } from './transparency.js';
export { evidencePolicy, EVIDENCE_WRITE_SWITCH, LOG_SWITCH, type EvidencePolicy } from './evidence-policy.js';
export { RegisteredModules, type AppModule } from './modules.js';
export {
  BUILTIN_MODULES,
  evidenceModule,
  logModule,
  modelsModule,
  type EvidenceUseCases,
  type LogUseCases,
  type ModelUseCases,
} from './domains.js';
export { bootstrapIndex, type Bootstrap } from './bootstrap.js';
export type { RunningService, ServiceLog, StartService } from './service.js';
