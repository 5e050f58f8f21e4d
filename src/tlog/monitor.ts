import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError, ioError } from '../core/errors.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { openCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import type { LogClient } from './client.js';
import { verifyConsistency } from './merkle.js';
import { formatNote, parseNote, parseVerifierKey, type NoteSigner, type NoteVerifierKey } from './note.js';

/** What a monitor remembers between runs: the last checkpoint it verified, and the key it verified it with. */
export interface MonitorState {
  readonly origin: string;
  readonly verifierKey: string;
  readonly size: number;
  readonly rootHash: string;
  readonly checkpoint: string;
  readonly verifiedAt: string;
  /** True when the key was taken from the log itself on the first run (trust on first use), not given by the operator. */
  readonly pinnedOnFirstUse?: boolean;
}

const StateSchema = z.object({
  origin: z.string(),
  verifierKey: z.string(),
  size: z.number().int().nonnegative(),
  rootHash: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  checkpoint: z.string(),
  verifiedAt: z.string(),
  pinnedOnFirstUse: z.boolean().optional(),
});

export function readMonitorState(path: string): MonitorState | undefined {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, 'read monitor state', path);
  }
  return parseWith(StateSchema, parseJsonText(text, `monitor state ${path}`), `monitor state ${path}`);
}

/** Crash-safe: the old state stays until the new one is completely on disk. */
export function writeMonitorState(path: string, state: MonitorState): void {
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export type MonitorOutcome =
  | { readonly status: 'first'; readonly checkpoint: VerifiedCheckpoint }
  | { readonly status: 'unchanged'; readonly checkpoint: VerifiedCheckpoint }
  | { readonly status: 'grown'; readonly from: number; readonly checkpoint: VerifiedCheckpoint };

/**
 * One monitoring step: fetch the checkpoint, check its signature (and
 * witness cosignatures when asked), and prove it consistent with the last
 * one verified. A smaller size is a rollback and the same size with another
 * root a fork: both throw E_SIGNATURE_INVALID, and the state is kept as it was.
 */
export async function monitorStep(
  client: LogClient,
  previous: MonitorState | undefined,
  options: {
    logKey?: NoteVerifierKey;
    witnesses?: readonly NoteVerifierKey[];
    minCosigners?: number;
    now?: Date;
    pinnedOnFirstUse?: boolean;
  } = {},
): Promise<{ outcome: MonitorOutcome; state: MonitorState }> {
  const logKey = options.logKey ?? (previous === undefined ? undefined : parseVerifierKey(previous.verifierKey));
  if (logKey === undefined) throw new AttestryError('E_USAGE', 'no log key: give --log-key <vkey> (or a state file from an earlier run)');
  if (previous !== undefined && previous.origin !== logKey.name)
    throw new AttestryError('E_USAGE', `state file is for log "${previous.origin}", not "${logKey.name}"`);
  // The state pins a key: a different one given later is a key change, which this monitor must not accept silently.
  if (
    previous !== undefined &&
    options.logKey !== undefined &&
    !rawKey(parseVerifierKey(previous.verifierKey)).equals(rawKey(options.logKey))
  ) {
    throw new AttestryError(
      'E_USAGE',
      `the state file pins the log key ${previous.verifierKey}, not the one given; start a new state file to monitor with another key`,
    );
  }
  const note = await client.checkpoint();
  const cp = openCheckpoint(note, logKey, {
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
    ...(options.minCosigners !== undefined ? { minCosigners: options.minCosigners } : {}),
  });
  const state: MonitorState = {
    origin: cp.origin,
    verifierKey:
      previous?.verifierKey ??
      `${logKey.name}+${logKey.keyId.toString(16).padStart(8, '0')}+${Buffer.concat([Buffer.from([logKey.type]), rawKey(logKey)]).toString('base64')}`,
    size: cp.size,
    rootHash: cp.root.toString('base64'),
    checkpoint: note,
    verifiedAt: (options.now ?? new Date()).toISOString(),
    // A key the operator gives (again) confirms the pin; without one, how the key was pinned carries over.
    ...((options.logKey !== undefined ? options.pinnedOnFirstUse === true : previous?.pinnedOnFirstUse === true)
      ? { pinnedOnFirstUse: true }
      : {}),
  };
  if (previous === undefined) return { outcome: { status: 'first', checkpoint: cp }, state };
  const oldRoot = Buffer.from(previous.rootHash, 'base64');
  if (cp.size < previous.size) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `ROLLBACK: the log now shows size ${cp.size}, below the verified size ${previous.size}`,
      { details: { previous: previous.checkpoint, current: note } },
    );
  }
  if (cp.size === previous.size) {
    if (!cp.root.equals(oldRoot))
      throw new AttestryError('E_SIGNATURE_INVALID', `FORK: two different signed root hashes for size ${cp.size}`, {
        details: { previous: previous.checkpoint, current: note },
      });
    return { outcome: { status: 'unchanged', checkpoint: cp }, state: { ...state, checkpoint: previous.checkpoint } };
  }
  const proof = previous.size === 0 ? [] : await client.consistency(previous.size, cp.size);
  try {
    verifyConsistency(previous.size, cp.size, proof, oldRoot, cp.root);
  } catch (e) {
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `FORK: size ${cp.size} is not an extension of the verified size ${previous.size}: ${(e as Error).message}`,
      { cause: e, details: { previous: previous.checkpoint, current: note } },
    );
  }
  return { outcome: { status: 'grown', from: previous.size, checkpoint: cp }, state };
}

function rawKey(key: NoteVerifierKey): Buffer {
  return key.publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
}

/** As a witness: adds this key's cosignature to a checkpoint the monitor just verified. */
export function cosignCheckpoint(note: string, witness: NoteSigner, now: Date = new Date()): string {
  const parsed = parseNote(note);
  return formatNote({
    text: parsed.text,
    signatures: [
      ...parsed.signatures.filter((s) => s.name !== witness.name),
      witness.cosign(parsed.text, Math.floor(now.getTime() / 1000)),
    ],
  });
}
