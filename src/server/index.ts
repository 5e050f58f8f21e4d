export { buildApp, type AppOptions } from './app.js';
export { startServer, bootstrapIndex, type RunningServer, type Bootstrap } from './serve.js';
export { openServices, openIndexServices, keyringFor, type Services, type IndexServices, type Repos } from './services.js';
export { ServiceMetrics } from './metrics.js';
