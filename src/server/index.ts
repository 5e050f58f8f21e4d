export { buildApp, type AppOptions } from './app.js';
export { startServer, bootstrapIndex, type RunningServer, type Bootstrap } from './serve.js';
export { ServiceMetrics } from './metrics.js';
