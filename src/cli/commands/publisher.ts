/** `attestry publisher add|list|show|remove|revoke`: the trusted publisher registry. */
import { Command } from 'commander';
import { AttestryError } from '../../core/errors.js';
import { systemClock } from '../../core/ids.js';
import { addPublisher, findPublisher, readRegistry, removePublisher, revokePublisher, type Publisher } from '../../models/registry.js';
import { emit, safeText as s } from '../output.js';
import { parseDateOption, publicKeyFromFile } from '../files.js';
import { run } from '../run.js';

const DEFAULT_REGISTRY = 'trusted-publishers.json';

function status(p: Publisher, now = new Date()): string {
  if (p.revoked) return 'revoked';
  if (p.expiresAt !== undefined && Date.parse(p.expiresAt) <= now.getTime()) return 'expired';
  if (Date.parse(p.trustedSince) > now.getTime()) return 'not yet trusted';
  return 'trusted';
}

function describe(p: Publisher): string {
  return [
    `${s(p.id)} — ${s(p.name)} [${status(p)}]`,
    `  Algorithm    : ${p.algorithm}`,
    `  Fingerprint  : ${p.fingerprint}`,
    `  Trusted since: ${p.trustedSince}`,
    ...(p.expiresAt ? [`  Expires      : ${p.expiresAt}`] : []),
    ...(p.revokedAt ? [`  Revoked      : ${p.revokedAt}${p.revocationReason ? ` (${s(p.revocationReason)})` : ''}`] : []),
  ].join('\n');
}

export function publisherCommand(): Command {
  const cmd = new Command('publisher').description('manage the trusted publisher registry used by `model verify --registry`');
  const registryOption = ['--registry <file>', 'registry file', DEFAULT_REGISTRY] as const;

  cmd
    .command('add')
    .description('trust a publisher: an id (the signer id it signs with), a name and a public key')
    .option(...registryOption)
    .requiredOption('--id <id>', 'publisher id, matched against the signer id in signatures')
    .requiredOption('--public-key <pem>', 'the publisher public key (SPKI PEM)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--trusted-since <date>', 'ISO 8601 date trust begins (default: now)', parseDateOption('--trusted-since'))
    .option('--expires <date>', 'ISO 8601 date trust ends', parseDateOption('--expires'))
    .option('--json', 'machine-readable output')
    .action(
      (flags: { registry: string; id: string; publicKey: string; name?: string; trustedSince?: Date; expires?: Date; json?: boolean }) =>
        run(flags, async () => {
          const p = await addPublisher(
            flags.registry,
            {
              id: flags.id,
              publicKey: publicKeyFromFile(flags.publicKey),
              ...(flags.name !== undefined ? { name: flags.name } : {}),
              ...(flags.trustedSince ? { trustedSince: flags.trustedSince } : {}),
              ...(flags.expires ? { expiresAt: flags.expires } : {}),
            },
            systemClock,
          );
          emit(flags, { ok: true, publisher: p }, () => `Added to ${flags.registry}:\n${describe(p)}`);
        }),
    );

  cmd
    .command('list')
    .description('list publishers')
    .option(...registryOption)
    .option('--json', 'machine-readable output')
    .action((flags: { registry: string; json?: boolean }) =>
      run(flags, () => {
        const r = readRegistry(flags.registry);
        emit(flags, { publishers: r.publishers.map((p) => ({ ...p, status: status(p) })) }, () =>
          r.publishers.length === 0
            ? `No publishers in ${flags.registry}.`
            : r.publishers.map((p) => `${s(p.id).padEnd(32)} ${status(p).padEnd(10)} ${p.algorithm.padEnd(11)} ${s(p.name)}`).join('\n'),
        );
      }),
    );

  cmd
    .command('show')
    .description('show one publisher')
    .argument('<id>', 'publisher id')
    .option(...registryOption)
    .option('--json', 'machine-readable output')
    .action((id: string, flags: { registry: string; json?: boolean }) =>
      run(flags, () => {
        const p = findPublisher(readRegistry(flags.registry), id);
        if (!p) throw new AttestryError('E_NOT_FOUND', `publisher "${id}" is not in ${flags.registry}`);
        emit(flags, { ...p, status: status(p) }, () => `${describe(p)}\n${p.publicKey.trimEnd()}`);
      }),
    );

  cmd
    .command('remove')
    .description('delete a publisher from the registry')
    .argument('<id>', 'publisher id')
    .option(...registryOption)
    .option('--json', 'machine-readable output')
    .action((id: string, flags: { registry: string; json?: boolean }) =>
      run(flags, async () => {
        const p = await removePublisher(flags.registry, id);
        emit(flags, { ok: true, removed: p.id }, () => `Removed ${s(p.id)} from ${flags.registry}.`);
      }),
    );

  cmd
    .command('revoke')
    .description('keep a publisher on record but stop trusting it')
    .argument('<id>', 'publisher id')
    .option(...registryOption)
    .option('--reason <text>', 'why')
    .option('--json', 'machine-readable output')
    .action((id: string, flags: { registry: string; reason?: string; json?: boolean }) =>
      run(flags, async () => {
        const p = await revokePublisher(flags.registry, id, flags.reason, systemClock);
        emit(flags, { ok: true, publisher: p }, () => `Revoked ${s(p.id)} in ${flags.registry}.`);
      }),
    );

  return cmd;
}
