/** `attestry evidence put|get|find`: the evidence locker API from the command line. */
import { Command } from 'commander';
import { AttestryError } from '../../core/errors.js';
import { parseDigest } from '../../core/digest.js';
import { modelDigest } from '../../models/inspect.js';
import { readFileSync } from 'node:fs';
import { ioError } from '../../core/errors.js';
import { emit, safeJson, safeText as s } from '../output.js';
import { run } from '../run.js';
import { callJson, callText, withClientOptions, type ClientFlags } from '../api-client.js';

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function evidenceCommand(): Command {
  const cmd = new Command('evidence').description('store and find signed evidence in an attestry service');
  withClientOptions(
    cmd
      .command('put')
      .description('upload a DSSE envelope or a Sigstore bundle (e.g. a model signature); the server verifies it first')
      .argument('<file>', 'envelope or bundle JSON ("-" for stdin)')
      .option('--tenant <id>', "tenant to store into (default: the token's only tenant)"),
  ).action((file: string, flags: ClientFlags) =>
    run(flags, async () => {
      let body: Buffer;
      try {
        body = readFileSync(file === '-' ? 0 : file);
      } catch (e) {
        throw ioError(e, 'read', file);
      }
      const query = flags.tenant ? `?tenant=${encodeURIComponent(flags.tenant)}` : '';
      const stored = (await callJson(flags, 'POST', `api/v1/attestations${query}`, body)) as {
        id: string;
        created: boolean;
        kind: string;
        tenant: string;
        subjects: { digest: string }[];
      };
      emit(
        flags,
        stored,
        () =>
          `${stored.created ? 'stored' : 'already stored'} ${s(stored.kind)} ${s(stored.id)} in tenant ${s(stored.tenant)}` +
          (stored.subjects.length ? `\n  subjects: ${stored.subjects.map((x) => s(x.digest)).join(', ')}` : ''),
      );
    }),
  );
  withClientOptions(
    cmd
      .command('get')
      .description('fetch a stored envelope by id')
      .argument('<id>', 'attestation id')
      .option('--raw', 'print the exact uploaded bytes'),
  ).action((id: string, flags: ClientFlags & { raw?: boolean }) =>
    run(flags, async () => {
      if (flags.raw) {
        process.stdout.write(await callText(flags, 'GET', `api/v1/attestations/${encodeURIComponent(id)}/raw`));
        return;
      }
      const found = await callJson(flags, 'GET', `api/v1/attestations/${encodeURIComponent(id)}`);
      // The human form is the stored document as JSON; --json wraps it in the shared {ok: true, ...} shape.
      if (flags.json) emit(flags, isObject(found) ? found : { value: found }, () => '');
      else process.stdout.write(`${safeJson(JSON.stringify(found, null, 2))}\n`);
    }),
  );
  withClientOptions(
    cmd
      .command('find')
      .description('find evidence about a subject digest (or a model directory, by its OMS model digest)')
      .option('--subject <digest>', 'sha256:<hex>')
      .option('--model-dir <dir>', 'compute the subject from a model directory')
      .option('--kind <kind>', 'only this kind (attestations, model-signatures, ai-attestations, ...)')
      .option('--tenant <id>', 'only this tenant'),
  ).action((flags: ClientFlags & { subject?: string; modelDir?: string; kind?: string }) =>
    run(flags, async () => {
      let subject: string;
      if (flags.subject !== undefined) subject = parseDigest(flags.subject, '--subject');
      else if (flags.modelDir !== undefined) subject = (await modelDigest(flags.modelDir)).rootDigest;
      else throw new AttestryError('E_USAGE', 'give --subject sha256:<hex> or --model-dir DIR');
      const params = new URLSearchParams({ subject });
      if (flags.kind) params.set('kind', flags.kind);
      if (flags.tenant) params.set('tenant', flags.tenant);
      const found = (await callJson(flags, 'GET', `api/v1/attestations?${params.toString()}`)) as {
        items: { id: string; kind: string; tenant: string; createdAt: string; predicateType: string | null }[];
      };
      emit(flags, { subject, ...found }, () =>
        found.items.length === 0
          ? `nothing stored about ${subject}`
          : found.items
              .map((i) => `${s(i.id)}  ${s(i.kind).padEnd(17)} ${s(i.tenant).padEnd(16)} ${s(i.createdAt)}  ${s(i.predicateType ?? '')}`)
              .join('\n'),
      );
    }),
  );
  return cmd;
}
