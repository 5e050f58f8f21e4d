import { z } from 'zod';
import { REACHABILITY_STATES } from '../../signals/reach-types.js';
import { ReachabilityDerivationSchema } from '../../signals/reach-verdict.js';

/**
 * The wire shapes of the reachability routes (docs/reachability.md), for
 * validation and the OpenAPI document. Query strings are text and the app's
 * ajv does not coerce, so numbers and booleans are patterns here, read by
 * the route; `symbol` may be repeated, so it is a string or a list. What a
 * value means (a known callgraph, a PURL, an instant) is the use cases' and
 * parseWindow's to check, with their messages.
 */

const text = (max: number) => z.string().min(1).max(max);
const Id = z.string().min(1).max(64).describe('ULID');
const Flag = z.enum(['true', 'false', '1', '0']);
/** A positive count in a query string (thresholds). */
const Count = z.string().regex(/^[1-9][0-9]{0,8}$/);
const Instant = z.string().max(64);
/** Symbol ids are the graph's node ids or symbols: long (JVM signatures), never unbounded. */
export const MAX_SYMBOL_LENGTH = 4096;
const Symbol = text(MAX_SYMBOL_LENGTH);
/** The most symbols the schema lets through; the configured Signals.Reachability.MaxSymbolsPerQuery (≤ this) is checked by the route. */
const SCHEMA_MAX_SYMBOLS = 10_000;

export const ReachabilityFormat = z.enum(['json', 'openvex']);

export const AskReachabilityQuery = z.object({
  tenant: text(128).describe("the callgraph's tenant; defaults to the token's only tenant").optional(),
  callgraph_id: Id.describe('the stored callgraph to answer on (give this or purl)').optional(),
  purl: text(2048).describe("a component's Package URL: its newest stored callgraph is used (give this or callgraph_id)").optional(),
  symbol: z
    .union([Symbol, z.array(Symbol).max(SCHEMA_MAX_SYMBOLS)])
    .describe('a symbol id (node symbol, or node id for nodes without one); repeat for several')
    .optional(),
  vulnerability: text(256).describe('the vulnerability the symbols stand for (OSV id, CVE), recorded in the answer').optional(),
  since: Instant.describe('ISO 8601: only batches received at or after it count as runtime evidence').optional(),
  until: Instant.describe('ISO 8601: only batches received at or before it count').optional(),
  min_batches: Count.describe('batches the window needs before "not seen" counts (default Signals.Reachability.MinBatches)').optional(),
  min_sources: Count.describe(
    'distinct sources the window needs before "not seen" counts (default Signals.Reachability.MinSources)',
  ).optional(),
  attest: Flag.describe('store each answer as a signed, logged verdict chained to the previous one (needs write access)').optional(),
  format: ReachabilityFormat.describe('json (default) or openvex: one OpenVEX 0.2.0 document for all symbols').optional(),
});

export const AskReachabilityBody = z
  .object({
    tenant: text(128).optional(),
    callgraphId: Id.optional(),
    purl: text(2048).optional(),
    symbols: z.array(Symbol).max(SCHEMA_MAX_SYMBOLS).optional(),
    osv: z
      .looseObject({})
      .describe(
        'an OSV advisory (https://ossf.github.io/osv-schema/): symbols are taken from affected[].ecosystem_specific.imports[].symbols and the fields docs/reachability.md lists',
      )
      .optional(),
    vulnerability: text(256).optional(),
    since: Instant.optional(),
    until: Instant.optional(),
    minBatches: z.int().min(1).optional(),
    minSources: z.int().min(1).optional(),
    attest: z.boolean().optional(),
    format: ReachabilityFormat.optional(),
  })
  .describe('callgraphId or purl, and symbols and/or osv; at most 1 MiB of JSON, 32 levels deep');

/** The body's fields, so an unknown one (a typo such as `symbol`) is refused by name instead of ignored. */
export const BODY_FIELDS: readonly string[] = Object.keys(AskReachabilityBody.shape);

export const HistoryQuery = z.object({
  tenant: text(128).optional(),
  callgraph_id: Id,
  symbol: Symbol,
});

export const VerdictParams = z.object({ id: Id });

// ---------------------------------------------------------------- replies (documentation)

const State = z.enum(REACHABILITY_STATES);
const Link = z.object({ attestationId: z.string(), digest: z.string() });

// The derivation's fields are the verdict predicate's (reach-verdict.ts), so the document cannot drift from what is signed.
export const ReachabilityAnswerReply = ReachabilityDerivationSchema.extend({
  path: z.array(z.string()).describe('symbols from an entry point to the symbol; empty when there is no path'),
  decidedAt: z.string(),
  attestationId: z.string().describe('with attest: the verdict record').optional(),
  verdictDigest: z.string().optional(),
  logIndex: z.int().nullable().optional(),
  rekorUuid: z.string().nullable().optional(),
  sequence: z.int().optional(),
  previous: Link.nullable().optional(),
  created: z.boolean().describe('false: the newest verdict already said this on the same evidence, and is returned').optional(),
}).describe('one symbol’s answer');

export const ReachabilityResultReply = z
  .looseObject({
    callgraphId: z.string(),
    componentPurl: z.string(),
    vulnerability: z.string().nullable(),
    results: z.array(ReachabilityAnswerReply),
  })
  .describe('several symbols (always for POST)');

export const OpenVexReply = z
  .looseObject({
    '@context': z.literal('https://openvex.dev/ns/v0.2.0'),
    '@id': z.string(),
    author: z.string(),
    timestamp: z.string(),
    version: z.int(),
    statements: z.array(z.looseObject({})),
  })
  .describe('format=openvex: one OpenVEX 0.2.0 document');

export const HistoryReply = z.looseObject({
  callgraphId: z.string(),
  symbol: z.string(),
  verdicts: z.array(
    z.looseObject({
      sequence: z.int(),
      attestationId: z.string(),
      digest: z.string(),
      previous: Link.nullable(),
      state: State,
      decidedAt: z.string(),
      logIndex: z.int().nullable(),
      rekorUuid: z.string().nullable(),
    }),
  ),
  chainOk: z.boolean().describe("each verdict's previous names the one before it, checked against the stored envelopes"),
});

export const VerdictReply = z.looseObject({
  predicate: z.looseObject({ state: State, sequence: z.int(), evidenceDigest: z.string() }),
  envelope: z.looseObject({ payloadType: z.string(), payload: z.string(), signatures: z.array(z.looseObject({})) }),
});

export type AskReachabilityQueryT = z.input<typeof AskReachabilityQuery>;
export type AskReachabilityBodyT = z.input<typeof AskReachabilityBody>;
export type HistoryQueryT = z.input<typeof HistoryQuery>;
export type VerdictParamsT = z.input<typeof VerdictParams>;
