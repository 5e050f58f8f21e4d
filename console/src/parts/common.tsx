import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { download, messageOf } from '../api';
import type { NamedCheck } from '../types';

export function ErrorNote({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function Mono({ children }: { children: ComponentChildren }) {
  return <code class="mono">{children}</code>;
}

export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

const MARK: Record<NamedCheck['status'], string> = { passed: '✓', failed: '✗', skipped: '–' };

/** A verification's steps in order, each with its result; the first failure stands out. */
export function Checks({ checks, label }: { checks: readonly NamedCheck[]; label: string }) {
  return (
    <ol class="checks" aria-label={label}>
      {checks.map((c) => (
        <li key={c.name} class={`check ${c.status}`} data-check={c.name} data-status={c.status}>
          <span class="mark" aria-hidden="true">
            {MARK[c.status]}
          </span>
          <strong>{c.name}</strong> <span class="status">{c.status}</span>
          <div class="message">
            {c.message}
            {c.code === undefined ? '' : ` (${c.code})`}
          </div>
        </li>
      ))}
    </ol>
  );
}

/** A download the server answers only with the session's CSRF header: fetched, then saved. */
export function Download({ path, filename, children }: { path: string; filename: string; children: ComponentChildren }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class="link"
        data-download={path}
        onClick={() => {
          setError(null);
          download(path, filename).catch((e: unknown) => setError(messageOf(e)));
        }}
      >
        {children}
      </button>
      <ErrorNote error={error} />
    </>
  );
}
