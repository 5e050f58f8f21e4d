import { AttestryError } from '../core/errors.js';
import { openCheckpoint } from './checkpoint.js';
import type { LogWitnesses } from './log-witnesses.js';
import { formatNote, parseNote, type NoteVerifierKey } from './note.js';

/**
 * Takes a checkpoint back from a witness with its cosignature (c2sp.org/
 * tlog-cosignature) added. The note must be one this log signed, byte for
 * byte, and each configured witness signature on it must verify; those lines
 * are stored and served with the checkpoint of that size from then on.
 */
export async function acceptCosignature(
  store: LogWitnesses,
  logKey: NoteVerifierKey,
  witnesses: readonly NoteVerifierKey[],
  note: string,
  now: Date = new Date(),
): Promise<{ size: number; witnesses: string[] }> {
  if (witnesses.length === 0) throw new AttestryError('E_FORBIDDEN', 'this log accepts no cosignatures: Log.Witnesses is empty');
  const checkpoint = openCheckpoint(note, logKey, { witnesses, minCosigners: 1 });
  const issued = await store.issuedCheckpoint(checkpoint.size);
  const parsed = parseNote(note);
  if (issued === undefined || parseNote(issued).text !== parsed.text) {
    throw new AttestryError('E_SIGNATURE_INVALID', `the log issued no checkpoint with this body for tree size ${checkpoint.size}`);
  }
  const names = new Set(checkpoint.cosigners.map((c) => c.name));
  const lines = parsed.signatures
    .filter((s) => names.has(s.name) && witnesses.some((w) => w.name === s.name && w.keyId === s.keyId))
    .map((s) => ({ name: s.name, line: formatNote({ text: '', signatures: [s] }).slice(1, -1) }));
  for (const l of lines) await store.addCosignature(checkpoint.size, l, now);
  return { size: checkpoint.size, witnesses: lines.map((l) => l.name) };
}
