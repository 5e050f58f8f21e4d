import { AttestryError, isAttestryError } from '../core/errors.js';
import { parseCheckpointText } from './checkpoint.js';
import { keyLabel, parseNote, verifyNote, type NoteVerifierKey } from './note.js';

/** The latest checkpoint as a person reads it: what it says, and whose signatures on it verify. */
export interface CheckpointStatus {
  readonly note: string;
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
  /** The log's own signature verified with its published key. */
  readonly verified: boolean;
  readonly signatures: readonly {
    readonly signer: string;
    readonly role: 'log' | 'witness' | 'unknown';
    readonly status: 'verified' | 'invalid' | 'unknown-key';
  }[];
}

/** Each signature line checked on its own, so one witness's bad cosignature is shown rather than hiding the rest. */
export function checkpointStatus(note: string, logKey: NoteVerifierKey, witnesses: readonly NoteVerifierKey[]): CheckpointStatus {
  const parsed = parseNote(note);
  const cp = parseCheckpointText(parsed.text);
  const signatures = parsed.signatures.map((s) => {
    const key = [logKey, ...witnesses].find((k) => k.name === s.name && k.keyId === s.keyId);
    const role = key === undefined ? 'unknown' : key === logKey ? 'log' : 'witness';
    if (key === undefined) return { signer: keyLabel(s.name, s.keyId), role, status: 'unknown-key' } as const;
    try {
      verifyNote({ text: parsed.text, signatures: [s] }, [key]);
      return { signer: keyLabel(s.name, s.keyId), role, status: 'verified' } as const;
    } catch (e) {
      if (!isAttestryError(e) || e.code !== 'E_SIGNATURE_INVALID') throw e;
      return { signer: keyLabel(s.name, s.keyId), role, status: 'invalid' } as const;
    }
  });
  if (cp.origin !== logKey.name)
    throw new AttestryError('E_INTERNAL', `the checkpoint's origin ${cp.origin} is not the log's (${logKey.name})`);
  return {
    note,
    origin: cp.origin,
    size: cp.size,
    rootHash: cp.root.toString('hex'),
    verified: signatures.some((s) => s.role === 'log' && s.status === 'verified'),
    signatures,
  };
}
