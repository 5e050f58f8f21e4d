/** `attestry log …`: read, prove, verify and monitor a transparency log from outside. */
import { Command } from 'commander';
import { AttestryError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import { verifyLogBundle } from '../../tlog/bundle.js';
import { openCheckpoint } from '../../tlog/checkpoint.js';
import { LogClient } from '../../tlog/client.js';
import { verifyInclusion } from '../../tlog/merkle.js';
import { cosignCheckpoint, monitorStep, readMonitorState, writeMonitorState } from '../../tlog/monitor.js';
import { NoteSigner, parseVerifierKey, SIG_COSIGNATURE_V1, formatVerifierKey, type NoteVerifierKey } from '../../tlog/note.js';
import { privateKeyFromFile, publicKeyFromFile, parseIntOption, readText } from '../files.js';
import { emit } from '../output.js';
import { run } from '../run.js';
import { collect } from '../service-options.js';

interface LogFlags {
  server: string;
  logKey?: string;
  json?: boolean;
}

const serverOption = (cmd: Command): Command =>
  cmd
    .option('--server <url>', 'attestry service URL; also ATTESTRY_SERVER', process.env['ATTESTRY_SERVER'] ?? 'http://127.0.0.1:8080')
    .option('--log-key <vkey>', 'the log\'s verifier key (name+id+base64), or @FILE holding it; see GET /api/v1/log/key')
    .option('--json', 'machine-readable output');

/** A vkey given inline or as @file. */
function vkeyArg(value: string, what: string): NoteVerifierKey {
  const text = value.startsWith('@') ? readText(value.slice(1), what).trim() : value;
  return parseVerifierKey(text);
}

/** The log key from --log-key, else fetched from the server (trust on first use; said so on stderr). */
async function logKeyOf(flags: LogFlags, client: LogClient): Promise<NoteVerifierKey> {
  if (flags.logKey !== undefined) return vkeyArg(flags.logKey, 'log key');
  const { verifierKey } = await client.key();
  if (!flags.json) process.stderr.write(`attestry: no --log-key given; using the key the server reports (${verifierKey}); pin it with --log-key for real verification\n`);
  return parseVerifierKey(verifierKey);
}

export function logCommand(): Command {
  const cmd = new Command('log').description('transparency log: checkpoints, proofs, offline bundle verification, monitoring');

  serverOption(cmd.command('checkpoint').description('fetch the signed checkpoint and verify its signature')).action((flags: LogFlags) =>
    run(flags, async () => {
      const client = new LogClient(flags.server);
      const note = await client.checkpoint();
      const cp = openCheckpoint(note, await logKeyOf(flags, client));
      emit(flags, { origin: cp.origin, size: cp.size, rootHash: cp.root.toString('hex'), cosigners: cp.cosigners, checkpoint: note }, () => `${note.trimEnd()}\n\nverified: origin ${cp.origin}, size ${cp.size}, root ${cp.root.toString('hex')}`);
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
      if ((flags.leaf === undefined) === (flags.index === undefined)) throw new AttestryError('E_USAGE', 'give exactly one of --leaf <hex> or --index <n>');
      if (flags.leaf !== undefined && !/^[0-9a-f]{64}$/.test(flags.leaf)) throw new AttestryError('E_USAGE', '--leaf must be 64 lowercase hex digits');
      const client = new LogClient(flags.server);
      const cp = openCheckpoint(await client.checkpoint(), await logKeyOf(flags, client));
      const proof = await client.inclusion({ ...(flags.leaf ? { leaf: flags.leaf } : {}), ...(flags.index !== undefined ? { index: flags.index } : {}), size: cp.size });
      const leaf = flags.leaf ?? (await client.json<{ leafHash: string }>(`api/v1/log/entries/${proof.index}`)).leafHash;
      verifyInclusion(proof.index, cp.size, Buffer.from(leaf, 'hex'), proof.hashes.map((h) => Buffer.from(h, 'hex')), cp.root);
      emit(flags, { verified: true, leafHash: leaf, ...proof }, () => `entry ${proof.index} (leaf ${leaf}) is included in ${cp.origin} at size ${cp.size}\n  root ${cp.root.toString('hex')}\n  ${proof.hashes.length} proof hashes, verified`);
    }),
  );

  cmd
    .command('verify')
    .description('verify a bundle from `GET /api/v1/attestations/{id}/bundle` offline: envelope signature, log inclusion, checkpoint signature')
    .requiredOption('--bundle <file>', 'Sigstore bundle with a log entry')
    .requiredOption('--log-key <vkey>', 'the log\'s verifier key, or @FILE')
    .option('--key <pem>', 'require the envelope to be signed by this public key')
    .option('--witness <vkey...>', 'witness verifier keys (type 0x04) whose cosignatures count', collect)
    .option('--min-cosigners <n>', 'require this many witness cosignatures on the checkpoint', parseIntOption('--min-cosigners'))
    .option('--json', 'machine-readable output')
    .action((flags: { bundle: string; logKey: string; key?: string; witness?: string[]; minCosigners?: number; json?: boolean }) =>
      run(flags, async () => {
        const input = parseJsonText(readText(flags.bundle, 'bundle'), `bundle ${flags.bundle}`, 'E_SIGNATURE_FORMAT');
        const result = verifyLogBundle(input, {
          logKey: vkeyArg(flags.logKey, 'log key'),
          ...(flags.key ? { signerKey: publicKeyFromFile(flags.key) } : {}),
          ...(flags.witness ? { witnesses: flags.witness.map((w) => vkeyArg(w, 'witness key')) } : {}),
          ...(flags.minCosigners !== undefined ? { minCosigners: flags.minCosigners } : {}),
        });
        emit(flags, { verified: true, ...result }, () =>
          [
            `VERIFIED: ${flags.bundle}`,
            `  signed by     ${result.signer}`,
            `  payload type  ${result.payloadType}`,
            `  log           ${result.origin}, entry ${result.logIndex} of ${result.treeSize}`,
            ...result.cosigners.map((c) => `  cosigned by   ${c.name} at ${new Date(c.timestamp * 1000).toISOString()}`),
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
      .option('--cosign-key <pem>', 'act as a witness: after each verified step, cosign the checkpoint with this Ed25519 key and send it to the log')
      .option('--witness-name <name>', 'the witness key name for --cosign-key'),
  ).action((flags: LogFlags & { state: string; once?: boolean; interval: number; witness?: string[]; minCosigners?: number; cosignKey?: string; witnessName?: string }) =>
    run(flags, async () => {
      const client = new LogClient(flags.server);
      const witnesses = (flags.witness ?? []).map((w) => vkeyArg(w, 'witness key'));
      const cosigner = flags.cosignKey === undefined ? undefined : new NoteSigner(flags.witnessName ?? 'witness', privateKeyFromFile(flags.cosignKey, process.env['ATTESTRY_PASSPHRASE']));
      let previous = readMonitorState(flags.state);
      const logKey = flags.logKey !== undefined ? vkeyArg(flags.logKey, 'log key') : previous === undefined ? await logKeyOf(flags, client) : undefined;
      for (;;) {
        let step: Awaited<ReturnType<typeof monitorStep>>;
        try {
          step = await monitorStep(client, previous, { ...(logKey ? { logKey } : {}), witnesses, ...(flags.minCosigners !== undefined ? { minCosigners: flags.minCosigners } : {}) });
        } catch (e) {
          // A log that cannot be reached is retried when following; anything it serves that fails to verify ends the run.
          if (flags.once || !(e instanceof AttestryError) || e.code !== 'E_UNAVAILABLE') throw e;
          process.stderr.write(`attestry: ${e.message}; retrying in ${flags.interval} s\n`);
          await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
          continue;
        }
        const { outcome, state } = step;
        writeMonitorState(flags.state, state);
        if (cosigner !== undefined && outcome.status !== 'unchanged') await client.postCosignature(cosignCheckpoint(state.checkpoint, cosigner));
        const cp = outcome.checkpoint;
        emit(flags, { status: outcome.status, origin: cp.origin, size: cp.size, rootHash: cp.root.toString('hex'), ...(outcome.status === 'grown' ? { from: outcome.from } : {}) }, () =>
          outcome.status === 'first'
            ? `${cp.origin}: first checkpoint, size ${cp.size}, root ${cp.root.toString('hex')} (kept in ${flags.state})`
            : outcome.status === 'grown'
              ? `${cp.origin}: grew ${outcome.from} -> ${cp.size}, consistent; root ${cp.root.toString('hex')}`
              : `${cp.origin}: unchanged at size ${cp.size}`,
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
