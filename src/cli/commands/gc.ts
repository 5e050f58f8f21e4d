/** `attestry gc`: remove what interrupted writes left in the blob store. */
import { Command } from 'commander';
import { collectOrphanBlobs } from '../../evidence/gc.js';
import { openBlobStore } from '../../store/blob/open.js';
import { parseIntOption } from '../files.js';
import { emit, safeText } from '../output.js';
import { run } from '../run.js';
import { configFrom, withIndex, withServiceOptions, type ServiceFlags } from '../service-options.js';

export function gcCommand(): Command {
  return withServiceOptions(
    new Command('gc')
      .description(
        'remove blobs no index row references (left by writes interrupted before they were acknowledged) and stale temp files; stored evidence is never touched',
      )
      .option('--dry-run', 'list what would be removed, remove nothing')
      .option('--min-age <seconds>', 'only blobs older than this (writes in flight are younger)', parseIntOption('--min-age'), 3600),
  ).action((flags: ServiceFlags & { dryRun?: boolean; minAge: number }) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const blobs = openBlobStore(configFrom(flags));
        try {
          const report = await collectOrphanBlobs(
            { blobs, evidence: s.repos.evidence },
            { now: s.clock.now(), minAgeMs: flags.minAge * 1000, dryRun: flags.dryRun ?? false },
          );
          emit(flags, { ok: true, ...report }, () =>
            [
              `scanned ${report.scanned} blobs; ${report.orphans.length} unreferenced` +
                (report.dryRun
                  ? ' (dry run: nothing removed)'
                  : `, removed ${report.removed}; ${report.tempFilesRemoved} stale temp files removed`),
              ...report.orphans.map((k) => `  ${safeText(k)}`),
            ].join('\n'),
          );
        } finally {
          await blobs.close();
        }
      }),
    ),
  );
}
