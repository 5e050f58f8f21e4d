import { Readable } from 'node:stream';
import { z } from 'zod';
import { actsFor, type Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import type { BatchesRepo, BatchRow } from '../store/db/batches-repo.js';
import { openRawContent, RUNTIME_FACTS_KIND } from './batch-blobs.js';
import type { SignalsDeps } from './deps.js';
import { factLines } from './facts-input.js';
import type { StreamFactsQuery } from './types.js';

/**
 * GET /signals/runtime-facts/ndjson (seed 000 §6.2, §6.3): the facts of the
 * stored batches the principal may read, one JSON object per line, batches
 * in batch id order. Memory stays flat for any result: batch rows are read
 * a page at a time, each batch's blob is decompressed as it streams, and the
 * body is a pull stream (the next bytes are produced when the client has
 * taken the last ones). Lines are copied as stored; `include_provenance`
 * splices `provenance_hash` and `callgraph_id` into the line text rather
 * than re-serialising it (the streaming goal is 500,000 facts/s).
 */

/** Output is handed on in pieces of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;
const ROWS_PER_QUERY = 256;
/** A limited page also ends after this many batches, so a page's batch list stays small. */
const MAX_PAGE_BATCHES = 10_000;

const CursorSchema = z.object({ v: z.literal(1), after: z.string() }).strict();

export function encodeCursor(afterBatchId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: afterBatchId }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      'cursor: not a cursor this server issued; pass the `next` value of the previous page unchanged',
    );
  }
  return parseUlid(parsed.data.after, 'cursor');
}

function parseSince(since: string | undefined): { iso: string; ms: number } | undefined {
  if (since === undefined) return undefined;
  const ms = Date.parse(since);
  if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(ms)) {
    throw new AttestryError('E_INVALID_INPUT', `since: "${since.slice(0, 40)}" is not an ISO-8601 time such as 2025-12-19T10:00:00Z`);
  }
  return { iso: new Date(ms).toISOString(), ms };
}

function parseLimit(limit: number | undefined): number {
  if (limit === undefined) return 0;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new AttestryError('E_INVALID_INPUT', `limit: ${limit} is not a non-negative integer`);
  return limit;
}

export async function streamFacts(
  d: SignalsDeps,
  batches: BatchesRepo,
  principal: Principal,
  q: StreamFactsQuery,
): Promise<{ next: string | undefined; body: Readable }> {
  if (!d.kinds.can(principal.role, RUNTIME_FACTS_KIND, 'read')) {
    throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not read ${RUNTIME_FACTS_KIND}`, {
      details: { role: principal.role, kind: RUNTIME_FACTS_KIND, action: 'read' },
    });
  }
  let tenants: readonly string[] | '*' = principal.tenants;
  if (q.tenant !== undefined) {
    const t = parseTenantId(q.tenant);
    // A tenant outside the token's reach simply has no facts for it (as the locker's searches).
    tenants = actsFor(principal, t) ? [t] : [];
  }
  const filter = {
    tenants,
    callgraphId: q.callgraphId === undefined ? undefined : parseUlid(q.callgraphId, 'callgraph_id'),
    since: parseSince(q.since),
  };
  const start = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const limit = parseLimit(q.limit);
  const list = (after: string | undefined, n: number): Promise<BatchRow[]> =>
    batches.list({ tenants: filter.tenants, callgraphId: filter.callgraphId, since: filter.since?.iso, after, limit: n });

  let rows: AsyncIterable<BatchRow> | Iterable<BatchRow>;
  let next: string | undefined;
  if (limit === 0) {
    rows = allRows(list, start);
  } else {
    const page = await selectPage(list, start, limit);
    rows = page.rows;
    next = page.next;
  }
  const body = Readable.from(factText(d, batches, rows, filter.since, q.includeProvenance), {
    objectMode: false,
    highWaterMark: CHUNK_CHARS,
  });
  return { next, body };
}

async function* allRows(
  list: (after: string | undefined, n: number) => Promise<BatchRow[]>,
  start: string | undefined,
): AsyncGenerator<BatchRow> {
  let after = start;
  for (;;) {
    const rows = await list(after, ROWS_PER_QUERY);
    yield* rows;
    if (rows.length < ROWS_PER_QUERY) return;
    after = rows[rows.length - 1]?.batchId;
  }
}

/** Batches until their facts reach `limit` (the page ends at that batch's end), and the cursor after them if more follow. */
async function selectPage(
  list: (after: string | undefined, n: number) => Promise<BatchRow[]>,
  start: string | undefined,
  limit: number,
): Promise<{ rows: BatchRow[]; next: string | undefined }> {
  const page: BatchRow[] = [];
  let facts = 0;
  let after = start;
  let exhausted = false;
  while (facts < limit && page.length < MAX_PAGE_BATCHES) {
    const want = Math.min(ROWS_PER_QUERY, MAX_PAGE_BATCHES - page.length);
    const rows = await list(after, want);
    for (const row of rows) {
      page.push(row);
      facts += row.factCount;
      if (facts >= limit) break;
    }
    after = page[page.length - 1]?.batchId;
    if (rows.length < want && facts < limit) {
      exhausted = true;
      break;
    }
  }
  const last = page[page.length - 1]?.batchId;
  if (exhausted || last === undefined) return { rows: page, next: undefined };
  const more = await list(last, 1);
  return { rows: page, next: more.length > 0 ? encodeCursor(last) : undefined };
}

/** `,"provenance_hash":…,"callgraph_id":…}` for one batch, spliced before each line's closing brace. */
const provenanceSuffix = (row: BatchRow): string =>
  `,"provenance_hash":${JSON.stringify(row.provenanceHash)},"callgraph_id":${JSON.stringify(row.callgraphId)}}`;

/**
 * The line with the two fields added. Re-serialised only when splicing could
 * produce something other than one JSON object with unique keys: a line that
 * already names one of the fields (unknown fields are kept), or `{}`. Lines
 * never hold a newline (NDJSON lines are split on it; document events are
 * JSON.stringify output).
 */
export function withProvenance(line: string, suffix: string, row: BatchRow): string {
  const end = line.lastIndexOf('}');
  let before = end - 1;
  while (before >= 0 && line.charCodeAt(before) <= 0x20) before--;
  if (end < 0 || line.charCodeAt(before) === 0x7b || line.includes('"provenance_hash"') || line.includes('"callgraph_id"')) {
    const fact: unknown = JSON.parse(line);
    const fields = typeof fact === 'object' && fact !== null && !Array.isArray(fact) ? fact : { fact };
    return JSON.stringify({ ...fields, provenance_hash: row.provenanceHash, callgraph_id: row.callgraphId });
  }
  return `${line.slice(0, end)}${suffix}${line.slice(end + 1)}`;
}

/** When a fact was observed for `since`: its observedAt, or (lacking one) when its batch was received. */
function observedAfter(line: string, sinceMs: number, receivedMs: number): boolean {
  const fact: unknown = JSON.parse(line);
  const observed = typeof fact === 'object' && fact !== null ? (fact as { observedAt?: unknown }).observedAt : undefined;
  const ms = typeof observed === 'string' ? Date.parse(observed) : receivedMs;
  return ms > sinceMs;
}

/**
 * The batch's raw bytes, or undefined when retention deleted the batch after
 * the page was listed (its row is gone): a rolling GC is not damage.
 */
async function openUnlessExpired(d: SignalsDeps, batches: BatchesRepo, row: BatchRow): Promise<AsyncIterable<Buffer> | undefined> {
  try {
    return await openRawContent(d, row);
  } catch (e) {
    if ((await batches.get(row.batchId)) === undefined) return undefined;
    throw e;
  }
}

async function* factText(
  d: SignalsDeps,
  batches: BatchesRepo,
  rows: AsyncIterable<BatchRow> | Iterable<BatchRow>,
  since: { iso: string; ms: number } | undefined,
  includeProvenance: boolean,
): AsyncGenerator<string> {
  let out = '';
  for await (const row of rows) {
    // Every fact of the batch is after `since` when its earliest observation
    // and its receipt (the time of facts without observedAt) both are.
    const whole = since === undefined || ((row.firstObserved === null || row.firstObserved > since.iso) && row.receivedAt > since.iso);
    const receivedMs = Date.parse(row.receivedAt);
    const suffix = includeProvenance ? provenanceSuffix(row) : '';
    const raw = await openUnlessExpired(d, batches, row);
    if (raw === undefined) continue;
    for await (const { line } of factLines(raw, row.form)) {
      if (!whole && !observedAfter(line, since.ms, receivedMs)) continue;
      out += includeProvenance ? withProvenance(line, suffix, row) : line;
      out += '\n';
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
  }
  if (out.length > 0) yield out;
}
