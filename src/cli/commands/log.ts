/** `attestry log …`: read, prove, verify and monitor a transparency log from outside. */
import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { AttestryError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import { verifyLogBundle } from '../../tlog/bundle.js';
import { openCheckpoint } from '../../tlog/checkpoint.js';
import { LogClient } from '../../tlog/client.js';
import { verifyInclusion } from '../../tlog/merkle.js';
import { cosignCheckpoint, monitorStep, readMonitorState, writeMonitorState } from '../../tlog/monitor.js';
import { NoteSigner, parseVerifierKey, SIG_COSIGNATURE_V1, formatVerifierKey, type NoteVerifierKey } from '../../tlog/note.js';
import { publicKeyFromFile, parseIntOption, readText } from '../files.js';
import { emit, safeLines, safeText } from '../output.js';
import { privateKeyWithPassphrase } from '../secrets.js';
import { run } from '../run.js';
import { collect } from '../service-options.js';

const LOG_KEY_HELP =
  "the log's verifier key: the text (name+id+base64), @FILE, or the path of an existing file holding it (get it once from GET /api/v1/log/key)";

interface LogFlags {
  server: string;
  logKey?: string;
  json?: boolean;
}

const serverOption = (cmd: Command): Command =>
  cmd
    .option('--server <url>', 'attestry service URL; also ATTESTRY_SERVER', process.env['ATTESTRY_SERVER'] ?? 'http://127.0.0.1:8080')
    .option('--log-key <vkey>', LOG_KEY_HELP)
    .option('--json', 'machine-readable output');

/** A vkey given as its text, as @FILE, or as the path of an existing file (`--log-key log.vkey` means the file). */
export function vkeyArg(value: string, what: string): NoteVerifierKey {
  if (value.startsWith('@')) return parseVerifierKey(readText(value.slice(1), what).trim());
  if (existsSync(value) && statSync(value).isFile()) return parseVerifierKey(readText(value, what).trim());
  if (!value.includes('+')) {
    throw new AttestryError(
      'E_USAGE',
      `${what} "${value.slice(0, 120)}" is neither a verifier key (<name>+<hex id>+<base64 key>) nor an existing file; give the key text, @FILE or a file path`,
    );
  }
  return parseVerifierKey(value);
}

/**
 * A checkpoint checked against the key the server itself reports proves only
 * that the server signed it, so no command says "verified" without a key the
 * operator pinned.
 */
function noLogKey(server: string, tofu: string): AttestryError {
  const url = `${server.replace(/\/+$/, '')}/api/v1/log/key`;
  return new AttestryError(
    'E_USAGE',
    `no --log-key given: a checkpoint can only be verified against a log key you obtained independently. Fetch it once over a channel you trust (GET ${url}, field verifierKey; \`attestry serve\` also prints it), save it as log.vkey and pass --log-key @log.vkey${tofu}`,
  );
}

/** The log key from --log-key; without one, refuse. */
function logKeyOf(flags: LogFlags): NoteVerifierKey {
  if (flags.logKey === undefined) throw noLogKey(flags.server, '');
  return vkeyArg(flags.logKey, '--log-key');
}

export function logCommand(): Command {
  const cmd = new Command('log').description('transparency log: checkpoints, proofs, offline bundle verification, monitoring');

  serverOption(cmd.command('checkpoint').description('fetch the signed checkpoint and verify its signature')).action((flags: LogFlags) =>
    run(flags, async () => {
      const logKey = logKeyOf(flags);
      const client = new LogClient(flags.server);
      const note = await client.checkpoint();
      const cp = openCheckpoint(note, logKey);
      emit(
        flags,
        { origin: cp.origin, size: cp.size, rootHash: cp.root.toString('hex'), cosigners: cp.cosigners, checkpoint: note },
        () => `${safeLines(note.trimEnd())}\n\nverified: origin ${safeText(cp.origin)}, size ${cp.size}, root ${cp.root.toString('hex')}`,
      );
    }),
  );

  serverOption(
    cmd
      .command('prove')
      .description('fetch an inclusion proof for an entry and verify it against the signed checkpoint')
      .option('--leaf <hex>', 'RFC 6962 leaf hash (the rekorUuid of a stored record)')
      .option('--index <n>', 'entry index (the logIndex of a stored record)', parseIntOption('--index')),
  ).action((flags: LogFlags & { leaf?: string; index?: number }) =>
    run(flags, async () => {
      if ((flags.leaf === undefined) === (flags.index === undefined))
        throw new AttestryError('E_USAGE', 'give exactly one of --leaf <hex> or --index <n>');
      if (flags.leaf !== undefined && !/^[0-9a-f]{64}$/.test(flags.leaf))
        throw new AttestryError('E_USAGE', '--leaf must be 64 lowercase hex digits');
      const logKey = logKeyOf(flags);
      const client = new LogClient(flags.server);
      const cp = openCheckpoint(await client.checkpoint(), logKey);
      const proof = await client.inclusion({
        ...(flags.leaf ? { leaf: flags.leaf } : {}),
        ...(flags.index !== undefined ? { index: flags.index } : {}),
        size: cp.size,
      });
      const leaf = flags.leaf ?? (await client.json<{ leafHash: string }>(`api/v1/log/entries/${proof.index}`)).leafHash;
      verifyInclusion(
        proof.index,
        cp.size,
        Buffer.from(leaf, 'hex'),
        proof.hashes.map((h) => Buffer.from(h, 'hex')),
        cp.root,
      );
      emit(
        flags,
        { verified: true, leafHash: leaf, ...proof },
        () =>
          `entry ${proof.index} (leaf ${safeText(leaf)}) is included in ${safeText(cp.origin)} at size ${cp.size}\n  root ${cp.root.toString('hex')}\n  ${proof.hashes.length} proof hashes, verified`,
      );
    }),
  );

  cmd
    .command('verify')
    .description(
      'verify a bundle from `GET /api/v1/attestations/{id}/bundle` offline: envelope signature, log inclusion, checkpoint signature',
    )
    .requiredOption('--bundle <file>', 'Sigstore bundle with a log entry')
    .requiredOption('--log-key <vkey>', LOG_KEY_HELP)
    .option('--key <pem>', 'require the envelope to be signed by this public key')
    .option('--witness <vkey...>', 'witness verifier keys (type 0x04) whose cosignatures count', collect)
    .option('--min-cosigners <n>', 'require this many witness cosignatures on the checkpoint', parseIntOption('--min-cosigners'))
    .option('--json', 'machine-readable output')
    .action((flags: { bundle: string; logKey: string; key?: string; witness?: string[]; minCosigners?: number; json?: boolean }) =>
      run(flags, async () => {
        const input = parseJsonText(readText(flags.bundle, 'bundle'), `bundle ${flags.bundle}`, 'E_SIGNATURE_FORMAT');
        const result = verifyLogBundle(input, {
          logKey: vkeyArg(flags.logKey, '--log-key'),
          ...(flags.key ? { signerKey: publicKeyFromFile(flags.key) } : {}),
          ...(flags.witness ? { witnesses: flags.witness.map((w) => vkeyArg(w, 'witness key')) } : {}),
          ...(flags.minCosigners !== undefined ? { minCosigners: flags.minCosigners } : {}),
        });
        emit(flags, { verified: true, ...result }, () =>
          [
            `VERIFIED: ${safeText(flags.bundle)}`,
            `  signed by     ${safeText(result.signer)}`,
            `  payload type  ${safeText(result.payloadType)}`,
            `  log           ${safeText(result.origin)}, entry ${result.logIndex} of ${result.treeSize}`,
            ...result.cosigners.map((c) => `  cosigned by   ${safeText(c.name)} at ${new Date(c.timestamp * 1000).toISOString()}`),
          ].join('\n'),
        );
      }),
    );

  serverOption(
    cmd
      .command('monitor')
      .description('follow a log: verify each new checkpoint and its consistency with the last one verified; exit 2 on a fork or rollback')
      .requiredOption('--state <file>', 'where the last verified checkpoint is kept (created on first run)')
      .option('--once', 'check once and exit')
      .option('--interval <seconds>', 'seconds between checks', parseIntOption('--interval'), 30)
      .option('--witness <vkey...>', 'witness verifier keys whose cosignatures count', collect)
      .option('--min-cosigners <n>', 'require this many witness cosignatures', parseIntOption('--min-cosigners'))
      .option(
        '--cosign-key <pem>',
        'act as a witness: after each verified step, cosign the checkpoint with this Ed25519 key and send it to the log',
      )
      .option('--witness-name <name>', 'the witness key name for --cosign-key')
      .option(
        '--passphrase-env <var>',
        'environment variable holding the --cosign-key passphrase (default: ATTESTRY_PASSWORD, else a prompt on the terminal)',
      )
      .option(
        '--trust-on-first-use',
        'without --log-key on the first run: take the key the log reports now and pin it in the state file (later runs check against the pinned key)',
      ),
  ).action(
    (
      flags: LogFlags & {
        state: string;
        once?: boolean;
        interval: number;
        witness?: string[];
        minCosigners?: number;
        cosignKey?: string;
        witnessName?: string;
        passphraseEnv?: string;
        trustOnFirstUse?: boolean;
      },
    ) =>
      run(flags, async () => {
        const client = new LogClient(flags.server);
        const witnesses = (flags.witness ?? []).map((w) => vkeyArg(w, 'witness key'));
        // ATTESTRY_PASSPHRASE: what earlier versions read for the cosign key; kept so their setups keep working.
        const passphraseEnv = flags.passphraseEnv ?? (process.env['ATTESTRY_PASSPHRASE'] !== undefined ? 'ATTESTRY_PASSPHRASE' : undefined);
        const cosigner =
          flags.cosignKey === undefined
            ? undefined
            : new NoteSigner(flags.witnessName ?? 'witness', await privateKeyWithPassphrase(flags.cosignKey, passphraseEnv));
        let previous = readMonitorState(flags.state);
        // Key order: --log-key, else the key pinned in the state file, else (only when asked) the log's own key, pinned now.
        let logKey: NoteVerifierKey | undefined;
        let pinnedNow = false;
        if (flags.logKey !== undefined) logKey = vkeyArg(flags.logKey, '--log-key');
        else if (previous === undefined) {
          if (!flags.trustOnFirstUse)
            throw noLogKey(flags.server, ', or give --trust-on-first-use to pin the key the log reports now in the state file');
          logKey = parseVerifierKey((await client.key()).verifierKey);
          pinnedNow = true;
        }
        for (;;) {
          let step: Awaited<ReturnType<typeof monitorStep>>;
          try {
            step = await monitorStep(client, previous, {
              ...(logKey ? { logKey } : {}),
              witnesses,
              ...(flags.minCosigners !== undefined ? { minCosigners: flags.minCosigners } : {}),
              pinnedOnFirstUse: pinnedNow,
            });
          } catch (e) {
            // A log that cannot be reached is retried when following; anything it serves that fails to verify ends the run.
            if (flags.once || !(e instanceof AttestryError) || e.code !== 'E_UNAVAILABLE') throw e;
            process.stderr.write(`attestry: ${safeText(e.message)}; retrying in ${flags.interval} s\n`);
            await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
            continue;
          }
          const { outcome, state } = step;
          writeMonitorState(flags.state, state);
          if (cosigner !== undefined && outcome.status !== 'unchanged')
            await client.postCosignature(cosignCheckpoint(state.checkpoint, cosigner));
          const cp = outcome.checkpoint;
          const tofu = state.pinnedOnFirstUse === true;
          const origin = safeText(cp.origin);
          emit(
            flags,
            {
              status: outcome.status,
              origin: cp.origin,
              size: cp.size,
              rootHash: cp.root.toString('hex'),
              ...(outcome.status === 'grown' ? { from: outcome.from } : {}),
              logKey: state.verifierKey,
              logKeyPinnedOnFirstUse: tofu,
            },
            () =>
              (outcome.status === 'first'
                ? tofu
                  ? `${origin}: first checkpoint, size ${cp.size}, root ${cp.root.toString('hex')}; log key ${safeText(state.verifierKey)} pinned on first use (as the log reported it, not checked against a key you gave), kept in ${safeText(flags.state)}`
                  : `${origin}: first checkpoint, size ${cp.size}, root ${cp.root.toString('hex')} (kept in ${safeText(flags.state)})`
                : outcome.status === 'grown'
                  ? `${origin}: grew ${outcome.from} -> ${cp.size}, consistent; root ${cp.root.toString('hex')}`
                  : `${origin}: unchanged at size ${cp.size}`) +
              (tofu && outcome.status !== 'first' ? ' (log key pinned on first use)' : ''),
          );
          previous = state;
          if (flags.once) return;
          await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
        }
      }),
  );

  cmd
    .command('witness-key')
    .description('print the cosignature verifier key (type 0x04) of an Ed25519 witness key, for Log.Witnesses')
    .requiredOption('--key <pem>', 'the witness private or public key')
    .requiredOption('--name <name>', 'the witness key name, e.g. witness.example.com/w1')
    .option('--json', 'machine-readable output')
    .action((flags: { key: string; name: string; json?: boolean }) =>
      run(flags, () => {
        const verifierKey = formatVerifierKey(flags.name, publicKeyFromFile(flags.key), SIG_COSIGNATURE_V1);
        emit(flags, { name: flags.name, verifierKey }, () => verifierKey);
      }),
    );
  return cmd;
}
