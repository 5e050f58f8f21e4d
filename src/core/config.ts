import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { AttestryError } from './errors.js';

/**
 * attestry's configuration: `etc/attestry.yaml` (shape per DESIGN.md, with
 * the `Signals:` section of seed 000 §9), then environment overrides, then
 * command-line flags. Every validation error names the key and where the
 * value came from (file path or environment variable).
 */
const positiveInt = z.number().int().positive();

/**
 * Seed 002 "Configuration for Determinism" and "Signing Configuration": the
 * `advisoryAi:` section (camelCase, as the seed writes it). `inference.local`
 * is the node-llama-cpp backend, `inference.remote` an OpenAI-compatible
 * server; a request or CLI flag may name another model or endpoint.
 */
const AdvisoryAiSchema = z
  .object({
    attestations: z
      .object({
        // Refuse to generate with settings that break seed 002's rules (temperature ≠ 0, no seed).
        requireDeterminism: z.boolean().default(true),
        defaultSeed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .default(42),
        sign: z.boolean().default(true),
        keyId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (max 128)')
          .default('attestry-ai-signer'),
        cryptoScheme: z.enum(['ed25519', 'ecdsa-p256', 'sm2', 'gost3410']).default('ed25519'),
      })
      .strict()
      .prefault({}),
    inference: z
      .object({
        // Which backend a request without its own uses.
        default: z.enum(['local', 'remote']).default('local'),
        local: z
          .object({
            modelPath: z.string().min(1).nullable().default(null),
            temperature: z.number().min(0).max(2).default(0),
            seed: z
              .number()
              .int()
              .min(0)
              .max(2 ** 32 - 1)
              .nullable()
              .default(42),
            topK: positiveInt.default(1),
            topP: z.number().gt(0).max(1).default(1),
            maxTokens: positiveInt.max(32768).default(512),
            threads: positiveInt.max(256).nullable().default(null),
            contextSize: positiveInt.max(131072).default(2048),
            batchSize: positiveInt.max(131072).default(512),
          })
          .strict()
          .prefault({}),
        remote: z
          .object({
            endpoint: z.url().nullable().default(null),
            model: z.string().min(1).nullable().default(null),
            // The name of an environment variable holding the bearer token (never the token itself).
            apiKeyEnv: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
              .nullable()
              .default(null),
            weightsDigest: z
              .string()
              .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex>')
              .nullable()
              .default(null),
            timeoutSeconds: positiveInt.max(3600).default(300),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        // A finding or context pack larger than this is refused (E_TOO_LARGE naming the limit).
        maxFindingBytes: positiveInt.default(256 * 1024),
        maxContextDocuments: positiveInt.max(1000).default(64),
        maxContextBytes: positiveInt.default(4 * 1024 * 1024),
        // Generations running at once on one node; more wait (local inference is CPU-bound).
        concurrency: positiveInt.max(64).default(1),
      })
      .strict()
      .prefault({}),
    // Issue 17: human review of AI drafts and VEX publishing (docs/review.md).
    review: z
      .object({
        // The principal that asked for a generation may not approve it.
        requireDistinctReviewer: z.boolean().default(false),
        // Distinct reviewers whose approval makes a draft human-approved.
        approvalsRequired: positiveInt.max(16).default(1),
        // Whether a vex_draft that ground truth verified (ai-verified) may be published without a reviewer's approval.
        publishVerified: z.boolean().default(false),
        // The `author` of published OpenVEX documents.
        vexAuthor: z.string().min(1).max(256).default('attestry'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const SignalsSchema = z
  .object({
    CAS: z
      .object({
        BucketPrefix: z.string().default('cas://signals'),
        WriteEnabled: z.boolean().default(true),
        RetentionDays: z
          .object({ RuntimeFacts: positiveInt.default(90), OrphanCallgraphs: positiveInt.default(30) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    Provenance: z
      .object({
        Enabled: z.boolean().default(true),
        SignManifests: z.boolean().default(true),
        AttestBatches: z.boolean().default(true),
        RekorEnabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    Signing: z
      .object({
        KeyId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (max 128)')
          .default('signals-signer-2025-001'),
        Algorithm: z.enum(['ECDSA-P256-SHA256', 'Ed25519']).default('ECDSA-P256-SHA256'),
      })
      .strict()
      .prefault({}),
    // Reachability answers (docs/reachability.md): not in seed 000 §9, this product's keys.
    Reachability: z
      .object({
        // "Not seen at runtime" is evidence only with this much coverage in the window.
        MinBatches: positiveInt.default(1),
        MinSources: positiveInt.default(1),
        // Graph indexes kept in memory (least recently used go first).
        IndexCacheMiB: positiveInt.default(512),
        MaxSymbolsPerQuery: positiveInt.max(10_000).default(1_000),
        // A window holding more batches than this is narrowed to the newest ones (its `since` moves up).
        MaxWindowBatches: positiveInt.max(100_000).default(1_000),
        VexAuthor: z.string().min(1).max(256).default('attestry'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const ConfigSchema = z
  .object({
    DataDir: z.string().min(1).nullable().default(null),
    Server: z
      .object({
        Host: z.string().min(1).default('127.0.0.1'),
        Port: z.number().int().min(0).max(65535).default(8080),
        BodyLimitBytes: positiveInt.default(4 * 1024 * 1024),
        LogLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        ShutdownGraceMs: positiveInt.default(10_000),
        // Requests that never finish must not hold a connection (issue 12): Node answers 408 past these.
        RequestTimeoutMs: positiveInt.default(60_000),
        HeadersTimeoutMs: positiveInt.default(10_000),
        KeepAliveTimeoutMs: positiveInt.default(5_000),
        IdleTimeoutMs: positiveInt.default(60_000),
        MaxHeaderBytes: positiveInt.default(16_384),
        MaxConnections: positiveInt.default(1_000),
        MaxConnectionsPerClient: positiveInt.default(500),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.HeadersTimeoutMs > s.RequestTimeoutMs)
          ctx.addIssue({
            code: 'custom',
            path: ['HeadersTimeoutMs'],
            message: `must not exceed Server.RequestTimeoutMs (${s.RequestTimeoutMs})`,
          });
        if (s.MaxConnectionsPerClient > s.MaxConnections)
          ctx.addIssue({
            code: 'custom',
            path: ['MaxConnectionsPerClient'],
            message: `must not exceed Server.MaxConnections (${s.MaxConnections})`,
          });
      })
      .prefault({}),
    Storage: z
      .object({
        Blob: z
          .object({
            Backend: z.enum(['filesystem', 's3']).default('filesystem'),
            Root: z.string().min(1).nullable().default(null),
            S3: z
              .object({
                Endpoint: z.url().nullable().default(null),
                Region: z.string().min(1).default('us-east-1'),
                ForcePathStyle: z.boolean().default(true),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        Database: z
          .object({
            Driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
            Path: z.string().min(1).nullable().default(null),
            Url: z.string().min(1).nullable().default(null),
            Schema: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
              .default('public'),
            PoolSize: positiveInt.default(10),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    // Locker-wide: false refuses every evidence write (E_READ_ONLY naming this key); reads go on.
    Evidence: z
      .object({ WriteEnabled: z.boolean().default(true) })
      .strict()
      .prefault({}),
    Log: z
      .object({
        // Log-wide: false stores every record unlogged, its skipReason naming this key.
        Enabled: z.boolean().default(true),
        // C2SP tlog-checkpoint origin and note key name: a schema-less URL, never changed once entries exist.
        Origin: z
          .string()
          .regex(/^[^\s+]{1,255}$/, 'non-empty, without spaces or "+"')
          .default('attestry.local/log'),
        KeyId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (max 128)')
          .default('attestry-log-ed25519'),
        // Witness verifier keys (vkey text, signature type 0x04) whose cosignatures the log accepts and serves.
        Witnesses: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    // Garbage collection inside the service (the same run as `attestry gc`): retention of
    // every kind, then blobs nothing references. Several nodes may run it at once.
    Gc: z
      .object({
        Enabled: z.boolean().default(true),
        IntervalMinutes: positiveInt.default(60),
        // Blobs younger than this are never orphans (their write may still be in flight).
        MinAgeSeconds: positiveInt.default(3600),
      })
      .strict()
      .prefault({}),
    Signals: SignalsSchema.prefault({}),
    advisoryAi: AdvisoryAiSchema.prefault({}),
  })
  .strict();

export type AttestryConfig = z.output<typeof ConfigSchema>;

/** Resolved config with the data directory and derived paths filled in. */
export interface ResolvedConfig extends AttestryConfig {
  readonly dataDir: string;
  readonly source: string;
}

export interface LoadConfigOptions {
  /** Explicit file (`--config`); else ATTESTRY_CONFIG; else none (defaults). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Flag overrides, applied last: `--data-dir`, `--port`. */
  readonly dataDir?: string | undefined;
  readonly port?: number | undefined;
  readonly cwd?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  refuseEmptyVariables(env);
  const file = options.file ?? env.ATTESTRY_CONFIG;
  const raw: Record<string, unknown> = file === undefined ? {} : readYamlFile(resolve(cwd, file));
  const origins = new Map<string, string>();
  const envText = new Map<string, string>();
  applyEnvOverrides(raw, env, origins, envText);
  let parsed = ConfigSchema.safeParse(raw);
  // Environment values are typed by their look (8080 → number, false →
  // boolean); where the schema wanted a string, use the text as written.
  const retyped = parsed.success
    ? []
    : parsed.error.issues.filter((i) => i.code === 'invalid_type' && i.expected === 'string' && envText.has(i.path.join('.')));
  if (retyped.length > 0) {
    for (const issue of retyped) setPath(raw, issue.path.map(String), envText.get(issue.path.join('.')));
    parsed = ConfigSchema.safeParse(raw);
  }
  if (!parsed.success) {
    // A key set from the environment (ATTESTRY__server__Port sets `server`, an
    // unknown key) is blamed on that variable, not on the file or the defaults.
    const whereOf = (key: string): string => {
      const exact = origins.get(key);
      if (exact !== undefined) return exact;
      for (const [k, origin] of origins) if (k.startsWith(`${key}.`)) return origin;
      return file === undefined ? 'defaults' : file;
    };
    const problems = parsed.error.issues.flatMap((issue) => {
      const key = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => {
          const full = key === '' ? k : `${key}.${k}`;
          const known = knownKeys(issue.path.map(String));
          const near = known.find((name) => name.toLowerCase() === k.toLowerCase());
          const hint =
            near !== undefined
              ? ` (keys are case-sensitive: did you mean ${key === '' ? near : `${key}.${near}`}?)`
              : known.length > 0
                ? ` (known here: ${known.join(', ')})`
                : '';
          return `${whereOf(full)}: ${full}: unknown key${hint}`;
        });
      }
      return [`${whereOf(key)}: ${key === '' ? '(root)' : key}: ${issue.message}`];
    });
    throw new AttestryError('E_CONFIG', `invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  const config = parsed.data;
  refuseMeaninglessCombinations(raw, config, file);
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new AttestryError('E_CONFIG', `--port: ${options.port} is not a TCP port (0-65535)`);
    }
    config.Server.Port = options.port;
  }
  const dataDirInput = options.dataDir ?? env.ATTESTRY_DATA_DIR ?? config.DataDir ?? '.attestry/data';
  const dataDir = isAbsolute(dataDirInput) ? dataDirInput : resolve(cwd, dataDirInput);
  if (config.Storage.Database.Driver === 'postgres' && config.Storage.Database.Url === null) {
    throw new AttestryError(
      'E_CONFIG',
      `${origins.get('Storage.Database.Driver') ?? file ?? 'configuration'}: Storage.Database.Url: required when Storage.Database.Driver is postgres (or set ATTESTRY_DATABASE_URL)`,
    );
  }
  // A database key the chosen driver never reads would be silently ignored.
  const database = config.Storage.Database;
  const unused = database.Driver === 'sqlite' ? (database.Url === null ? undefined : 'Url') : database.Path === null ? undefined : 'Path';
  if (unused !== undefined) {
    const key = `Storage.Database.${unused}`;
    throw new AttestryError(
      'E_CONFIG',
      `${origins.get(key) ?? file ?? 'configuration'}: ${key}: not used with Storage.Database.Driver ${database.Driver} (${unused === 'Url' ? 'set Driver: postgres, or remove Url' : 'PostgreSQL has no file; remove Path'})`,
    );
  }
  return { ...config, dataDir, source: file ?? 'defaults' };
}

/**
 * Seed 000 §9's `SignManifests` and `AttestBatches` are steps of Signals
 * provenance: set to true while `Enabled` is false they could never take
 * effect, so the file says something the service would not do.
 * Only values written in the file or environment count: their defaults
 * (true) simply follow `Enabled`.
 */
function refuseMeaninglessCombinations(raw: Record<string, unknown>, config: AttestryConfig, file: string | undefined): void {
  if (config.Signals.Provenance.Enabled) return;
  const written = pathValue(raw, ['Signals', 'Provenance']);
  const problems = (['SignManifests', 'AttestBatches'] as const)
    .filter((key) => typeof written === 'object' && written !== null && (written as Record<string, unknown>)[key] === true)
    .map((key) => `Signals.Provenance.${key}: true needs Signals.Provenance.Enabled: true (set one of them differently)`);
  if (problems.length > 0)
    throw new AttestryError('E_CONFIG', `invalid configuration: ${problems.map((p) => `${file ?? 'environment'}: ${p}`).join('; ')}`, {
      details: { problems },
    });
}

function pathValue(root: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function readYamlFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AttestryError(
      'E_CONFIG',
      `cannot read configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AttestryError('E_CONFIG', `${path}: not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new AttestryError('E_CONFIG', `${path}: the top level must be a mapping`);
  return value as Record<string, unknown>;
}

/**
 * `ATTESTRY__Signals__Signing__KeyId=x` sets Signals.Signing.KeyId (the
 * double-underscore convention of .NET configuration, which the seed's
 * config shape comes from). Values are read as YAML scalars so `false` and
 * `8080` get their types. A few short names cover the common cases.
 */
function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  origins: Map<string, string>,
  envText: Map<string, string>,
): void {
  const set = (path: string[], text: string, origin: string, typed: unknown = scalar(text)): void => {
    setPath(raw, path, typed);
    origins.set(path.join('.'), `environment ${origin}`);
    envText.set(path.join('.'), text);
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith('ATTESTRY__')) continue;
    const path = name.slice('ATTESTRY__'.length).split('__').filter(Boolean);
    if (path.length > 0) set(path, value, name);
  }
  if (env.ATTESTRY_DATABASE_URL) {
    set(['Storage', 'Database', 'Driver'], 'postgres', 'ATTESTRY_DATABASE_URL');
    set(['Storage', 'Database', 'Url'], env.ATTESTRY_DATABASE_URL, 'ATTESTRY_DATABASE_URL', env.ATTESTRY_DATABASE_URL);
  }
  if (env.ATTESTRY_PORT) set(['Server', 'Port'], env.ATTESTRY_PORT, 'ATTESTRY_PORT');
}

/** An empty variable is a mistake (a typo in a script, an unset secret), not "use the default". */
function refuseEmptyVariables(env: NodeJS.ProcessEnv): void {
  const names = Object.entries(env)
    .filter(([name, value]) => value === '' && (name.startsWith('ATTESTRY__') || ATTESTRY_VARIABLES.includes(name)))
    .map(([name]) => name);
  if (names.length === 0) return;
  const one = names.length === 1;
  throw new AttestryError(
    'E_CONFIG',
    `environment variable ${names.join(', ')} ${one ? 'is' : 'are'} set but empty: give a value or unset ${one ? 'it' : 'them'}`,
    {
      details: { variables: names },
    },
  );
}

/** The short variables loadConfig reads besides ATTESTRY__<Section>__<Key>. */
const ATTESTRY_VARIABLES: readonly string[] = ['ATTESTRY_CONFIG', 'ATTESTRY_DATA_DIR', 'ATTESTRY_DATABASE_URL', 'ATTESTRY_PORT'];

/** The keys the schema allows at `path` (for "did you mean"), or none when it is not an object there. */
function knownKeys(path: readonly string[]): string[] {
  let schema: unknown = ConfigSchema;
  for (const part of path) {
    const shape = objectShape(schema);
    if (shape === undefined) return [];
    schema = shape[part];
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  // Unwrap zod's default/prefault/pipe/refine wrappers down to the object.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 8 && s !== undefined; i++) {
    if (s.shape !== undefined) return s.shape;
    s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  }
  return undefined;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function scalar(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}
