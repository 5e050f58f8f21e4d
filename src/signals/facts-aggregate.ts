/**
 * Per-batch aggregation of runtime facts, the rows of signals_facts: one
 * aggregate per (symbolId, codeId, loaderBase), hit counts summed, first and
 * last observation kept, fact types collected. Queries ("was this symbol
 * seen at runtime?") read these rows; the raw batch stays the evidence.
 */
export interface FactAggregate {
  readonly symbolId: string;
  /** '' when the facts carried none (the column is part of a key). */
  readonly codeId: string;
  /** '' when the facts carried none. */
  readonly loaderBase: string;
  /** Sorted, unique. */
  readonly factTypes: string[];
  readonly hitCount: number;
  /** ISO-8601 UTC (see formatInstant), null when no fact of the group had `observedAt`. */
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

export interface FactsSummary {
  factCount: number;
  /** Sorted unique. */
  factTypes: string[];
  /** Facts per type (the ingest counter is labelled by fact type). */
  typeCounts: Record<string, number>;
  firstObserved: string | null;
  lastObserved: string | null;
  /** In order of first appearance in the batch (deterministic for the same bytes). */
  aggregates: FactAggregate[];
  /** The JSON form's `callgraphId`. */
  callgraphId?: string;
  /** The JSON form's `subject`, as sent. */
  subject?: unknown;
}

/**
 * An instant as milliseconds since the epoch plus the nanoseconds below the
 * millisecond (0–999,999): agents report nanosecond timestamps, which a JS
 * number cannot hold whole, and first/last must not tie wrongly.
 */
export interface Instant {
  readonly ms: number;
  readonly sub: number;
}

/** ISO-8601 in UTC: `toISOString()`, with the sub-millisecond digits appended when there are any (trailing zeros dropped). */
export function formatInstant(t: Instant): string {
  // Facts of a batch crowd into a few seconds: format each second once.
  const second = Math.floor(t.ms / 1000);
  let prefix = secondCache.get(second);
  if (prefix === undefined) {
    prefix = new Date(second * 1000).toISOString().slice(0, 19);
    if (secondCache.size >= 1024) secondCache.clear();
    secondCache.set(second, prefix);
  }
  const millis = String(t.ms - second * 1000).padStart(3, '0');
  if (t.sub === 0) return `${prefix}.${millis}Z`;
  const digits = String(t.sub).padStart(6, '0').replace(/0+$/, '');
  return `${prefix}.${millis}${digits}Z`;
}

const secondCache = new Map<number, string>();

interface Group {
  readonly symbolId: string;
  readonly codeId: string;
  readonly loaderBase: string;
  types: string[];
  hitCount: number;
  /** NaN until a fact of the group has observedAt. */
  firstMs: number;
  firstSub: number;
  lastMs: number;
  lastSub: number;
  /** The next group of the same symbol (another codeId or loaderBase). */
  next: Group | undefined;
}

export class FactAggregator {
  factCount = 0;
  // symbolId → its first group, the others chained: a symbol rarely has more than a few
  // (codeId, loaderBase) pairs, and a lookup by the symbol string builds no key per fact.
  private readonly groups = new Map<string, Group>();
  // Every group in order of first appearance: the aggregates come out in input order,
  // which is as deterministic as sorting and costs nothing.
  private readonly order: Group[] = [];
  /** Facts per type, for `typeCounts`. */
  private readonly types = new Map<string, number>();
  private firstMs = NaN;
  private firstSub = 0;
  private lastMs = NaN;
  private lastSub = 0;

  /**
   * Adds one fact (`ms`/`sub` only when `observed`); returns false when the
   * group's hit count would pass 2^53 − 1 (the caller refuses the line).
   */
  add(
    symbolId: string,
    codeId: string,
    loaderBase: string,
    type: string,
    hitCount: number,
    observed: boolean,
    ms: number,
    sub: number,
  ): boolean {
    const head = this.groups.get(symbolId);
    let group = head;
    while (group !== undefined && (group.codeId !== codeId || group.loaderBase !== loaderBase)) group = group.next;
    if (group === undefined) {
      group = {
        symbolId,
        codeId,
        loaderBase,
        types: [type],
        hitCount: 0,
        firstMs: NaN,
        firstSub: 0,
        lastMs: NaN,
        lastSub: 0,
        next: undefined,
      };
      if (head === undefined) this.groups.set(symbolId, group);
      else {
        group.next = head.next;
        head.next = group;
      }
      this.order.push(group);
    } else if (!group.types.includes(type)) {
      group.types.push(type);
    }
    const sum = group.hitCount + hitCount;
    if (!Number.isSafeInteger(sum)) return false;
    group.hitCount = sum;
    this.factCount++;
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    if (observed) {
      // NaN compares false, so the first observation always takes the `!(… >= …)` branch.
      if (!(ms > group.firstMs || (ms === group.firstMs && sub >= group.firstSub))) {
        group.firstMs = ms;
        group.firstSub = sub;
      }
      if (!(ms < group.lastMs || (ms === group.lastMs && sub <= group.lastSub))) {
        group.lastMs = ms;
        group.lastSub = sub;
      }
      if (!(ms > this.firstMs || (ms === this.firstMs && sub >= this.firstSub))) {
        this.firstMs = ms;
        this.firstSub = sub;
      }
      if (!(ms < this.lastMs || (ms === this.lastMs && sub <= this.lastSub))) {
        this.lastMs = ms;
        this.lastSub = sub;
      }
    }
    return true;
  }

  summary(): FactsSummary {
    const aggregates: FactAggregate[] = this.order.map((g) => {
      const firstSeen = instantOrNull(g.firstMs, g.firstSub);
      // Most groups of a batch saw one fact: format its instant once.
      const lastSeen = g.lastMs === g.firstMs && g.lastSub === g.firstSub ? firstSeen : instantOrNull(g.lastMs, g.lastSub);
      return {
        symbolId: g.symbolId,
        codeId: g.codeId,
        loaderBase: g.loaderBase,
        factTypes: g.types.sort(),
        hitCount: g.hitCount,
        firstSeen,
        lastSeen,
      };
    });
    return {
      factCount: this.factCount,
      factTypes: [...this.types.keys()].sort(),
      typeCounts: Object.fromEntries(this.types),
      firstObserved: instantOrNull(this.firstMs, this.firstSub),
      lastObserved: instantOrNull(this.lastMs, this.lastSub),
      aggregates,
    };
  }
}

function instantOrNull(ms: number, sub: number): string | null {
  return Number.isNaN(ms) ? null : formatInstant({ ms, sub });
}
