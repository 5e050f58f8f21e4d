import { authorize, type Principal } from '../authz/principal.js';
import { AttestryError } from '../core/errors.js';
import { parseUlid } from '../core/ids.js';
import { parseTenantId } from '../core/tenant.js';
import { CallgraphsRepo, type CallgraphRow } from '../store/db/callgraphs-repo.js';
import { EvidenceRepo } from '../store/db/evidence-repo.js';
import { ReachFactsRepo } from '../store/db/reach-facts-repo.js';
import { VerdictsRepo, type VerdictRow } from '../store/db/verdicts-repo.js';
import { servicePrincipal } from './batch-finish.js';
import { readContent } from './callgraph-blobs.js';
import { CallgraphReads } from './callgraph-reads.js';
import type { SignalsDeps } from './deps.js';
import { deriveReachability } from './reach-derive.js';
import { callgraphCitation, citedBatchesBySymbol, windowBatches } from './reach-evidence.js';
import { buildReachIndex, type ReachIndex } from './reach-index.js';
import type { ReachIndexCache } from './reach-index-cache.js';
import { parseOsvAdvisory } from './reach-osv.js';
import type {
  ReachabilityAnswer,
  ReachabilityDerivation,
  ReachabilityHistory,
  ReachabilityPredicate,
  ReachabilityQuery,
  ReachabilityResult,
  ReachabilityUseCases,
  VerdictHistoryEntry,
  VerdictLink,
} from './reach-types.js';
import { evidenceDigestOf, parseVerdictEnvelope, signVerdict } from './reach-verdict.js';
import { checkQuery, checkSymbols, type CheckedQuery } from './reachability-query.js';
import { parseSymbolId } from './symbol-id.js';

const KIND = 'reachability-verdicts';
/** Attempts at appending to a verdict chain that other writers keep extending. */
const MAX_CHAIN_ATTEMPTS = 5;
/** Verdicts of one answer signed and stored at once (each symbol is a chain of its own). */
const ATTEST_CONCURRENCY = 16;

const noGraph = (id: string) => () => new AttestryError('E_NOT_FOUND', `no callgraph ${id}`);
const noVerdict = (id: string) => () => new AttestryError('E_NOT_FOUND', `no reachability verdict ${id}`);

/**
 * Reachability answers (docs/reachability.md): per symbol, the static
 * evidence of the callgraph's index, the runtime evidence of the window's
 * batches, the lattice state they give, and the citations to check both.
 * With `attest`, each answer becomes a signed verdict in the locker, chained
 * to the previous verdict on the same (callgraph, symbol).
 *
 * Access: answering needs `read` on kind reachability-verdicts and a
 * callgraph of a tenant the caller acts for (another tenant's is "not
 * found"); attesting needs `write` on it.
 */
export class ReachabilityService implements ReachabilityUseCases {
  readonly #d: SignalsDeps;
  readonly #cache: ReachIndexCache;
  readonly #graphs: CallgraphsRepo;
  readonly #reads: CallgraphReads;
  readonly #evidence: EvidenceRepo;
  readonly #facts: ReachFactsRepo;
  readonly #verdicts: VerdictsRepo;

  constructor(deps: SignalsDeps, cache: ReachIndexCache) {
    this.#d = deps;
    this.#cache = cache;
    this.#graphs = new CallgraphsRepo(deps.db);
    this.#reads = new CallgraphReads(deps, this.#graphs);
    this.#evidence = new EvidenceRepo(deps.db);
    this.#facts = new ReachFactsRepo(deps.db);
    this.#verdicts = new VerdictsRepo(deps.db);
  }

  async answer(principal: Principal, query: ReachabilityQuery): Promise<ReachabilityResult> {
    const d = this.#d;
    this.#mayDo(principal, 'read');
    const q = checkQuery(d, query);
    if (q.attest) {
      this.#mayDo(principal, 'write', 'attest=true stores a signed verdict: use a token of the signals-service or admin role');
      if (d.switches.writesOff !== undefined) throw new AttestryError('E_READ_ONLY', d.switches.writesOff);
    }
    const row = await this.#graph(principal, q);
    const index = await this.#index(row);
    let symbols = q.symbols;
    let vulnerability = q.vulnerability;
    if (q.osv !== undefined) {
      const osv = parseOsvAdvisory(q.osv, d.config.Reachability.MaxSymbolsPerQuery);
      // A target the graph does not resolve is still asked (runtime facts may name it).
      const named = osv.targets.flatMap((t) => {
        const found = index.resolve(t.name, t.path);
        return found.length > 0 ? found : [t.path === undefined ? t.name : `${t.path}.${t.name}`];
      });
      symbols = checkSymbols([...named, ...symbols], d.config.Reachability.MaxSymbolsPerQuery, 'osv');
      vulnerability ??= osv.id;
    }
    if (symbols.length === 0)
      throw new AttestryError('E_INVALID_INPUT', 'osv: the advisory names no symbol of this component; name symbols with symbol=…', {
        details: { field: 'osv' },
      });
    const callgraph = await callgraphCitation(this.#evidence, row);
    const win = await windowBatches(this.#facts, row, q.window, d.config.Reachability.MaxWindowBatches);
    // A window cut to its newest batches says so: its start becomes the oldest batch cited.
    const window = win.truncated && win.batches[0] !== undefined ? { since: win.batches[0].receivedAt, until: q.window.until } : q.window;
    const cited = await citedBatchesBySymbol(this.#facts, row, win.batches, symbols);
    const decidedAt = d.clock.now().toISOString();
    const derivations = symbols.map((symbol) =>
      deriveReachability({
        callgraph,
        symbol,
        vulnerability,
        static: index.staticEvidence(symbol),
        batches: cited.get(symbol) ?? [],
        window,
        thresholds: q.thresholds,
      }),
    );
    const results: ReachabilityAnswer[] = q.attest
      ? // Each symbol is its own chain: attested side by side, so the locker's group commit batches their writes.
        await inParallel(derivations, ATTEST_CONCURRENCY, (derivation) => this.#attest(derivation, decidedAt))
      : derivations.map((derivation) => ({ ...derivation, path: derivation.static.path, decidedAt }));
    return { callgraphId: row.graphId, componentPurl: row.componentPurl, vulnerability, results };
  }

  async history(
    principal: Principal,
    query: { tenant?: string | undefined; callgraphId: string; symbol: string },
  ): Promise<ReachabilityHistory> {
    this.#mayDo(principal, 'read');
    const symbol = parseSymbolId(query.symbol, 'symbol');
    const row = await this.#graph(principal, {
      tenant: query.tenant === undefined ? undefined : parseTenantId(query.tenant),
      graph: { id: parseUlid(query.callgraphId, 'callgraph_id') },
    });
    const rows = await this.#verdicts.history(row.tenant, row.graphId, symbol);
    const verdicts: VerdictHistoryEntry[] = [];
    let chainOk = true;
    for (const [i, v] of rows.entries()) {
      const before = rows[i - 1];
      const expected: VerdictLink | null = before === undefined ? null : { attestationId: before.verdictId, digest: before.digest };
      const read = await this.#readVerdict(principal, v).catch((e: unknown) => {
        if (e instanceof AttestryError && ['E_INTEGRITY', 'E_NOT_FOUND', 'E_SIGNATURE_FORMAT'].includes(e.code)) return undefined;
        throw e;
      });
      // The stored envelope must be the row's (same digest), say the same place in the chain, and link to the row before.
      const ok =
        read !== undefined &&
        read.digest === v.digest &&
        v.sequence === i + 1 &&
        read.predicate.sequence === v.sequence &&
        read.predicate.callgraphId === row.graphId &&
        read.predicate.symbol === symbol &&
        v.previousId === (expected?.attestationId ?? null) &&
        sameLink(read.predicate.previous, expected);
      chainOk &&= ok;
      verdicts.push({
        sequence: v.sequence,
        attestationId: v.verdictId,
        digest: v.digest,
        previous:
          read?.predicate.previous ?? (v.previousId === null ? null : { attestationId: v.previousId, digest: before?.digest ?? '' }),
        state: read?.predicate.state ?? (v.state as VerdictHistoryEntry['state']),
        decidedAt: v.decidedAt,
        logIndex: read?.logIndex ?? null,
        rekorUuid: read?.rekorUuid ?? null,
      });
    }
    return { callgraphId: row.graphId, symbol, verdicts, chainOk };
  }

  async verdict(principal: Principal, attestationId: string): Promise<{ predicate: ReachabilityPredicate; envelope: Buffer }> {
    this.#mayDo(principal, 'read');
    const id = parseUlid(attestationId, 'verdictId');
    // Another kind's record under this id is no verdict (and not the caller's business here).
    const record = await this.#evidence.get(id);
    if (record === undefined || record.kind !== KIND) throw noVerdict(id)();
    authorize(principal, record.tenant, KIND, 'read', noVerdict(id), this.#d.kinds);
    const { bytes } = await this.#d.locker.get(principal, id);
    return { predicate: parseVerdictEnvelope(bytes, 'E_INTEGRITY').predicate, envelope: bytes };
  }

  /** The role check, before anything is read: a role without the grant learns nothing about graphs. */
  #mayDo(principal: Principal, action: 'read' | 'write', hint?: string): void {
    if (!this.#d.kinds.can(principal.role, KIND, action))
      throw new AttestryError('E_FORBIDDEN', `role ${principal.role} may not ${action} ${KIND}${hint === undefined ? '' : `: ${hint}`}`, {
        details: { role: principal.role, kind: KIND, action },
      });
  }

  /** The stored callgraph asked about: by id, or the newest of a PURL in the tenants the caller reaches. */
  async #graph(principal: Principal, q: Pick<CheckedQuery, 'tenant' | 'graph'>): Promise<CallgraphRow> {
    if ('id' in q.graph) {
      const id = q.graph.id;
      const row = await this.#graphs.get(id);
      if (row === undefined || row.state !== 'stored' || (q.tenant !== undefined && q.tenant !== row.tenant)) throw noGraph(id)();
      authorize(principal, row.tenant, KIND, 'read', noGraph(id), this.#d.kinds);
      return row;
    }
    const { purl, text } = q.graph;
    let tenants: readonly string[] | '*' = principal.tenants;
    if (q.tenant !== undefined) tenants = principal.tenants === '*' || principal.tenants.includes(q.tenant) ? [q.tenant] : [];
    const [newest] = await this.#graphs.findByPurl({ tenants, purlKey: purl.key, version: purl.version, limit: 1 });
    if (newest === undefined)
      throw new AttestryError(
        'E_NOT_FOUND',
        `no stored callgraph of ${text}${purl.version === null ? ' (any version)' : ''} in this token's tenants`,
      );
    return newest;
  }

  /** The graph's index, built once per (graph, digest) from the stored content after its manifest verifies. */
  #index(row: CallgraphRow): Promise<ReachIndex> {
    const d = this.#d;
    return this.#cache.get(`${row.graphId}:${row.digest}`, async () => {
      const manifest = await this.#reads.manifestOf(row, true);
      const limits = { maxNodes: d.limits.maxNodes, maxEdges: d.limits.maxEdges, maxLineBytes: d.limits.maxLineBytes };
      return buildReachIndex(await readContent(d, row, manifest.digest), limits, `callgraph ${row.graphId}`);
    });
  }

  /**
   * Appends the answer to its (callgraph, symbol) chain, unless the newest
   * verdict already says it on the same evidence (then that one is returned,
   * `created: false`). The signed envelope is a durable locker record before
   * its row is inserted: a crash between the two leaves a signed verdict
   * outside any chain, which is harmless (nothing links to it; the next
   * attempt signs a new one with the same previous). The unique key on
   * (tenant, callgraph, symbol, sequence) decides a race; the loser re-reads
   * the chain and signs again on top of the winner.
   */
  async #attest(derivation: ReachabilityDerivation, decidedAt: string): Promise<ReachabilityAnswer> {
    const d = this.#d;
    const tenant = derivation.tenantId;
    const evidenceDigest = evidenceDigestOf(derivation);
    for (let attempt = 0; attempt < MAX_CHAIN_ATTEMPTS; attempt++) {
      const latest = await this.#verdicts.latest(tenant, derivation.callgraphId, derivation.symbol);
      if (latest !== undefined && latest.evidenceDigest === evidenceDigest) return this.#unchanged(derivation, latest);
      const previous = latest === undefined ? null : { attestationId: latest.verdictId, digest: latest.digest };
      const sequence = (latest?.sequence ?? 0) + 1;
      const { envelope, bytes } = signVerdict({ ...derivation, decidedAt, sequence, previous, evidenceDigest }, d.signer);
      const stored = await d.locker.putRecord(servicePrincipal(tenant), {
        tenant,
        envelope: bytes,
        parsedJson: envelope,
        extraBlobs: [],
        id: d.ids.next(),
      });
      const inserted = await this.#verdicts.insert({
        verdictId: stored.id,
        tenant,
        callgraphId: derivation.callgraphId,
        symbol: derivation.symbol,
        sequence,
        previousId: previous?.attestationId ?? null,
        digest: stored.digest,
        state: derivation.state,
        evidenceDigest,
        decidedAt,
        createdAt: d.clock.now().toISOString(),
      });
      if (inserted.outcome === 'inserted')
        return {
          ...derivation,
          path: derivation.static.path,
          decidedAt,
          attestationId: stored.id,
          verdictDigest: stored.digest,
          logIndex: stored.logIndex,
          rekorUuid: stored.rekorUuid,
          sequence,
          previous,
          created: true,
        };
    }
    throw new AttestryError(
      'E_CONFLICT',
      `the verdict chain of ${derivation.symbol} on callgraph ${derivation.callgraphId} kept changing while this verdict was added; ask again`,
      { details: { retryable: true } },
    );
  }

  /** The newest verdict, which already says this: its record, log entry and place in the chain. */
  async #unchanged(derivation: ReachabilityDerivation, latest: VerdictRow): Promise<ReachabilityAnswer> {
    const record = await this.#evidence.get(latest.verdictId);
    const log = record === undefined ? { logIndex: null, rekorUuid: null } : await this.#d.locker.logInfo(record);
    return {
      ...derivation,
      path: derivation.static.path,
      decidedAt: latest.decidedAt,
      attestationId: latest.verdictId,
      verdictDigest: latest.digest,
      logIndex: log.logIndex,
      rekorUuid: log.rekorUuid,
      sequence: latest.sequence,
      previous: latest.previousId === null ? null : await this.#link(latest.previousId),
      created: false,
    };
  }

  async #link(previousId: string): Promise<VerdictLink | null> {
    const before = await this.#verdicts.get(previousId);
    return before === undefined ? null : { attestationId: before.verdictId, digest: before.digest };
  }

  /** A chain row's envelope from the locker, parsed, with its digest and log entry. */
  async #readVerdict(principal: Principal, v: VerdictRow) {
    const { row, bytes } = await this.#d.locker.get(principal, v.verdictId);
    const { predicate } = parseVerdictEnvelope(bytes, 'E_INTEGRITY');
    const log = await this.#d.locker.logInfo(row);
    return { predicate, digest: row.digest, logIndex: log.logIndex, rekorUuid: log.rekorUuid };
  }
}

function sameLink(a: VerdictLink | null, b: VerdictLink | null): boolean {
  return a === null || b === null ? a === b : a.attestationId === b.attestationId && a.digest === b.digest;
}

/** `run` over `items` with at most `limit` at a time; results in the order of `items`, the first failure rejects. */
async function inParallel<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
