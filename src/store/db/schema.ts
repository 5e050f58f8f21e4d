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
}
