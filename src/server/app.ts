import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { parseJsonBounded } from '../core/bounded-json.js';
import { type AttestryError, isAttestryError } from '../core/errors.js';
import { bearerAuth, tokenSessions } from './auth.js';
import { logGrowth } from '../tlog/log-growth.js';
import { clientErrorHandler, frameworkErrors, limitedServerFactory } from './limits.js';
import type { ServiceMetrics } from './metrics.js';
import { attestationRoutes } from './routes/attestations.js';
import { keyRoutes } from './routes/keys.js';
import { opsRoutes } from './routes/ops.js';
import { timestampRoutes } from './routes/timestamp.js';
import { tlogRoutes } from './routes/tlog.js';
import { signalsRoutes, type SignalsRouteLimits } from './routes/signals.js';
import type { SignalsUseCases } from '../signals/types.js';
import type { ReachabilityUseCases } from '../signals/reach-types.js';
import { reachabilityModule } from '../app/reachability-module.js';
import { reachabilityRoutes } from './routes/signals-reachability.js';
import { aiModule } from '../app/ai-module.js';
import { aiRoutes } from './routes/ai.js';
import { reviewModule } from '../app/review-module.js';
import { reviewRoutes } from './routes/review.js';
import { signalsModule } from '../app/signals-module.js';
import { DEFAULT_SIGNALS_LIMITS } from '../signals/deps.js';
import { logModule } from '../app/domains.js';
import { consoleRoutes } from './routes/console.js';
import { consoleApiRoutes } from './routes/console-api.js';
import type { App } from '../app/open-app.js';

export interface AppOptions {
  readonly services: App;
  readonly metrics: ServiceMetrics;
  readonly logLevel?: string;
  readonly isShuttingDown?: () => boolean;
  /** Other Signals use cases or upload limits than the app's (route tests). */
  readonly signals?:
    { readonly useCases?: SignalsUseCases; readonly limits?: SignalsRouteLimits; readonly reachability?: ReachabilityUseCases } | undefined;
}

const VERSION = '0.1.0';
/** Longest path parameter: key ids go up to 128 characters, ULIDs are 26. */
const MAX_PARAM_LENGTH = 256;
const reqIdPrefix = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let reqCounter = 0;

/** Why a request failed with a 5xx, logged on its one request line (not on a line of its own). */
const failures = new WeakMap<object, Record<string, unknown>>();

/** Builds the HTTP app (not listening): routes are thin adapters over the use cases. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { services, metrics } = options;
  const isShuttingDown = options.isShuttingDown ?? (() => false);
  const config = services.config;
  const app = Fastify({
    bodyLimit: config.Server.BodyLimitBytes,
    requestIdHeader: 'x-request-id',
    // Cheap, unique per process; a caller's x-request-id is kept instead when sent.
    genReqId: () => `${reqIdPrefix}-${(++reqCounter).toString(36)}`,
    logger: {
      level: options.logLevel ?? config.Server.LogLevel,
      // Logs go to stderr so stdout stays the command's own (possibly --json) output.
      stream: process.stderr,
      // Tokens must never reach a log line.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    // One line per request (onResponse below), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Timeouts, header size and connection caps live on the Node server (see limits.ts).
    serverFactory: limitedServerFactory(config.Server),
    clientErrorHandler: clientErrorHandler(config.Server),
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });

  // Evidence is stored byte for byte, so keep the raw body beside the parsed JSON.
  // Fastify's own parsers would win for application/json; only JSON is accepted.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      // Depth is checked on the bytes before parsing, so a deep body costs one scan, not a heap.
      done(null, raw.length === 0 ? undefined : parseJsonBounded(raw, { what: 'request body' }));
    } catch (e) {
      done(e as AttestryError, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | AttestryError, request, reply) => {
    if (isAttestryError(error)) {
      if (error.httpStatus >= 500) failures.set(request, { code: error.code, err: error.message });
      return reply.code(error.httpStatus).send(error.toJSON());
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      // Bounded: the reply to a hostile body must not grow with it.
      const problems = error.validation.slice(0, 20).map((v) => `${where}${v.instancePath || ''}: ${v.message ?? 'invalid'}`);
      return reply.code(400).send({ code: 'E_INVALID_INPUT', message: `invalid ${where}: ${problems.join('; ')}`, details: { problems } });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Quote the limit of the route that refused, which may be its own (e.g. cosignatures: 64 KiB).
      const limit = request.routeOptions.bodyLimit;
      const where =
        limit === config.Server.BodyLimitBytes
          ? 'Server.BodyLimitBytes'
          : `the limit of ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
      return reply.code(413).send({ code: 'E_PAYLOAD_TOO_LARGE', message: `request body is larger than ${limit} bytes (${where})` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
      const accepts = request.routeOptions.config.accepts ?? 'application/json';
      const sent = request.headers['content-type'] ?? 'none';
      return reply
        .code(415)
        .send({ code: 'E_INVALID_INPUT', message: `Content-Type ${sent.slice(0, 100)} is not accepted here: send the body as ${accepts}` });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      const code = error.statusCode === 415 ? 'E_INVALID_INPUT' : error.statusCode === 404 ? 'E_NOT_FOUND' : 'E_INVALID_INPUT';
      return reply.code(error.statusCode).send({ code, message: error.message });
    }
    failures.set(request, { code: 'E_INTERNAL', err: error.message, stack: error.stack });
    return reply.code(500).send({ code: 'E_INTERNAL', message: 'internal error; see the server log for request ' + request.id });
  });

  // Once shutdown has begun, tell keep-alive clients to go, so closing does
  // not wait for idle connections to time out.
  app.addHook('onSend', async (_request, reply) => {
    if (isShuttingDown()) void reply.header('connection', 'close');
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'E_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.addHook('onResponse', async (request, reply) => {
    // Probes and scrapes poll all day; they are logged only at debug.
    const route = request.routeOptions.url;
    const failure = failures.get(request);
    const level = failure !== undefined ? 'error' : route === '/healthz' || route === '/readyz' || route === '/metrics' ? 'debug' : 'info';
    const path = (request.url.split('?')[0] ?? '').slice(0, 512);
    request.log[level](
      { method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...failure },
      failure === undefined ? 'request' : 'request failed',
    );
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'attestry', version: VERSION, description: 'Sign, record and verify evidence for the software and AI supply chain.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'attestry API token (attestry token create)' } },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const requireAuth = bearerAuth(services.repos.tokens, services.clock);
  opsRoutes(app, services, metrics, isShuttingDown);
  keyRoutes(app, services.keyring, services.signingKey.keyId);
  attestationRoutes(app, services.locker, requireAuth);
  await signalsRoutes(
    app,
    options.signals?.useCases ?? services.useCases(signalsModule),
    requireAuth,
    options.signals?.limits ?? DEFAULT_SIGNALS_LIMITS,
  );
  await reachabilityRoutes(app, options.signals?.reachability ?? services.useCases(reachabilityModule), requireAuth, {
    vexAuthor: config.Signals.Reachability.VexAuthor,
    maxSymbols: config.Signals.Reachability.MaxSymbolsPerQuery,
  });
  await aiRoutes(app, services.useCases(aiModule), requireAuth, config.advisoryAi.limits);
  await reviewRoutes(app, services.useCases(reviewModule), requireAuth, config.advisoryAi.limits);
  tlogRoutes(app, services.tlog, services.useCases(logModule), services.tsa);
  await timestampRoutes(app, services.tsa);
  await consoleRoutes(
    app,
    { sessions: tokenSessions(services.repos.tokens, services.clock), clock: services.clock, kinds: services.kinds },
    requireAuth,
  );
  await consoleApiRoutes(
    app,
    {
      locker: services.locker,
      signals: options.signals?.useCases ?? services.useCases(signalsModule),
      review: services.useCases(reviewModule),
      keyring: services.keyring,
      logKey: services.tlog.noteKey,
      logReader: services.tlog.reader,
      witnesses: services.tlog.witnesses,
      growth: (points) => logGrowth(services.index.db, points),
      metrics,
    },
    requireAuth,
  );
  return app;
}
