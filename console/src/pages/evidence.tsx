import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, q } from '../api';
import { Checks, Download, ErrorNote, Field, Mono, when } from '../parts/common';
import { href, navigate, type Route } from '../router';
import type { ChainReport, SearchHit } from '../types';

const CHAIN: Record<'batch' | 'evidence', readonly string[]> = {
  batch: ['facts blob', 'provenance record', 'DSSE attestation', 'log entry', 'checkpoint'],
  evidence: ['stored blob', 'DSSE envelope', 'log entry', 'checkpoint'],
};

function hitLink(h: SearchHit): string {
  switch (h.type) {
    case 'batch':
      return href('evidence', ['batch', h.id]);
    case 'evidence':
      return href('evidence', ['evidence', h.id]);
    case 'callgraph':
      return href('reach', [], { graph: h.id });
    case 'ai-artifact':
    case 'vex':
      return href('review', [h.id]);
  }
}

function Search({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  const [hits, setHits] = useState<readonly SearchHit[] | null>(null);
  const [withheld, setWithheld] = useState<readonly string[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (initial === '') return;
    setHits(null);
    api<{ hits: SearchHit[]; withheld: string[] }>('GET', `/console/api/search?q=${q(initial)}`).then(
      (r) => {
        setHits(r.hits);
        setWithheld(r.withheld);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [initial]);
  return (
    <section aria-labelledby="search-title">
      <h2 id="search-title">Search</h2>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('evidence', [], { q: text.trim() }));
        }}
      >
        <label for="q">Subject digest, Package URL, graph id, batch id, artifact id or record id</label>
        <div class="row">
          <input id="q" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="sha256:… or pkg:npm/…" />
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorNote error={error} />
      {hits !== null && hits.length === 0 && <p>Nothing found that this token may read.</p>}
      {withheld.length > 0 && <p class="hint">Not searched, as your role may not read them: {withheld.join(', ')}.</p>}
      {hits !== null && hits.length > 0 && (
        <ul class="list" aria-label="Results">
          {hits.map((h) => (
            <li key={`${h.type}:${h.id}`}>
              <a href={hitLink(h)} data-hit={h.type}>
                <span class="mono">{h.id}</span>
                <span class="meta">
                  {h.type} · {h.label} · {h.tenant} · {when(h.createdAt)}
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Verify({ type, id }: { type: 'batch' | 'evidence'; id: string }) {
  const [report, setReport] = useState<ChainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api<ChainReport>('POST', '/console/api/verify', { type, id }));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="chain-title">
      <h3 id="chain-title">Chain</h3>
      <ol class="chain" aria-label="Links of the chain">
        {CHAIN[type].map((link) => (
          <li key={link}>{link}</li>
        ))}
      </ol>
      <button type="button" disabled={busy} onClick={() => void run()}>
        Verify on the server
      </button>
      <ErrorNote error={error} />
      <div aria-live="polite">
        {report !== null && (
          <>
            <p class={`badge ${report.ok ? 'approved' : 'rejected'}`} data-verified={String(report.ok)}>
              {!report.ok
                ? 'The chain is broken'
                : report.skipped === 0
                  ? 'Every link verifies'
                  : `Every link that applies verifies (${report.skipped} not applicable, see below)`}
            </p>
            <Checks checks={report.checks} label="Verification steps" />
          </>
        )}
      </div>
    </section>
  );
}

function Details({ type, id }: { type: 'batch' | 'evidence'; id: string }) {
  const [fields, setFields] = useState<Readonly<Record<string, unknown>> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const path = type === 'batch' ? `/signals/runtime-facts/${q(id)}/provenance` : `/api/v1/attestations/${q(id)}`;
    api<Record<string, unknown>>('GET', path).then(
      (r) => setFields(type === 'batch' ? r : ((r['meta'] as Record<string, unknown> | undefined) ?? r)),
      (e: unknown) => setError(messageOf(e)),
    );
  }, [type, id]);
  if (error !== null) return <ErrorNote error={error} />;
  if (fields === null) return <p aria-busy="true">Loading…</p>;
  return (
    <dl>
      {Object.entries(fields).map(([k, v]) => (
        <Field key={k} label={k}>
          {typeof v === 'object' && v !== null ? <Mono>{JSON.stringify(v)}</Mono> : String(v)}
        </Field>
      ))}
    </dl>
  );
}

export function EvidencePage({ route }: { route: Route }) {
  const [kind, id] = route.rest;
  if ((kind === 'batch' || kind === 'evidence') && id !== undefined) {
    return (
      <article aria-labelledby="record-title">
        <h1 id="record-title">
          {kind === 'batch' ? 'Runtime-fact batch' : 'Evidence record'} <Mono>{id}</Mono>
        </h1>
        <p>
          <Download path={`/api/v1/attestations/${q(id)}/bundle`} filename={`${id}.sigstore.json`}>
            Download the Sigstore bundle
          </Download>{' '}
          · <a href={href('evidence')}>New search</a>
        </p>
        <Details type={kind} id={id} />
        <Verify type={kind} id={id} />
      </article>
    );
  }
  return (
    <div>
      <h1>Evidence</h1>
      <Search initial={route.params.get('q') ?? ''} />
    </div>
  );
}
