/** `attestry gc`: apply the kinds' retention rules and remove what interrupted writes left in the blob store. */
import { Command } from 'commander';
import { gcDeps } from '../../app/gc-job.js';
import { collectOrphanBlobs } from '../../evidence/gc.js';
import { builtinKinds } from '../../kinds/builtin.js';
import { openBlobStore } from '../../store/blob/open.js';
import { parseIntOption } from '../files.js';
import { emit, safeText } from '../output.js';
import { run } from '../run.js';
import { configFrom, withIndex, withServiceOptions, type ServiceFlags } from '../service-options.js';

export function gcCommand(): Command {
  return withServiceOptions(
    new Command('gc')
      .description(
        "apply each evidence kind's retention rule (seed 000 §3.3: runtime-fact batches after Signals.CAS.RetentionDays.RuntimeFacts days, callgraphs no batch references after Signals.CAS.RetentionDays.OrphanCallgraphs days; manifests, attestations, referenced callgraphs and every other kind are kept forever; each deletion is recorded), then remove blobs no record or Signals row references (left by writes interrupted before they were acknowledged) and stale temp files; the service runs the same every Gc.IntervalMinutes",
      )
      .option('--dry-run', 'list what would be removed, remove nothing')
      .option('--min-age <seconds>', 'only blobs older than this (writes in flight are younger)', parseIntOption('--min-age'), 3600),
  ).action((flags: ServiceFlags & { dryRun?: boolean; minAge: number }) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const config = configFrom(flags);
        const blobs = await openBlobStore(config);
        try {
          const report = await collectOrphanBlobs(gcDeps({ index: s.index, repos: s.repos, blobs, kinds: builtinKinds(), config }), {
            now: s.clock.now(),
            minAgeMs: flags.minAge * 1000,
            dryRun: flags.dryRun ?? false,
          });
          emit(flags, { ok: true, ...report }, () =>
            [
              `scanned ${report.scanned} blobs; ${report.orphans.length} unreferenced` +
                (report.dryRun
                  ? ' (dry run: nothing removed)'
                  : `, removed ${report.removed}; ${report.tempFilesRemoved} stale temp files removed`),
              ...report.orphans.map((k) => `  ${safeText(k)}`),
              ...(report.expired.length === 0
                ? []
                : [
                    `retention: ${report.expired.length} record(s) past their kind's retention${report.dryRun ? ' would be deleted' : ` deleted with ${report.expiredBlobsRemoved} blob(s)`}`,
                    ...report.expired.map((r) => `  ${r.id} ${safeText(r.kind)} (${safeText(r.reason)})`),
                  ]),
            ].join('\n'),
          );
        } finally {
          await blobs.close();
        }
      }),
    ),
  );
}
