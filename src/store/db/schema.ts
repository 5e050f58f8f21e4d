/** Table shapes shared by SQLite and PostgreSQL; times are ISO-8601 UTC text. */
export interface TenantsTable {
  id: string;
  display_name: string | null;
  created_at: string;
}

export interface TokensTable {
  id: string;
  /** SHA-256 hex of the token secret; the secret itself is never stored. */
  secret_hash: string;
  principal: string;
  /** JSON array of tenant ids the token may act for. */
  tenants: string;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface TrustedKeysTable {
  tenant: string;
  key_id: string;
  algorithm: string;
  public_key_pem: string;
  fingerprint: string;
  /** model_signing's key hint: SHA-256 hex of the SPKI PEM. */
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

export interface EvidenceTable {
  id: string;
  tenant: string;
  kind: string;
  media_type: string;
  payload_type: string;
  predicate_type: string | null;
  blob_key: string;
  /** sha256:<hex> of the stored bytes; unique per tenant so retries are idempotent. */
  digest: string;
  size: number;
  principal: string;
  signer_key_id: string;
  created_at: string;
  /** JSON [{digest, name}] sorted by digest. */
  subjects: string;
  /** Index of the record's entry in the transparency log; null when logging was off. */
  log_index: number | string | null;
  /** DER TimeStampResp of attestry's TSA over the record's signature; null when the record has none. */
  tsa_token: Buffer | null;
}

/** Lookup rows: which evidence names a subject digest, per tenant. */
export interface EvidenceSubjectsTable {
  tenant: string;
  digest: string;
  evidence_id: string;
}

/** Every blob a record references, by role (`primary` is the stored upload); a blob key belongs to one record. */
export interface EvidenceBlobsTable {
  blob_key: string;
  evidence_id: string;
  role: string;
}

/** A record deleted by retention: what it was, and why and when it went. */
export interface EvidenceDeletionsTable {
  id: string;
  tenant: string;
  kind: string;
  digest: string;
  /** JSON [{digest, name}]. */
  subjects: string;
  /** JSON [{role, key}]. */
  blobs: string;
  reason: string;
  created_at: string;
  deleted_at: string;
  /** The deleted record's log entry (the log keeps it); null when it had none. */
  log_index: number | string | null;
}

/** The transparency log's single state row (id 1), locked by the sequencer. */
export interface TlogStateTable {
  id: number;
  origin: string | null;
  /** PostgreSQL returns bigint as a string. */
  size: number | string;
  root: Buffer;
  checkpoint: string | null;
  updated_at: string;
}

/** One C2SP tile: up to 256 32-byte hashes of one tree level, back to back. */
export interface TlogTilesTable {
  level: number;
  idx: number | string;
  hashes: Buffer;
  /** Level-0 tiles: the level-4 hashes (one per 16 leaves), to shorten proofs. */
  mids: Buffer | null;
}

export interface TlogEntriesTable {
  idx: number | string;
  /** The first 48 bits of the leaf hash, indexed for lookups by leaf hash. */
  prefix: number | string;
  body: Buffer;
}

export interface TlogCheckpointsTable {
  size: number | string;
  note: string;
  created_at: string;
}

export interface TlogCosignaturesTable {
  size: number | string;
  name: string;
  line: string;
  created_at: string;
}

/**
 * Signals (seed 000 §4.1): one stored callgraph. Integer columns that may be
 * bigint in PostgreSQL come back as strings there (`number | string`).
 */
export interface SignalsCallgraphsTable {
  graph_id: string;
  tenant: string;
  language: string;
  source: string;
  component_purl: string;
  /** type/namespace/name normalised, without version or qualifiers. */
  purl_key: string;
  purl_version: string | null;
  /** sha256 of the normalised NDJSON: the manifest's `digest`. */
  digest: string;
  /** sha256 of the upload as sent. */
  raw_digest: string;
  raw_size: number | string;
  form: string;
  node_count: number | string;
  edge_count: number | string;
  /** JSON array of node ids. */
  entry_points: string;
  created_at: string;
  signer_key_id: string | null;
  signature: string | null;
  rekor_uuid: string | null;
  skip_reason: string | null;
  /** The `.ndjson.zst` blob (compressed), and the normalised NDJSON's size. */
  content_digest: string;
  content_size: number | string;
  normalized_size: number | string;
  meta_digest: string;
  meta_size: number | string;
  /** `manifests/{id}.json`. */
  manifest_digest: string;
  manifest_size: number | string;
  /** 'writing': an intent (not acknowledged; repair completes or removes it); 'stored': acknowledged. */
  state: 'writing' | 'stored';
  updated_at: string;
}

/** Signals (seed 000 §5.1): one runtime-fact batch and its provenance; `state` 'writing' is an unacknowledged intent. */
export interface SignalsBatchesTable {
  batch_id: string;
  provenance_id: string;
  tenant: string;
  /** Null only while an intent of the JSON document form has not been read yet (its body names the callgraph). */
  callgraph_id: string | null;
  source: string;
  pipeline_version: string;
  provenance_hash: string;
  raw_size: number | string;
  fact_count: number | string;
  /** JSON array, sorted unique. */
  fact_types: string;
  received_at: string;
  ingested_at: string;
  first_observed: string | null;
  last_observed: string | null;
  form: string;
  signer_key_id: string | null;
  rekor_uuid: string | null;
  skip_reason: string | null;
  attestation_id: string | null;
  content_digest: string | null;
  content_size: number | string | null;
  provenance_digest: string | null;
  provenance_size: number | string | null;
  state: 'writing' | 'stored';
  updated_at: string;
}

/** Per-batch aggregate of facts by (symbol_id, code_id, loader_base); '' when a fact has no code id / loader base. */
export interface SignalsFactsTable {
  batch_id: string;
  tenant: string;
  callgraph_id: string;
  symbol_id: string;
  code_id: string;
  loader_base: string;
  /** JSON array, sorted unique. */
  fact_types: string;
  hit_count: number | string;
  first_seen: string | null;
  last_seen: string | null;
}

/**
 * Reachability (issue 15): one signed verdict in the chain of a (callgraph,
 * symbol); `verdict_id` is its locker record's id, `digest` that record's digest.
 */
export interface SignalsVerdictsTable {
  verdict_id: string;
  tenant: string;
  callgraph_id: string;
  symbol: string;
  /** 1 for the first verdict of (tenant, callgraph_id, symbol), then +1; unique with them. */
  sequence: number | string;
  /** The verdict before this one in the chain; null for the first. */
  previous_id: string | null;
  digest: string;
  state: string;
  /** sha256 of the RFC 8785 JSON of the derivation: equal = nothing new. */
  evidence_digest: string;
  decided_at: string;
  created_at: string;
}

export interface Database {
  tenants: TenantsTable;
  tokens: TokensTable;
  trusted_keys: TrustedKeysTable;
  evidence: EvidenceTable;
  evidence_subjects: EvidenceSubjectsTable;
  evidence_blobs: EvidenceBlobsTable;
  evidence_deletions: EvidenceDeletionsTable;
  tlog_state: TlogStateTable;
  tlog_tiles: TlogTilesTable;
  tlog_entries: TlogEntriesTable;
  tlog_checkpoints: TlogCheckpointsTable;
  tlog_cosignatures: TlogCosignaturesTable;
  signals_callgraphs: SignalsCallgraphsTable;
  signals_batches: SignalsBatchesTable;
  signals_facts: SignalsFactsTable;
  signals_verdicts: SignalsVerdictsTable;
  ai_artifacts: AiArtifactsTable;
  ai_audit: AiAuditTable;
  ai_reviews: AiReviewsTable;
  ai_review_transitions: AiReviewTransitionsTable;
  vex_statements: VexStatementsTable;
}

export interface AiArtifactsTable {
  artifact_id: string;
  record_id: string | null;
  tenant: string;
  artifact_type: string;
  authority: string;
  model_id: string;
  weights_digest: string;
  template_version: string;
  manifest_id: string;
  manifest_hash: string;
  manifest_digest: string;
  statement_digest: string;
  signed: number;
  key_id: string | null;
  generated_at: string;
  created_by: string;
}

export interface AiAuditTable {
  tenant: string;
  sequence: number;
  digest: string;
  previous_digest: string | null;
  artifact_id: string;
  operation: string;
  timestamp: string;
  record_id: string;
  record_json: string;
}

/** Issue 17: the authority state of one AI artifact (absent until its first transition). */
export interface AiReviewsTable {
  artifact_id: string;
  tenant: string;
  authority: string;
  /** pending | approved | rejected */
  decision: string;
  /** 1 while a ground-truth check disagreed and no reviewer overrode it. */
  flagged: number;
  /** Distinct reviewers who approved, as a JSON array of token ids. */
  approvers_json: string;
  head_sequence: number;
  head_digest: string;
  published: number;
  updated_at: string;
}

/** One signed transition of an artifact's authority; (artifact_id, sequence) decides a race. */
export interface AiReviewTransitionsTable {
  artifact_id: string;
  sequence: number;
  tenant: string;
  kind: string;
  principal: string;
  digest: string;
  previous_digest: string | null;
  record_id: string;
  timestamp: string;
  record_json: string;
}

/** A published OpenVEX document (only an approved or policy-permitted verified vex_draft gets a row). */
export interface VexStatementsTable {
  artifact_id: string;
  vex_id: string;
  tenant: string;
  product_purl: string;
  /** The product PURL without version, qualifiers and subpath: what `GET /vex?purl=` without a version matches. */
  package_key: string;
  vulnerability: string;
  status: string;
  record_id: string;
  /** sha256 of the signed attestation envelope (the locker record's digest). */
  digest: string;
  published_at: string;
  document_json: string;
}
