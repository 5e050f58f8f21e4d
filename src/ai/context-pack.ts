/** The context pack: documents given with a request, hashed and ordered by digest so their order never changes the prompt. */
import { sha256Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { ContextDocument } from './types.js';
import type { ContextInput } from './use-cases.js';

export interface ContextLimits {
  readonly maxDocuments: number;
  readonly maxBytes: number;
}

export function buildContextPack(inputs: readonly ContextInput[], limits: ContextLimits): ContextDocument[] {
  if (inputs.length > limits.maxDocuments)
    throw new AttestryError(
      'E_PAYLOAD_TOO_LARGE',
      `${inputs.length} context documents; at most ${limits.maxDocuments} (advisoryAi.limits.maxContextDocuments)`,
    );
  let bytes = 0;
  const docs = inputs.map((d, i): ContextDocument => {
    if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 256)
      throw new AttestryError('E_INVALID_INPUT', `context[${i}].name: 1-256 characters`);
    if (typeof d.content !== 'string') throw new AttestryError('E_INVALID_INPUT', `context[${i}].content: expected a string`);
    bytes += Buffer.byteLength(d.content, 'utf8');
    if (bytes > limits.maxBytes)
      throw new AttestryError(
        'E_PAYLOAD_TOO_LARGE',
        `context documents exceed ${limits.maxBytes} bytes (advisoryAi.limits.maxContextBytes)`,
      );
    return { name: d.name, mediaType: d.mediaType ?? 'text/plain', content: d.content, digest: sha256Digest(d.content) };
  });
  return docs.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
