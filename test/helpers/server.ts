/** Starts the real attestry service in-process on a free port, on a fresh data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { issueToken } from '../../src/authz/tokens.js';
import { signEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { generateKeyPair, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { createSigner, type NodeSigner, type Signer } from '../../src/crypto/signer.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  /** Adds a tenant straight in the index. */
  addTenant(id: string): Promise<void>;
  /** Issues a token straight in the index and returns the bearer secret. */
  token(principal: string, tenants: string[], expiresAt?: Date): Promise<string>;
  /** Registers a trusted key for a tenant and returns a signer for it. */
  trustNewKey(tenant: string, keyId: string, algorithm?: NodeKeyAlgorithm): Promise<NodeSigner>;
  /** fetch() against the server with an optional bearer token. */
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> },
  ): Promise<{ status: number; json: unknown; text: string; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * `env` lets a test set config through ATTESTRY__* variables (e.g. to use
 * PostgreSQL or S3) without touching the process environment.
 */
export async function startTestServer(
  options: { env?: NodeJS.ProcessEnv; dataDir?: string; keepDataDir?: boolean; configure?: (config: ResolvedConfig) => void } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'attestry-srv-'));
  const config: ResolvedConfig = loadConfig({ env: { ...(options.env ?? {}) }, dataDir, port: 0 });
  config.Server.LogLevel = 'silent';
  options.configure?.(config);
  const server = await startServer(config, { logLevel: 'silent' });
  const s = server.services;
  return {
    ...server,
    dataDir,
    addTenant: async (id) => {
      await s.repos.tenants.add(id, null, s.clock.now());
    },
    token: async (principal, tenants, expiresAt) => (await issueToken(s.repos, { principal, tenants, expiresAt }, s)).token,
    trustNewKey: async (tenant, keyId, algorithm = 'ed25519') => {
      const pair = generateKeyPair(algorithm);
      await trustPublicKey(s.repos.trustedKeys, tenant, keyId, pair.publicKey, s.clock.now());
      return createSigner(pair.privateKey, keyId);
    },
    request: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
      let body: string | Buffer | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text, headers: response.headers };
    },
    stop: async () => {
      await server.close();
      if (options.keepDataDir !== true && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed in-toto statement about `subjectHex` with the given predicate type. */
export function signedStatement(
  signer: Signer,
  subjectHex: string,
  predicateType = 'https://example.com/test/v1',
  predicate: unknown = { n: Math.random() },
): DsseEnvelope {
  const statement = buildStatement([{ name: 'artifact', digest: { sha256: subjectHex } }], predicateType, predicate);
  return signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), [signer]);
}

/** Predicate types that map to each evidence kind reachable through POST /api/v1/attestations. */
export const PREDICATE_FOR_KIND = {
  attestations: 'https://stella.ops/attestation/runtime-facts/v1',
  'model-signatures': 'https://model_signing/signature/v1.0',
  'ai-attestations': 'https://stellaops.org/attestation/ai-artifact/v1',
} as const;
