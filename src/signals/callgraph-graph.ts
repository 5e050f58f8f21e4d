import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { isSymbolId, symbolIdProblem } from './symbol-id.js';

/** One node of a callgraph as stored: `symbol` is what runtime facts name; `extra` keeps every other field the uploader sent. */
export interface CallgraphNode {
  readonly id: string;
  readonly symbol?: string;
  readonly entry: boolean;
  readonly extra?: Record<string, unknown>;
}

export interface CallgraphEdge {
  readonly from: string;
  readonly to: string;
  readonly extra?: Record<string, unknown>;
}

export interface ParsedCallgraph {
  nodes: CallgraphNode[];
  edges: CallgraphEdge[];
  /** Ids of the entry nodes, sorted. */
  entryPoints: string[];
  /** sha256 of the body bytes as received. */
  rawDigest: Digest;
  rawBytes: number;
  form: 'ndjson' | 'stella.callgraph.v1';
  /** stella.callgraph.v1's document-level fields (schema, scanKey, language, artifacts, metadata). */
  meta?: Record<string, unknown>;
}

export interface CallgraphLimits {
  readonly maxBytes: number;
  readonly maxLineBytes: number;
  readonly maxNodes: number;
  readonly maxEdges: number;
}

/** Mutable while parsing; frozen into CallgraphNode by the builder's `finish`. */
interface NodeDraft {
  id: string;
  symbol?: string;
  entry: boolean;
  extra?: Record<string, unknown>;
}

/**
 * Collects nodes and edges from either input form and checks what needs the
 * whole graph: duplicate node ids at once, dangling edges and entry points at
 * the end. `where` numbers are NDJSON line numbers or array indexes; `place`
 * turns one into the words of a message.
 */
export class GraphBuilder {
  private readonly nodes: NodeDraft[] = [];
  private readonly ids = new Map<string, NodeDraft>();
  private readonly edges: CallgraphEdge[] = [];
  private readonly edgeWhere: number[] = [];
  private readonly entryIds: { id: string; where: number }[] = [];

  constructor(
    private readonly what: string,
    private readonly limits: CallgraphLimits,
    private readonly place: (section: 'nodes' | 'edges' | 'entrypoints', where: number) => string,
  ) {}

  fail(section: 'nodes' | 'edges' | 'entrypoints', where: number, problem: string): AttestryError {
    const at = this.place(section, where);
    return new AttestryError('E_INVALID_INPUT', `${this.what}: ${at}: ${problem}`, { details: { at } });
  }

  addNode(
    id: unknown,
    symbol: unknown,
    entry: boolean,
    extra: Record<string, unknown> | undefined,
    where: number,
    symbolField: string,
  ): void {
    if (!isSymbolId(id)) throw this.fail('nodes', where, `node id ${symbolIdProblem(id)}; every node needs an "id" (a symbol id)`);
    if (symbol !== undefined && !isSymbolId(symbol))
      throw this.fail('nodes', where, `"${symbolField}" is not a valid symbol id: ${symbolIdProblem(symbol)}`);
    if (this.ids.has(id)) throw this.fail('nodes', where, `duplicate node id "${shorten(id)}"; node ids must be unique`);
    if (this.nodes.length >= this.limits.maxNodes) {
      throw new AttestryError('E_PAYLOAD_TOO_LARGE', `${this.what}: more than ${this.limits.maxNodes} nodes (maxNodes); split the graph`, {
        details: { limit: 'maxNodes', maxNodes: this.limits.maxNodes },
      });
    }
    const node: NodeDraft = { id, entry };
    if (symbol !== undefined) node.symbol = symbol;
    if (extra !== undefined) node.extra = extra;
    this.nodes.push(node);
    this.ids.set(id, node);
  }

  addEdge(from: unknown, to: unknown, extra: Record<string, unknown> | undefined, where: number, names: readonly [string, string]): void {
    if (typeof from !== 'string')
      throw this.fail('edges', where, `"${names[0]}" is ${from === undefined ? 'missing' : 'not a string'}; every edge needs both ends`);
    if (typeof to !== 'string')
      throw this.fail('edges', where, `"${names[1]}" is ${to === undefined ? 'missing' : 'not a string'}; every edge needs both ends`);
    if (this.edges.length >= this.limits.maxEdges) {
      throw new AttestryError('E_PAYLOAD_TOO_LARGE', `${this.what}: more than ${this.limits.maxEdges} edges (maxEdges); split the graph`, {
        details: { limit: 'maxEdges', maxEdges: this.limits.maxEdges },
      });
    }
    this.edges.push(extra === undefined ? { from, to } : { from, to, extra });
    this.edgeWhere.push(where);
  }

  /** An entry point named outside its node (stella's `entrypoints` list). */
  addEntry(id: string, where: number): void {
    this.entryIds.push({ id, where });
  }

  finish(raw: { rawDigest: Digest; rawBytes: number }, form: ParsedCallgraph['form'], meta?: Record<string, unknown>): ParsedCallgraph {
    if (this.nodes.length === 0) {
      throw new AttestryError(
        'E_INVALID_INPUT',
        `${this.what}: the graph has no nodes; send at least one node line ({"kind":"node","id":...})`,
        {
          details: { nodes: 0 },
        },
      );
    }
    const ids = this.ids;
    for (let i = 0; i < this.edges.length; i++) {
      const edge = this.edges[i]!;
      const missing = !ids.has(edge.from) ? edge.from : !ids.has(edge.to) ? edge.to : undefined;
      if (missing !== undefined) {
        throw this.fail('edges', this.edgeWhere[i]!, `edge names node "${shorten(missing)}", which the graph does not define`);
      }
    }
    for (const { id, where } of this.entryIds) {
      const node = ids.get(id);
      if (node === undefined)
        throw this.fail('entrypoints', where, `entry point names node "${shorten(id)}", which the graph does not define`);
      node.entry = true;
    }
    const entryPoints = this.nodes.filter((n) => n.entry).map((n) => n.id);
    entryPoints.sort();
    const graph: ParsedCallgraph = {
      nodes: this.nodes,
      edges: this.edges,
      entryPoints,
      rawDigest: raw.rawDigest,
      rawBytes: raw.rawBytes,
      form,
    };
    if (meta !== undefined) graph.meta = meta;
    return graph;
  }
}

export function shorten(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** JSON objects parsed from untrusted text: plain, not arrays, not null. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a parsed value nests deeper than `limit` (stops early; recursion bounded by `limit`). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit <= 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeperThan(v, limit - 1)) return true;
  }
  return false;
}
