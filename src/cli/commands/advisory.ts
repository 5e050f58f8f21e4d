/** `attestry advisory explain|replay`: AI drafts with attestations, and their deterministic replay (seed 002). */
import { basename, dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { BackendSpec } from '../../ai/backend.js';
import { ARTIFACT_TYPES, type ArtifactType, type ReplayResult } from '../../ai/types.js';
import type { ContextInput } from '../../ai/use-cases.js';
import { AttestryError, isErrorCode } from '../../core/errors.js';
import { readTextFileBounded } from '../../core/bounded-read.js';
import { readJsonFile, withAi, withAiServerOptions, writeUnder } from '../ai-local.js';
import { parseIntOption } from '../files.js';
import { emit, emitFailure, safeText } from '../output.js';
import { run } from '../run.js';
import { collect, withServiceOptions, type ServiceFlags } from '../service-options.js';

interface BackendFlags {
  model?: string;
  endpoint?: string;
  threads?: number;
}

function backendFrom(flags: BackendFlags): BackendSpec | undefined {
  if (flags.model !== undefined && flags.endpoint !== undefined) throw new AttestryError('E_USAGE', 'give --model or --endpoint, not both');
  if (flags.threads !== undefined && flags.model === undefined)
    throw new AttestryError(
      'E_USAGE',
      '--threads applies to --model; for the configured model set advisoryAi.inference.local.threads (the manifest records the count)',
    );
  if (flags.model !== undefined) return { kind: 'local', modelPath: resolve(flags.model), threads: flags.threads };
  if (flags.endpoint !== undefined) return { kind: 'remote', endpoint: flags.endpoint, apiKey: process.env['ATTESTRY_AI_API_KEY'] };
  return undefined;
}

function contextFrom(files: readonly string[] | undefined): ContextInput[] | undefined {
  return files?.map((f) => ({ name: basename(f), content: readTextFileBounded(f, 4 * 1024 * 1024, 'context document') }));
}

const parseFloatOption =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AttestryError('E_USAGE', `${name} needs a number, got ${v}`);
    return n;
  };

function explainCommand(): Command {
  return withAiServerOptions(
    withServiceOptions(
      new Command('explain')
        .description(
          'generate an AI artifact (explanation by default) for a finding with a local GGUF model or an OpenAI-compatible server; with --attest, a signed, logged in-toto attestation and its replay manifest',
        )
        .argument('<findingId>', 'the finding id (must equal "id" in --finding when both are given)')
        .requiredOption(
          '--finding <file>',
          'finding JSON: {"id", "cve", "purl", "description"[, "version", "severity", "evidence", "artifactDigest"]}',
        )
        .option('--context <file>', 'a context document (repeatable); ordered by digest', collect)
        .addOption(new Option('--type <type>', 'artifact type').choices([...ARTIFACT_TYPES]).default('explanation'))
        .option('--model <path>', 'local .gguf model (else advisoryAi.inference.local.modelPath)')
        .option(
          '--endpoint <url>',
          'OpenAI-compatible server base URL, e.g. http://127.0.0.1:8081/v1 (bearer token from ATTESTRY_AI_API_KEY)',
        )
        .option('--threads <n>', 'CPU threads (≤ cores)', parseIntOption('--threads'))
        .option('--max-tokens <n>', 'maximum tokens to generate', parseIntOption('--max-tokens'))
        .option('--seed <n>', 'sampling seed', parseIntOption('--seed'))
        .option('--template-version <v>', 'prompt template version (default: the current one of the type)')
        .option('--attest', "store the attestation and replay manifest in the locker (always on; kept for the seed's CLI)")
        .option('--sign', 'sign the attestation (default advisoryAi.attestations.sign)')
        .option('--no-sign', 'store it unsigned')
        .option('--tenant <id>', 'tenant (default: default)')
        .option('--out <dir>', 'where copies are written in the seed layout (default: <data-dir>/evidence)'),
    ),
  ).action(
    (
      findingId: string,
      flags: ServiceFlags &
        BackendFlags & {
          finding: string;
          context?: string[];
          type: ArtifactType;
          maxTokens?: number;
          seed?: number;
          templateVersion?: string;
          sign?: boolean;
          tenant?: string;
          out?: string;
        },
    ) =>
      run(flags, () =>
        withAi(flags, async (l) => {
          const finding = readJsonFile(flags.finding, 'finding', 1024 * 1024) as { id?: unknown } | null;
          if (typeof finding === 'object' && finding !== null && finding.id !== undefined && finding.id !== findingId)
            throw new AttestryError(
              'E_USAGE',
              `findingId ${findingId} differs from "id" ${JSON.stringify(finding.id)} in ${flags.finding}`,
            );
          const r = await l.ai.explain(l.principal, {
            tenant: l.tenant,
            finding: { ...(finding as object), id: findingId } as never,
            context: contextFrom(flags.context),
            artifactType: flags.type,
            backend: backendFrom(flags),
            templateVersion: flags.templateVersion,
            signAttestation: flags.sign,
            parameters: {
              ...(flags.maxTokens === undefined ? {} : { maxTokens: flags.maxTokens }),
              ...(flags.seed === undefined ? {} : { seed: flags.seed }),
            },
          });
          const out = resolve(flags.out ?? join(l.dataDir, 'evidence'));
          // The seed layout without the tenant segment: ai-attestations/YYYY/MM/DD/…
          const rel = (key: string): string =>
            key
              .split('/')
              .filter((_, i) => i !== 1)
              .join('/');
          const attestationPath =
            r.envelope === null ? null : writeUnder(out, rel(r.keys.envelope as string), `${JSON.stringify(r.envelope, null, 2)}\n`);
          const statementPath = writeUnder(out, rel(r.keys.statement), `${JSON.stringify(r.statement, null, 2)}\n`);
          const replayManifestPath = writeUnder(out, rel(r.keys.manifest), `${JSON.stringify(r.manifest, null, 2)}\n`);
          emit(
            flags,
            {
              artifactId: r.artifactId,
              artifactType: r.artifactType,
              authority: r.authority,
              keyId: r.keyId,
              attestationPath,
              statementPath,
              replayManifestPath,
              replayManifestId: r.replayManifestId,
              manifestHash: r.manifest.manifestHash,
              logIndex: r.logIndex,
              model: r.manifest.model,
              tokenCount: r.tokenCount,
              generationMs: Math.round(r.generationMs),
              explanation: r.output,
            },
            () =>
              [
                `${r.artifactId}  ${r.artifactType} (${r.authority})`,
                `  model        ${safeText(r.manifest.model.modelId)} ${r.manifest.model.weightsDigest}, template ${r.manifest.model.promptTemplateVersion}`,
                `  signed       ${r.keyId ?? 'no (unsigned)'}${r.logIndex === null ? '' : `, log entry ${r.logIndex}`}`,
                `  attestation  ${attestationPath ?? '(none)'}`,
                `  manifest     ${replayManifestPath}`,
                `  output       ${r.tokenCount} tokens in ${Math.round(r.generationMs)} ms:`,
                safeText(r.output.trim()),
              ].join('\n'),
          );
        }),
      ),
  );
}

export function replayLines(r: ReplayResult): string {
  return [
    `${r.artifactId}: replay ${r.status} (similarity ${r.similarityScore.toFixed(4)})`,
    ...(r.error ? [`  failed: ${safeText(r.error.message)}`] : []),
    ...r.causes.map(
      (c) =>
        `  cause ${c.cause}: ${safeText(c.description)}; expected ${safeText(JSON.stringify(c.expected))}, got ${safeText(JSON.stringify(c.actual))} → ${c.resolution}`,
    ),
    ...r.details.map((d) => `  ${d.type} at ${d.position}: ${safeText(d.originalSnippet)} ≠ ${safeText(d.replayedSnippet)}`),
  ].join('\n');
}

/** 0 reproduced byte for byte; 2 not (divergent, equivalent, or refused as nondeterministic); 1 could not run. */
export function replayExitCode(r: ReplayResult): number {
  if (r.status === 'identical') return 0;
  if (r.status === 'failed' && r.error?.code !== 'E_NONDETERMINISTIC') return 1;
  return 2;
}

function replayCommand(): Command {
  return withAiServerOptions(
    withServiceOptions(
      new Command('replay')
        .description(
          'generate an artifact again from its replay manifest: first name every pinned input or setting that differs (weights, temperature, seed, template, context, engine, threads, …), then generate and compare',
        )
        .requiredOption('--manifest <file>', 'replay manifest (replay-YYYYMMDD-….json)')
        .option('--detect-divergence', 'report where the outputs differ (position and snippets)')
        .option('--model <path>', 'local .gguf model (else advisoryAi.inference.local.modelPath)')
        .option('--endpoint <url>', 'OpenAI-compatible server base URL')
        .option('--threads <n>', 'CPU threads', parseIntOption('--threads'))
        .option('--temperature <t>', 'override the recorded temperature', parseFloatOption('--temperature'))
        .option('--seed <n>', 'override the recorded seed', parseIntOption('--seed'))
        .option('--template-version <v>', 'render with another template version')
        .option('--context <file>', 'replace the context pack (repeatable)', collect)
        .option('--tenant <id>', 'tenant (default: default)'),
    ),
  ).action(
    (
      flags: ServiceFlags &
        BackendFlags & {
          manifest: string;
          detectDivergence?: boolean;
          temperature?: number;
          seed?: number;
          templateVersion?: string;
          context?: string[];
          tenant?: string;
        },
    ) =>
      run(flags, () =>
        withAi(flags, async (l) => {
          const manifest = readJsonFile(flags.manifest, 'replay manifest');
          const r = await l.ai.replay(l.principal, {
            tenant: l.tenant,
            manifest,
            detectDivergence: flags.detectDivergence ?? false,
            overrides: {
              backend: backendFrom(flags),
              parameters: {
                ...(flags.temperature === undefined ? {} : { temperature: flags.temperature }),
                ...(flags.seed === undefined ? {} : { seed: flags.seed }),
              },
              templateVersion: flags.templateVersion,
              context: contextFrom(flags.context),
            },
          });
          const { replayedOutput: _, ...shown } = r;
          const data = { ...shown, manifest: resolve(flags.manifest), directory: dirname(resolve(flags.manifest)) };
          const causes = r.causes.map((c) => c.cause).join(', ') || 'none named';
          if (r.status === 'identical') emit(flags, data, () => replayLines(r));
          else if (replayExitCode(r) === 1)
            emitFailure(
              flags,
              isErrorCode(r.error?.code) ? r.error.code : 'E_GENERATION_FAILED',
              r.error?.message ?? 'replay failed',
              data,
              () => replayLines(r),
            );
          else
            emitFailure(
              flags,
              'E_DIGEST_MISMATCH',
              `not reproduced (${r.status}); causes: ${causes}${r.error ? `; ${r.error.message}` : ''}`,
              data,
              () => replayLines(r),
            );
        }),
      ),
  );
}

export function advisoryCommand(): Command {
  return new Command('advisory')
    .description('AI-drafted advisories (seed 002): explain a finding with an attested generation, replay it to prove it reproduces')
    .addCommand(explainCommand())
    .addCommand(replayCommand());
}
