/**
 * `--upload` for signing commands: store a signed bundle in the evidence
 * locker (POST /api/v1/attestations, which verifies it against the tenant's
 * trusted keys and logs it) and fetch it back as the locker exports it
 * (GET /api/v1/attestations/{id}/bundle): with its transparency-log entry,
 * inclusion proof, checkpoint and, where the service issues them, timestamp.
 */
import type { Command } from 'commander';
import { AttestryError } from '../core/errors.js';
import { callJson, type ClientFlags } from './api-client.js';

export interface UploadFlags {
  upload?: boolean;
  server: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

export function addUploadOptions(cmd: Command): Command {
  return cmd
    .option('--upload', 'store the bundle in an attestry service and write the bundle it returns (with log entry and timestamp)')
    .option('--server <url>', 'attestry service URL; also ATTESTRY_SERVER', process.env['ATTESTRY_SERVER'] ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'API token for --upload; better: ATTESTRY_TOKEN (keeps it out of the process list)')
    .option('--tenant <id>', "tenant to store into (default: the token's only tenant)");
}

export interface Uploaded {
  id: string;
  created: boolean;
  tenant: string;
  kind: string;
  logIndex: number | null;
  skipReason?: string;
  /** The locker's export; undefined when the record has no log entry (logging off). */
  bundle: Record<string, unknown> | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function uploadBundle(flags: UploadFlags, bundle: unknown): Promise<Uploaded> {
  const client: ClientFlags = {
    server: flags.server,
    ...(flags.token !== undefined ? { token: flags.token } : {}),
    ...(flags.json !== undefined ? { json: flags.json } : {}),
  };
  const query = flags.tenant ? `?tenant=${encodeURIComponent(flags.tenant)}` : '';
  const stored = await callJson(client, 'POST', `api/v1/attestations${query}`, Buffer.from(JSON.stringify(bundle)));
  if (!isRecord(stored) || typeof stored['id'] !== 'string')
    throw new AttestryError('E_INTERNAL', `${flags.server} answered the upload without an attestation id`);
  const id = stored['id'];
  const out: Uploaded = {
    id,
    created: stored['created'] === true,
    tenant: typeof stored['tenant'] === 'string' ? stored['tenant'] : '',
    kind: typeof stored['kind'] === 'string' ? stored['kind'] : '',
    logIndex: typeof stored['logIndex'] === 'number' ? stored['logIndex'] : null,
    bundle: undefined,
  };
  if (typeof stored['skipReason'] === 'string') out.skipReason = stored['skipReason'];
  if (out.logIndex === null) return out;
  const exported = await callJson(client, 'GET', `api/v1/attestations/${encodeURIComponent(id)}/bundle`);
  if (!isRecord(exported)) throw new AttestryError('E_INTERNAL', `${flags.server} returned no bundle for attestation ${id}`);
  out.bundle = exported;
  return out;
}

/** What `--json` reports of an upload (attest and sign-blob alike). */
export function uploadSummary(uploaded: Uploaded): Record<string, unknown> {
  return {
    id: uploaded.id,
    created: uploaded.created,
    tenant: uploaded.tenant,
    kind: uploaded.kind,
    logIndex: uploaded.logIndex,
    ...(uploaded.skipReason !== undefined ? { skipReason: uploaded.skipReason } : {}),
  };
}
