import { AttestryError } from '../core/errors.js';
import { HASH_SIZE } from './hash.js';
import { formatNote, keyLabel, parseNote, signersOf, verifyNote, type NoteSigner, type NoteVerifierKey } from './note.js';

/** C2SP tlog-checkpoint body: origin, tree size, base64 root hash, optional extension lines. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  readonly extensions: readonly string[];
}

export function checkpointText(cp: Omit<Checkpoint, 'extensions'> & { extensions?: readonly string[] }): string {
  return [cp.origin, String(cp.size), cp.root.toString('base64'), ...(cp.extensions ?? [])].join('\n') + '\n';
}

export function parseCheckpointText(text: string): Checkpoint {
  const bad = (why: string) => new AttestryError('E_SIGNATURE_INVALID', `checkpoint: ${why}`);
  if (!text.endsWith('\n')) throw bad('body must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw bad('needs origin, tree size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw bad('empty origin');
  if (!/^(0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw bad(`tree size "${sizeText.slice(0, 30)}" is not a decimal without leading zeroes`);
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) throw bad('root hash is not 32 base64-encoded bytes');
  if (extensions.some((e) => e.length === 0)) throw bad('empty extension line');
  return { origin, size: Number(sizeText), root, extensions };
}

/** Signs a checkpoint with the log key: a signed note whose key name is the origin. */
export function signCheckpoint(signer: NoteSigner, size: number, root: Buffer): string {
  const text = checkpointText({ origin: signer.name, size, root });
  return formatNote({ text, signatures: [signer.sign(text)] });
}

export interface VerifiedCheckpoint extends Checkpoint {
  /** The witnesses whose cosignatures verified, with their times. */
  readonly cosigners: { name: string; timestamp: number }[];
}

/**
 * Opens a signed checkpoint: the log key must have signed it, its origin must
 * be the expected one, and at least `minCosigners` of `witnesses` must have
 * cosigned it.
 */
export function openCheckpoint(
  note: string,
  logKey: NoteVerifierKey,
  options: { witnesses?: readonly NoteVerifierKey[]; minCosigners?: number } = {},
): VerifiedCheckpoint {
  const parsed = parseNote(note);
  const witnesses = options.witnesses ?? [];
  const verified = verifyNote(parsed, [logKey, ...witnesses]);
  if (!verified.some((v) => v.key === logKey))
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `checkpoint is not signed by the log key ${keyLabel(logKey.name, logKey.keyId)} (signed by ${signersOf(parsed)})`,
    );
  const cp = parseCheckpointText(parsed.text);
  if (cp.origin !== logKey.name)
    throw new AttestryError('E_SIGNATURE_INVALID', `checkpoint origin "${cp.origin}" is not the log's "${logKey.name}"`);
  const cosigners = verified
    .filter((v) => v.key !== logKey && v.timestamp !== undefined)
    .map((v) => ({ name: v.key.name, timestamp: v.timestamp as number }));
  const need = options.minCosigners ?? 0;
  if (cosigners.length < need)
    throw new AttestryError('E_SIGNATURE_INVALID', `checkpoint has ${cosigners.length} valid witness cosignature(s), ${need} required`);
  return { ...cp, cosigners };
}
