import type { Role } from '../core/roles.js';

/**
 * What an evidence kind IS, as data. Everything else the product knows about
 * a kind (who may read or write it, where its blobs live, which uploads are
 * of it, what garbage collection may delete) is derived from one of these.
 * A domain declares its kinds in its own folder (src/signals/kinds.ts, …),
 * src/kinds/builtin.ts lists them, and KindRegistry validates them and
 * derives the rest (see registry.ts). The shape below is the contract
 * between the registry and its consumers (access matrix, CAS layout,
 * classification, GC): fields may be added; the ones here keep their meaning.
 */

/** `rw` read and write, `r` read, `w` write only, `-` nothing. */
export type Grant = 'rw' | 'r' | 'w' | '-';

/**
 * Where one blob of a record of this kind lives, relative to the bucket
 * prefix: a template whose only placeholders are `{tenant}` (a validated
 * tenant id) and `{id}` (a validated ULID), starting with the kind's name,
 * e.g. `model-signatures/{tenant}/{id}.sigstore.json`.
 */
export type BlobTemplate = string;

/** How long records of a kind are kept. */
export type RetentionRule =
  | { readonly keep: 'forever' }
  /**
   * Deleted `days` after creation, where `days` is read from the resolved
   * config at `configKey` (dotted path, e.g. `Signals.CAS.RetentionDays.RuntimeFacts`).
   * `scope: 'unreferenced'` limits it to records nothing references (seed 000
   * §3.3 "Callgraphs (orphan)"); only the kind's domain knows what references
   * them, so its GC retention pass applies the rule (GcDeps.retentionPasses).
   */
  | { readonly keep: 'days'; readonly configKey: string; readonly scope?: 'all' | 'unreferenced' };

export interface KindDeclaration {
  /** The kind's name; also the first segment of all of its blob keys. */
  readonly name: string;
  /** Uploads whose in-toto predicate type is one of these are of this kind. */
  readonly predicateTypes?: readonly string[];
  /** Uploads whose DSSE payload type is one of these (and no predicate type claimed them) are of this kind. */
  readonly payloadTypes?: readonly string[];
  /**
   * The blobs a record of this kind may reference, by role. `primary` is the
   * stored upload itself (what GET returns); other roles are the domain's
   * (e.g. `content` for a callgraph's `.ndjson.zst`, `meta` for its `.meta.json`).
   */
  readonly blobs: { readonly primary: BlobTemplate } & Readonly<Record<string, BlobTemplate>>;
  /** The role's grant on this kind; a role not listed has `-`. */
  readonly access: Readonly<Partial<Record<Role, Grant>>>;
  readonly retention: RetentionRule;
  /**
   * Config switches (dotted paths to booleans in the resolved config) that
   * govern this kind besides the locker-wide `Evidence.WriteEnabled` and
   * log-wide `Log.Enabled`: seed 000 §9's `Signals.CAS.WriteEnabled` and
   * `Signals.Provenance.RekorEnabled` govern the Signals kinds. `false` at
   * `writeEnabled` refuses writes of the kind (E_READ_ONLY naming the key);
   * `false` at `logged` stores its records unlogged with a `skipReason`
   * naming the key.
   */
  readonly switches?: { readonly writeEnabled?: string; readonly logged?: string };
  /** One line for docs and `--help`. */
  readonly description: string;
  /**
   * Uploads that no kind claims by predicate or payload type are of this
   * kind; at most one kind of a registry says so (the builtin one is
   * `attestations`: generic in-toto evidence).
   */
  readonly classifyByDefault?: boolean;
  /** How messages name the `{id}` of this kind's keys (seed 000 §3.1 says graph_id, batch_id); default `id`. */
  readonly idName?: string;
}
