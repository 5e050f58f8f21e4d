/** `attestry attest verify` (an AI attestation, seed 002) and `attestry audit list|verify` (the AI audit trail). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { parseArtifactId } from '../../ai/ids.js';
import { parseAiStatement } from '../../ai/schemas.js';
import { AttestryError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import { decodeBase64, parseEnvelope } from '../../crypto/dsse.js';
import { readTextFileBounded } from '../../core/bounded-read.js';
import { readJsonFile, withAi, withAiServerOptions } from '../ai-local.js';
import { parseIntOption } from '../files.js';
import { emit, emitVerdict, safeText } from '../output.js';
import { run } from '../run.js';
import { withServiceOptions, type ServiceFlags } from '../service-options.js';
import { replayLines } from './advisory.js';
import { verifyChainFile } from './review-verify.js';

/** The replay manifest written beside an attestation: replay-YYYYMMDD-<ULID>.json for ai-artifact-YYYYMMDD-<ULID>. */
function manifestBeside(file: string, envelope: unknown): string | undefined {
  try {
    const env = parseEnvelope(envelope);
    const { statement } = parseAiStatement(parseJsonText(decodeBase64(env.payload).toString('utf8'), 'payload'));
    const { ulid, date } = parseArtifactId(statement.predicate.artifactId);
    const path = join(dirname(file), `replay-${date}-${ulid}.json`);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export function attestVerifyCommand(): Command {
  return withAiServerOptions(
    withServiceOptions(
      new Command('verify')
        .description(
          'verify an AI attestation (.dsse.json): signature, predicate schema, replay manifest hash and binding (prompts, context, output), log inclusion; --replay also generates again',
        )
        .argument('<file>', 'the DSSE envelope (ai-artifact-….dsse.json); with --chain a published VEX attestation or bundle, or a draft')
        .option('--manifest <file>', 'the replay manifest (default: replay-….json beside the file, else the stored one)')
        .option('--key <pem>', "the signer's public key PEM (default: the data directory's keyring)")
        .option('--replay', 'also replay the manifest and require byte-identical output')
        .option('--model <path>', 'model for --replay (else advisoryAi.inference.local.modelPath)')
        .option(
          '--chain',
          "verify the whole review chain instead: generation, draft attestation, each signed transition, the published VEX and their log entries (FILE: a VEX attestation from `vex publish --attestation`, its bundle from `vex export`, or a draft's envelope)",
        )
        .option('--tenant <id>', 'tenant (default: default)'),
    ),
  ).action(
    (
      file: string,
      flags: ServiceFlags & { manifest?: string; key?: string; replay?: boolean; model?: string; tenant?: string; chain?: boolean },
    ) =>
      run(flags, () => {
        if (flags.chain) return verifyChainFile(file, flags);
        return withAi(flags, async (l) => {
          const envelope = readJsonFile(file, 'attestation', 16 * 1024 * 1024);
          const manifestPath = flags.manifest ?? manifestBeside(file, envelope);
          const v = await l.ai.verify(l.principal, {
            tenant: l.tenant,
            attestation: envelope,
            manifest: manifestPath === undefined ? undefined : readJsonFile(manifestPath, 'replay manifest'),
            publicKeyPem: flags.key === undefined ? undefined : readTextFileBounded(flags.key, 64 * 1024, 'public key'),
            verifyReplay: flags.replay ?? false,
            backend: flags.model === undefined ? undefined : { kind: 'local', modelPath: resolve(flags.model) },
          });
          const failed = v.checks.find((c) => c.ok === false);
          const failure =
            failed === undefined
              ? undefined
              : {
                  code: failed.name === 'signature' ? ('E_SIGNATURE_INVALID' as const) : ('E_DIGEST_MISMATCH' as const),
                  message: `${failed.name}: ${failed.message}`,
                };
          emitVerdict(
            flags,
            failure,
            { ...v, valid: v.valid, file: resolve(file), manifest: manifestPath === undefined ? null : resolve(manifestPath) },
            () =>
              [
                `${v.valid ? 'VERIFIED' : 'INVALID'}: ${safeText(file)}${v.artifactId === null ? '' : ` (${v.artifactId})`}${v.failedCheck === null ? '' : `; failed check: ${v.failedCheck}`}`,
                ...v.checks.map((c) => `  ${c.ok === null ? 'skip' : c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${safeText(c.message)}`),
                ...(v.replay === undefined ? [] : [replayLines(v.replay)]),
              ].join('\n'),
          );
        });
      }),
  );
}

export function auditCommand(): Command {
  const list = withAiServerOptions(
    withServiceOptions(
      new Command('list')
        .description('list AI audit records (generations, verifications, replays), oldest first')
        .option('--artifact <id>', 'only records of this artifact')
        .option('--since <iso>', 'only records at or after this time')
        .option('--limit <n>', 'at most this many (default 1000)', parseIntOption('--limit'))
        .option('--tenant <id>', 'tenant (default: default)'),
    ),
  ).action((flags: ServiceFlags & { artifact?: string; since?: string; limit?: number; tenant?: string }) =>
    run(flags, () =>
      withAi(flags, async (l) => {
        if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since)))
          throw new AttestryError('E_USAGE', `--since: not a time: ${flags.since}`);
        const records = await l.ai.audit(l.principal, {
          tenant: l.tenant,
          artifactId: flags.artifact,
          since: flags.since,
          limit: flags.limit,
        });
        emit(flags, { records }, () =>
          records.length === 0
            ? 'no audit records'
            : records
                .map(
                  (r) =>
                    `${r.sequence}  ${r.timestamp}  ${r.operation}  ${r.artifactId}  ${safeText(r.user)} (${r.role})  ${safeText(r.outcome ?? '')}`,
                )
                .join('\n'),
        );
      }),
    ),
  );
  const verify = withAiServerOptions(
    withServiceOptions(
      new Command('verify')
        .description(
          "check the tenant's AI audit trail: every record's digest and link to the one before, every signature, and the head's log inclusion",
        )
        .option('--tenant <id>', 'tenant (default: default)'),
    ),
  ).action((flags: ServiceFlags & { tenant?: string }) =>
    run(flags, () =>
      withAi(flags, async (l) => {
        const v = await l.ai.verifyAudit(l.principal, l.tenant);
        const failure = v.ok
          ? undefined
          : { code: 'E_INTEGRITY' as const, message: `the audit trail of ${v.tenant} is broken: ${v.problems.join('; ')}` };
        emitVerdict(flags, failure, { ...v, valid: v.ok }, () =>
          [
            `${v.ok ? 'VERIFIED' : 'BROKEN'}: audit trail of ${v.tenant}, ${v.length} record(s)${v.headLogIndex === null ? '' : `, head in log entry ${v.headLogIndex}`}`,
            ...v.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${safeText(c.message)}`),
          ].join('\n'),
        );
      }),
    ),
  );
  return new Command('audit')
    .description('the AI audit trail (seed 002): hash-chained, signed, logged records of every generation, verification and replay')
    .addCommand(list)
    .addCommand(verify);
}
