/** `attestry vex publish|get|export`: approved VEX drafts as signed OpenVEX documents (issue 17). */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { AttestryError } from '../../core/errors.js';
import { parseIntOption } from '../files.js';
import { emit, safeText } from '../output.js';
import { withReview, type ReviewFlags } from '../review-local.js';
import { run } from '../run.js';
import { reviewBase } from './review.js';

const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function writeJsonFile(path: string, value: unknown): string {
  const out = resolve(path);
  writeFileAtomic(out, pretty(value));
  return out;
}

function publishCommand(): Command {
  return reviewBase(
    'publish',
    'publish an approved vex_draft as an OpenVEX 0.2.0 document, signed as an in-toto attestation, stored and logged (again: the same publication back)',
  )
    .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
    .option('--output <file>', 'write the OpenVEX document here')
    .option('--attestation <file>', 'write the signed attestation (DSSE envelope) here; `attest verify --chain` checks it')
    .action((artifactId: string, flags: ReviewFlags & { output?: string; attestation?: string }) =>
      run(flags, () =>
        withReview(flags, async (l) => {
          const r = await l.review.publish(l.principal, artifactId, { tenant: l.tenant });
          const output = flags.output === undefined ? null : writeJsonFile(flags.output, r.document);
          const attestation = flags.attestation === undefined ? null : writeJsonFile(flags.attestation, r.envelope);
          const { envelope: _e, ...rest } = r;
          emit(flags, { ...rest, output, attestation }, () =>
            [
              `${r.created ? 'published' : 'already published'} ${r.artifactId} as ${safeText(r.vexId)}${r.logIndex === null ? '' : ` (log entry ${r.logIndex})`}`,
              `  ${r.document.statements[0]?.status ?? ''}: ${safeText(r.document.statements[0]?.vulnerability.name ?? '')} in ${safeText(r.document.statements[0]?.products[0]?.['@id'] ?? '')}`,
              ...(output === null ? [] : [`  document     ${safeText(output)}`]),
              ...(attestation === null ? [] : [`  attestation  ${safeText(attestation)}`]),
            ].join('\n'),
          );
        }),
      ),
    );
}

function getCommand(): Command {
  return reviewBase('get', 'the published VEX about a package URL (--purl), or the OpenVEX document of one draft')
    .argument('[artifactId]', 'one published draft: its OpenVEX document')
    .option('--purl <purl>', 'every published statement about this package URL (without a version: every version)')
    .option('--limit <n>', 'at most this many (default 100)', parseIntOption('--limit'))
    .option('--output <file>', 'with an artifact id: write the document here')
    .action((artifactId: string | undefined, flags: ReviewFlags & { purl?: string; limit?: number; output?: string }) =>
      run(flags, async () => {
        if ((artifactId === undefined) === (flags.purl === undefined))
          throw new AttestryError('E_USAGE', 'give an artifact id or --purl, exactly one');
        if (flags.output !== undefined && artifactId === undefined) throw new AttestryError('E_USAGE', '--output goes with an artifact id');
        await withReview(flags, async (l) => {
          if (artifactId !== undefined) {
            const v = await l.review.vexOf(l.principal, artifactId, l.tenant);
            const output = flags.output === undefined ? null : writeJsonFile(flags.output, v.document);
            if (output === null && !flags.json) process.stdout.write(pretty(v.document));
            else emit(flags, { ...v, output }, () => `wrote ${safeText(v.vexId)} to ${safeText(output ?? '')}`);
            return;
          }
          const statements = await l.review.vex(l.principal, { purl: flags.purl as string, tenant: l.tenant, limit: flags.limit });
          emit(flags, { statements, count: statements.length }, () =>
            statements.length === 0
              ? `no published VEX about ${safeText(flags.purl)}`
              : statements
                  .map((s) => `${s.artifactId}  ${s.status}  ${safeText(s.vulnerability)}  ${safeText(s.productPurl)}  ${s.publishedAt}`)
                  .join('\n'),
          );
        });
      }),
    );
}

function exportCommand(): Command {
  return reviewBase('export', 'write a published VEX attestation as a Sigstore bundle v0.3 with its log entry and inclusion proof')
    .argument('<artifactId>', 'ai-artifact-YYYYMMDD-<ULID>')
    .requiredOption('--output <file>', 'where to write the bundle')
    .action((artifactId: string, flags: ReviewFlags & { output: string }) =>
      run(flags, () =>
        withReview(flags, async (l) => {
          const bundle = await l.review.exportVex(l.principal, artifactId, l.tenant);
          const output = writeJsonFile(flags.output, bundle);
          emit(flags, { artifactId, output }, () => `wrote the Sigstore bundle of ${artifactId}'s VEX to ${safeText(output)}`);
        }),
      ),
    );
}

export function vexCommand(): Command {
  return new Command('vex')
    .description('published VEX (issue 17): approved vex_drafts as signed, logged OpenVEX 0.2.0 documents')
    .addCommand(publishCommand())
    .addCommand(getCommand())
    .addCommand(exportCommand());
}
