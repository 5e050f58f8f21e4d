import type { ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import { Keyring, type PublicKeyInfo } from '../crypto/keyring.js';
import type { IndexDatabase } from '../store/db/connect.js';
import { LogReader } from '../tlog/log-reader.js';
import { LogSequencer } from '../tlog/log-store.js';
import type { LogWitnesses } from '../tlog/log-witnesses.js';
import { NoteSigner, parseVerifierKey, type NoteVerifierKey } from '../tlog/note.js';
import { openTsaDirectory } from '../tlog/tsa-certs.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import type { EvidencePolicy } from './evidence-policy.js';
import { appSettings } from './settings.js';

/** The transparency log as the service runs it. */
export interface TransparencyLog {
  /** Whether the log takes entries at all (`Log.Enabled`); kinds may still be unlogged by their own switch. */
  readonly enabled: boolean;
  /** Why it takes none, naming the key, when it is off. */
  readonly offReason: string | undefined;
  readonly origin: string;
  /** The note signer's public half and its vkey text. */
  readonly key: PublicKeyInfo & { readonly created: boolean; readonly verifierKey: string };
  readonly noteKey: NoteVerifierKey;
  /** Witnesses whose cosignatures the log accepts (`Log.Witnesses`). */
  readonly witnesses: readonly NoteVerifierKey[];
  readonly reader: LogReader;
  /** Where accepted witness cosignatures are kept and read back. */
  readonly cosignatures: LogWitnesses;
}

export function keyringFor(config: ResolvedConfig): Keyring {
  return new Keyring(appSettings(config).keysDir);
}

/** The log's note key lives apart from evidence signing keys, so it is never trusted as an evidence signer. */
export function logKeyringFor(config: ResolvedConfig): Keyring {
  return new Keyring(appSettings(config).logKeysDir);
}

/**
 * The timestamp authority's keys and certificate chain live in `keys/tsa/`,
 * apart from evidence signing keys, created on first start; nodes of one
 * service share them as they share `keys/log/`.
 */
export function openTimestampAuthority(
  config: ResolvedConfig,
  now: Date = new Date(),
): { tsa: TimestampAuthority & { readonly created: boolean }; settings: TsaSettings } {
  const { privateKeyPem, chain, created } = openTsaDirectory(appSettings(config).tsaDir, now);
  const settings: TsaSettings = { privateKeyPem, chainDer: chain.der };
  return { tsa: Object.assign(new TimestampAuthority(settings), { created }), settings };
}

/** Opens (creating on first use) the log's Ed25519 note key and signs the first checkpoint if there is none. */
export async function openTransparencyLog(
  config: ResolvedConfig,
  index: IndexDatabase,
  policy: Pick<EvidencePolicy, 'logOff'>,
): Promise<{ log: TransparencyLog; signer: NoteSigner; keyring: Keyring }> {
  const keyring = logKeyringFor(config);
  const { info, created } = keyring.ensure(config.Log.KeyId, 'ed25519', 'the log (always Ed25519)');
  const signer = new NoteSigner(config.Log.Origin, keyring.privateKeyPem(config.Log.KeyId));
  const witnesses = config.Log.Witnesses.map((w, i) => {
    try {
      return parseVerifierKey(w);
    } catch (e) {
      throw new AttestryError('E_CONFIG', `Log.Witnesses[${i}]: ${(e as Error).message}`, { cause: e });
    }
  });
  // The checkpoint exists even with the log off, so readers and monitors see an empty log, not an error.
  await new LogSequencer(signer, index.driver).initialize(index.db);
  const reader = new LogReader(index.db);
  return {
    log: {
      enabled: policy.logOff === undefined,
      offReason: policy.logOff,
      origin: config.Log.Origin,
      key: { ...info, created, verifierKey: signer.verifierKey },
      noteKey: parseVerifierKey(signer.verifierKey),
      witnesses,
      reader,
      cosignatures: reader.witnesses,
    },
    signer,
    keyring,
  };
}
