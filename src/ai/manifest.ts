/**
 * The replay manifest: everything needed to generate an artifact again.
 * `manifestHash` = `sha256:` of the RFC 8785 form of the manifest without
 * that field, so the hash covers the texts, parameters and engine pins.
 */
import { canonicalBytes, type JsonValue } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import { REPLAY_MANIFEST_VERSION, type ReplayCause, type ReplayManifest } from './types.js';

export function manifestHashOf(manifest: Omit<ReplayManifest, 'manifestHash'> | ReplayManifest): Digest {
  const { manifestHash: _, ...rest } = manifest as ReplayManifest;
  return sha256Digest(canonicalBytes(rest));
}

export function buildReplayManifest(input: Omit<ReplayManifest, 'manifestHash' | 'manifestVersion'>): ReplayManifest {
  const body = { manifestVersion: REPLAY_MANIFEST_VERSION, ...input };
  return { ...body, manifestHash: manifestHashOf(body) };
}

const cause = (
  name: string,
  field: string,
  expected: JsonValue,
  actual: JsonValue,
  description: string,
  resolution: string,
): ReplayCause => ({
  cause: name,
  field,
  expected,
  actual,
  description,
  resolution,
});

/** What in the manifest no longer hashes to what it records: each a named cause. */
export function manifestIntegrity(m: ReplayManifest): ReplayCause[] {
  const out: ReplayCause[] = [];
  const sys = sha256Digest(m.prompts.systemPrompt);
  const user = sha256Digest(m.prompts.userPrompt);
  if (sys !== m.prompts.systemPromptHash)
    out.push(
      cause(
        'prompts',
        'prompts.systemPromptHash',
        m.prompts.systemPromptHash,
        sys,
        'the system prompt text does not hash to its recorded hash (edited)',
        'Use the manifest as written',
      ),
    );
  if (user !== m.prompts.userPromptHash)
    out.push(
      cause(
        'prompts',
        'prompts.userPromptHash',
        m.prompts.userPromptHash,
        user,
        'the user prompt text does not hash to its recorded hash (edited)',
        'Use the manifest as written',
      ),
    );
  const docs = m.context.contextPack.map((d) => sha256Digest(d.content));
  const bad = m.context.contextPack.filter((d, i) => docs[i] !== d.digest).map((d) => d.name);
  if (bad.length > 0 || JSON.stringify(docs) !== JSON.stringify(m.context.contextHashes))
    out.push(
      cause(
        'context',
        'context.contextHashes',
        [...m.context.contextHashes],
        docs,
        `Context hash mismatch${bad.length > 0 ? `: ${bad.join(', ')} changed` : ''}`,
        'Sort context deterministically and use the recorded documents',
      ),
    );
  const out1 = sha256Digest(m.output.content);
  if (out1 !== m.output.contentHash)
    out.push(
      cause(
        'output-hash',
        'output.contentHash',
        m.output.contentHash,
        out1,
        'the recorded output does not hash to output.contentHash (edited)',
        'Use the manifest as written',
      ),
    );
  const h = manifestHashOf(m);
  if (h !== m.manifestHash)
    out.push(
      cause(
        'manifest-hash',
        'manifestHash',
        m.manifestHash,
        h,
        'the manifest was changed after it was hashed',
        'Use the manifest as written',
      ),
    );
  return out;
}
