/** `attestry trust refresh|show`: the Sigstore trusted root used by verify-bundle and model verify. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  publicGoodTrustRoot,
  loadTrustRootFile,
  refreshTrustRoot,
  refreshedTrustRootPath,
  type SigstoreTrustRoot,
} from '../../sigstore/index.js';
import { attestryHome } from '../default-keys.js';
import { emit, safeText } from '../output.js';
import { parseIntOption } from '../files.js';
import { run } from '../run.js';

/** `$ATTESTRY_HOME/sigstore`: where `trust refresh` keeps the TUF cache and the refreshed root. */
export function trustDirectory(): string {
  return join(attestryHome(), 'sigstore');
}

/**
 * The trusted root a command verifies against: `--trusted-root FILE`, else the
 * one `trust refresh` last stored, else the public-good root embedded in
 * @sigstore/tuf. Never the network.
 */
export function resolveTrustRoot(path: string | undefined): SigstoreTrustRoot {
  if (path !== undefined) return loadTrustRootFile(path);
  const refreshed = refreshedTrustRootPath(trustDirectory());
  return existsSync(refreshed) ? loadTrustRootFile(refreshed) : publicGoodTrustRoot();
}

function summary(root: SigstoreTrustRoot): Record<string, unknown> {
  const m = root.material;
  return {
    source: root.source,
    mediaType: root.mediaType,
    tlogs: m.tlogs.map((t) => ({
      baseUrl: t.baseURL,
      logId: t.logID.toString('base64'),
      validFrom: t.validFor.start.toISOString(),
      validUntil: t.validFor.end.getTime() >= 8.64e15 ? null : t.validFor.end.toISOString(),
    })),
    certificateAuthorities: m.certificateAuthorities.length,
    ctlogs: m.ctlogs.length,
    timestampAuthorities: m.timestampAuthorities.length,
  };
}

export function trustCommand(): Command {
  const trust = new Command('trust').description(
    'the Sigstore trusted root (offline by default: the public-good root embedded in @sigstore/tuf)',
  );

  trust
    .command('refresh')
    .description('update the trusted root through TUF (needs the network); verification keeps working offline with the stored result')
    .option('--mirror <url>', 'TUF repository URL (default: the Sigstore public-good instance)')
    .option('--initial-root <file>', 'initial root.json for a private TUF repository')
    .option('--dir <dir>', 'where to keep the TUF cache and trusted_root.json (default $ATTESTRY_HOME/sigstore)')
    .option('--timeout <ms>', 'per-request timeout in milliseconds', parseIntOption('--timeout'))
    .option('--json', 'machine-readable output')
    .action((flags: { mirror?: string; initialRoot?: string; dir?: string; timeout?: number; json?: boolean }) =>
      run(flags, async () => {
        const r = await refreshTrustRoot({
          directory: flags.dir ?? trustDirectory(),
          ...(flags.mirror !== undefined ? { mirrorUrl: flags.mirror } : {}),
          ...(flags.initialRoot !== undefined ? { initialRootPath: flags.initialRoot } : {}),
          ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
        });
        const out = {
          ok: true,
          path: r.path,
          mirrorUrl: r.mirrorUrl,
          tlogs: r.tlogs,
          certificateAuthorities: r.certificateAuthorities,
          ctlogs: r.ctlogs,
          timestampAuthorities: r.timestampAuthorities,
        };
        emit(flags, out, () =>
          [
            `Trusted root refreshed through TUF from ${r.mirrorUrl}`,
            `  Written  : ${r.path}`,
            `  Contents : ${r.tlogs} transparency logs, ${r.certificateAuthorities} CAs, ${r.ctlogs} CT logs, ${r.timestampAuthorities} timestamp authorities`,
          ].join('\n'),
        );
      }),
    );

  trust
    .command('show')
    .description('show which trusted root verification uses and what it trusts')
    .option('--trusted-root <file>', 'a trusted_root.json to show instead of the default')
    .option('--json', 'machine-readable output')
    .action((flags: { trustedRoot?: string; json?: boolean }) =>
      run(flags, () => {
        const s = summary(resolveTrustRoot(flags.trustedRoot));
        emit(flags, { ok: true, ...s }, () => {
          const lines = [`Trusted root: ${safeText(s['source'])}`];
          for (const t of s['tlogs'] as { baseUrl: string; validFrom: string; validUntil: string | null }[])
            lines.push(`  tlog ${safeText(t.baseUrl)} from ${t.validFrom}${t.validUntil ? ` until ${t.validUntil}` : ''}`);
          lines.push(
            `  ${String(s['certificateAuthorities'])} CAs, ${String(s['ctlogs'])} CT logs, ${String(s['timestampAuthorities'])} timestamp authorities`,
          );
          return lines.join('\n');
        });
      }),
    );

  return trust;
}
