import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AttestryError } from '../../core/errors.js';
import { logIdOf, trustedRootFor } from '../../tlog/bundle.js';
import { parseTileIndexPath, parseTileLevel } from '../../tlog/tiles.js';
import type { TimestampAuthority } from '../../tlog/tsa.js';
import type { LogUseCases } from '../../app/domains.js';
import type { TransparencyLog } from '../../app/transparency.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function uint(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9]\d{0,15})$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new AttestryError('E_INVALID_INPUT', `${name}: "${value.slice(0, 40)}" is not a non-negative integer`);
  return Number(value);
}

const ProofReply = routeSchema(
  z.object({
    index: z.int(),
    treeSize: z.int(),
    rootHash: z.string(),
    hashes: z.array(z.string()),
    checkpoint: z.string().optional(),
  }),
);
const errors = { 400: ErrorReplySchema, 404: ErrorReplySchema };

/**
 * The log's read API: C2SP tlog-tiles resources under /tlog/ (checkpoint,
 * tiles, entry bundles) and JSON conveniences under /api/v1/log/. All of it
 * is public, as a transparency log must be: monitors and auditors need no
 * token. Entries reveal payload hashes, signatures and keys, never payloads.
 */
export function tlogRoutes(app: FastifyInstance, tlog: TransparencyLog, log: LogUseCases, tsa?: TimestampAuthority): void {
  const { reader } = tlog;

  app.get(
    '/tlog/checkpoint',
    { schema: { summary: 'The signed checkpoint (C2SP tlog-checkpoint), with witness cosignatures', tags: ['log'] } },
    async (_request, reply) => {
      const state = await reader.state();
      return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache').send(state.checkpoint);
    },
  );

  const sendTile = (reply: FastifyReply, bytes: Buffer | undefined, what: string): FastifyReply => {
    if (bytes === undefined) throw new AttestryError('E_NOT_FOUND', `${what} does not exist (yet)`);
    // Tiles are append-only: a partial tile of width W never changes either.
    return reply.header('content-type', 'application/octet-stream').header('cache-control', IMMUTABLE).send(bytes);
  };

  app.get<{ Params: { '*': string } }>(
    '/tlog/tile/*',
    { schema: { summary: 'C2SP tlog-tiles: tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] (height 8)', tags: ['log'] } },
    async (request, reply) => {
      const path = request.params['*'];
      const slash = path.indexOf('/');
      if (slash < 0) throw new AttestryError('E_NOT_FOUND', `no tile ${path.slice(0, 80)}`);
      const head = path.slice(0, slash);
      const { index, width } = parseTileIndexPath(path.slice(slash + 1));
      if (head === 'entries') return sendTile(reply, await reader.entryBundle(index, width), `entry bundle ${path}`);
      return sendTile(reply, await reader.tile(parseTileLevel(head), index, width), `tile ${path}`);
    },
  );

  app.get(
    '/api/v1/log/key',
    {
      schema: {
        summary: "The log's checkpoint key: origin and signed-note verifier key",
        tags: ['log'],
        response: {
          200: routeSchema(
            z.object({
              origin: z.string(),
              verifierKey: z.string(),
              publicKeyPem: z.string(),
              logId: z.string(),
              witnesses: z.array(z.string()),
            }),
          ),
        },
      },
    },
    async () => ({
      origin: tlog.origin,
      verifierKey: tlog.key.verifierKey,
      publicKeyPem: tlog.key.publicKeyPem,
      logId: hex(logIdOf(tlog.noteKey.publicKey)),
      witnesses: tlog.witnesses.map((w) => w.name),
    }),
  );

  app.get(
    '/api/v1/log/trusted-root',
    {
      schema: {
        summary: 'A Sigstore trusted_root.json naming this log and its timestamp authority, for @sigstore/verify-style verifiers',
        tags: ['log'],
      },
    },
    async () =>
      trustedRootFor(
        tlog.noteKey.publicKey,
        tlog.origin,
        new Date(0),
        tsa === undefined ? undefined : { chainDer: tsa.chainDer, validFrom: tsa.validFrom },
      ),
  );

  app.get<{ Params: { index: string } }>(
    '/api/v1/log/entries/:index',
    {
      schema: {
        summary: 'One log entry: its RFC 6962 leaf hash and body (base64 of the canonical JSON, as Rekor serves it)',
        tags: ['log'],
        params: routeSchema(z.object({ index: z.string().max(20) })),
        response: { 200: routeSchema(z.object({ index: z.int(), leafHash: z.string(), body: z.string() })), ...errors },
      },
    },
    async (request) => {
      const index = uint(request.params.index, 'index') as number;
      const entry = await reader.entry(index);
      if (entry === undefined) throw new AttestryError('E_NOT_FOUND', `no log entry ${index}`);
      return { index, leafHash: hex(entry.leafHash), body: entry.body.toString('base64') };
    },
  );

  app.get<{ Querystring: { index?: string; leaf?: string; size?: string } }>(
    '/api/v1/log/proof/inclusion',
    {
      schema: {
        summary:
          'Inclusion proof (RFC 6962 audit path, leaf to root) for ?index= or ?leaf=<hex leaf hash>, at ?size= (default: the current checkpoint)',
        tags: ['log'],
        querystring: routeSchema(z.object({ index: z.string().optional(), leaf: z.string().optional(), size: z.string().optional() })),
        response: { 200: ProofReply, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const state = await reader.state();
      const size = uint(q.size, 'size') ?? state.size;
      let index = uint(q.index, 'index');
      if (index === undefined) {
        if (q.leaf === undefined || !/^[0-9a-f]{64}$/.test(q.leaf))
          throw new AttestryError('E_INVALID_INPUT', 'give ?index=N or ?leaf=<64 lowercase hex: the RFC 6962 leaf hash>');
        index = await reader.findLeaf(Buffer.from(q.leaf, 'hex'), size);
        if (index === undefined) throw new AttestryError('E_NOT_FOUND', `no entry with leaf hash ${q.leaf} in the first ${size} entries`);
      }
      const proof = await reader.inclusion(index, size, state);
      return {
        index,
        treeSize: proof.treeSize,
        rootHash: hex(proof.rootHash),
        hashes: proof.hashes.map(hex),
        ...(size === state.size ? { checkpoint: state.checkpoint } : {}),
      };
    },
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/api/v1/log/proof/consistency',
    {
      schema: {
        summary: 'Consistency proof (RFC 6962 §2.1.2) from tree size ?from= to ?to= (default: the current checkpoint)',
        tags: ['log'],
        querystring: routeSchema(z.object({ from: z.string(), to: z.string().optional() })),
        response: {
          200: routeSchema(z.object({ from: z.int(), to: z.int(), hashes: z.array(z.string()), rootHash: z.string() })),
          ...errors,
        },
      },
    },
    async (request) => {
      const state = await reader.state();
      const from = uint(request.query.from, 'from') as number;
      const to = uint(request.query.to, 'to') ?? state.size;
      const hashes = await reader.consistency(from, to, state);
      return { from, to, hashes: hashes.map(hex), rootHash: hex(await reader.root(to, state)) };
    },
  );

  // Signed notes travel as text; only this route accepts it (the app is JSON-only elsewhere).
  void app.register(async (scope) => {
    scope.addContentTypeParser(/^text\/plain(;.*)?$/i, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post<{ Body: string }>(
      '/api/v1/log/cosignatures',
      {
        // On the route, not the parser, so a 413 can quote it.
        bodyLimit: 64 * 1024,
        config: { accepts: 'text/plain' },
        schema: {
          summary: 'A witness submits a checkpoint this log signed, with its c2sp.org/tlog-cosignature line added (text/plain signed note)',
          tags: ['log'],
          response: { 201: routeSchema(z.object({ size: z.int(), witnesses: z.array(z.string()) })), ...errors, 422: ErrorReplySchema },
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string') throw new AttestryError('E_INVALID_INPUT', 'send the cosigned checkpoint as text/plain');
        const accepted = await log.acceptCosignature(request.body);
        return reply.code(201).send(accepted);
      },
    );
  });
}
