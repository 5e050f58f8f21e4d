/**
 * Versioned prompt templates, one folder per artifact type, shipped in the
 * package at templates/ai/<type>/<version>.txt. A template is a header line,
 * a `--- system` part and a `--- user` part with {{placeholders}}; rendering
 * is plain substitution (no dates, no locale), so the same finding and
 * context pack always give the same prompts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalize } from '../core/canonical-json.js';
import { sha256Digest, type Digest } from '../core/digest.js';
import { AttestryError } from '../core/errors.js';
import type { ArtifactType, ContextDocument, Finding } from './types.js';

/** Code runs from dist/src/ai/; the templates folder sits at the package root. */
const ROOT = fileURLToPath(new URL('../../../templates/ai/', import.meta.url));
const VERSION_RE = /^v\d+\.\d+\.\d+$/;

/** The version each artifact type renders with unless told otherwise. */
export const CURRENT_TEMPLATE_VERSION: Readonly<Record<ArtifactType, string>> = {
  explanation: 'v1.1.0',
  remediation: 'v1.0.0',
  vex_draft: 'v1.1.0',
  policy_draft: 'v1.0.0',
  triage_suggestion: 'v1.0.0',
};

export interface PromptTemplate {
  readonly type: ArtifactType;
  readonly version: string;
  /** sha256 of the file's bytes: the manifest's `model.templateDigest`. */
  readonly digest: Digest;
  readonly system: string;
  readonly user: string;
}

export const currentTemplateVersion = (type: ArtifactType): string => CURRENT_TEMPLATE_VERSION[type];

export function templateVersions(type: ArtifactType): string[] {
  try {
    return readdirSync(`${ROOT}${type}`)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => f.slice(0, -4))
      .filter((v) => VERSION_RE.test(v))
      .sort();
  } catch {
    return [];
  }
}

export function loadTemplate(type: ArtifactType, version = currentTemplateVersion(type)): PromptTemplate {
  if (!VERSION_RE.test(version) || !templateVersions(type).includes(version)) {
    throw new AttestryError(
      'E_NOT_FOUND',
      `no ${type} prompt template ${JSON.stringify(version)} in this build; versions here: ${templateVersions(type).join(', ') || 'none'}`,
    );
  }
  const bytes = readFileSync(`${ROOT}${type}/${version}.txt`);
  const text = bytes.toString('utf8');
  const m = /^# attestry prompt template: (\S+) (\S+)\n--- system\n([\s\S]*?)\n--- user\n([\s\S]*)$/.exec(text);
  if (m === null || m[1] !== type || m[2] !== version)
    throw new AttestryError('E_INTEGRITY', `template ${type}/${version}.txt is malformed (header, --- system, --- user)`);
  return { type, version, digest: sha256Digest(bytes), system: (m[3] as string).trimEnd(), user: (m[4] as string).trimEnd() };
}

function contextText(pack: readonly ContextDocument[]): string {
  if (pack.length === 0) return '(none)';
  return pack.map((d, i) => `[${i + 1}] ${d.name} (${d.mediaType}, ${d.digest})\n${d.content}`).join('\n\n');
}

export function renderPrompts(
  template: PromptTemplate,
  finding: Finding,
  pack: readonly ContextDocument[],
): { systemPrompt: string; userPrompt: string } {
  const values: Record<string, string> = {
    'finding.id': finding.id,
    'finding.cve': finding.cve,
    'finding.purl': finding.purl,
    'finding.version': finding.version ?? 'unknown',
    'finding.description': finding.description,
    'finding.severity': finding.severity ?? 'unknown',
    'finding.evidence': finding.evidence === undefined ? '(none)' : canonicalize(finding.evidence),
    'finding.symbol': finding.symbol ?? '(not named)',
    'finding.vex':
      finding.vex === undefined
        ? '(none)'
        : `${finding.vex.status}${finding.vex.justification === undefined ? '' : ` (${finding.vex.justification})`}`,
    context: contextText(pack),
  };
  const fill = (s: string): string =>
    s.replace(/\{\{([a-z.]+)\}\}/g, (whole, key: string) => {
      const v = values[key];
      if (v === undefined)
        throw new AttestryError('E_INTEGRITY', `template ${template.type}/${template.version} uses unknown placeholder ${whole}`);
      return v;
    });
  return { systemPrompt: fill(template.system), userPrompt: fill(template.user) };
}
