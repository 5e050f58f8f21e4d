import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, q } from '../api';
import { Checks, Download, ErrorNote, Field, Mono, when } from '../parts/common';
import { href, type Route } from '../router';
import type { NamedCheck, ReviewDetail, ReviewItem, Session } from '../types';

type State = 'pending' | 'approved' | 'rejected' | 'all';

function Queue({
  selected,
  state,
  onState,
  version,
}: {
  selected: string | undefined;
  state: State;
  onState: (s: State) => void;
  version: number;
}) {
  const [items, setItems] = useState<readonly ReviewItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: ReviewItem[] }>('GET', `/api/v1/review?state=${state}`).then(
      (r) => {
        setItems(r.items);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [state, version]);
  return (
    <section class="queue" aria-labelledby="queue-title">
      <h2 id="queue-title">Drafts</h2>
      <label for="state">Show</label>
      <select id="state" value={state} onChange={(e) => onState(e.currentTarget.value as State)}>
        <option value="pending">pending review</option>
        <option value="approved">approved</option>
        <option value="rejected">rejected</option>
        <option value="all">all</option>
      </select>
      <ErrorNote error={error} />
      {items !== null && items.length === 0 && <p>No drafts here.</p>}
      <ul class="list">
        {(items ?? []).map((i) => (
          <li key={i.artifactId}>
            <a
              href={href('review', [i.artifactId])}
              aria-current={i.artifactId === selected ? 'true' : undefined}
              data-artifact={i.artifactId}
            >
              <span class="mono">{i.artifactId}</span>
              <span class="meta">
                {i.artifactType} · {i.decision}
                {i.flagged ? ' · flagged' : ''}
                {i.published ? ' · published' : ''} · {when(i.generatedAt)}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Decide({ id, onDone }: { id: string; onDone: () => void }) {
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: 'approve' | 'reject'): Promise<void> => {
    if (what === 'reject' && reason.trim() === '') {
      setError('A rejection needs a reason: say what is wrong with the draft.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/v1/review/${q(id)}/${what}`, what === 'approve' ? (comment === '' ? {} : { comment }) : { reason });
      onDone();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="decide" aria-labelledby="decide-title">
      <h3 id="decide-title">Decide</h3>
      <div class="two">
        <div>
          <label for="comment">Comment (optional)</label>
          <textarea id="comment" rows={3} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          <button type="button" disabled={busy} onClick={() => void act('approve')}>
            Approve
          </button>
        </div>
        <div>
          <label for="reason">Reason (required to reject)</label>
          <textarea id="reason" rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="button" class="danger" disabled={busy} onClick={() => void act('reject')}>
            Reject
          </button>
        </div>
      </div>
      <ErrorNote error={error} />
    </section>
  );
}

function Publish({ detail, onDone }: { detail: ReviewDetail; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const publish = async (): Promise<void> => {
    try {
      await api('POST', `/api/v1/vex/${q(detail.artifactId)}/publish`, {});
      onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section aria-labelledby="vex-title">
      <h3 id="vex-title">VEX</h3>
      {detail.published ? (
        <p>
          Published.{' '}
          <Download path={`/api/v1/vex/${q(detail.artifactId)}`} filename={`${detail.artifactId}.openvex.json`}>
            Download the OpenVEX document
          </Download>{' '}
          ·{' '}
          <Download path={`/api/v1/vex/${q(detail.artifactId)}/bundle`} filename={`${detail.artifactId}.vex.sigstore.json`}>
            its signed attestation (Sigstore bundle)
          </Download>
        </p>
      ) : (
        <button type="button" onClick={() => void publish()}>
          Publish VEX
        </button>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function ChainCheck({ detail }: { detail: ReviewDetail }) {
  const [checks, setChecks] = useState<readonly NamedCheck[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (detail.attestation === null) return <p>This draft was not signed, so it has no chain to verify.</p>;
  const run = async (): Promise<void> => {
    setChecks(null);
    setError(null);
    try {
      const r = await api<{ valid: boolean; checks: { name: string; ok: boolean | null; message: string }[] }>(
        'POST',
        '/api/v1/attestation/verify-chain',
        {
          attestation: detail.attestation,
        },
      );
      setChecks(
        r.checks.map((c) => ({ name: c.name, status: c.ok === null ? 'skipped' : c.ok ? 'passed' : 'failed', message: c.message })),
      );
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <div>
      <button type="button" class="secondary" onClick={() => void run()}>
        Verify the draft's chain on the server
      </button>
      {checks !== null && <Checks checks={checks} label="Draft chain verification" />}
      <ErrorNote error={error} />
    </div>
  );
}

function Detail({ id, session, onChange }: { id: string; session: Session; onChange: () => void }) {
  const [detail, setDetail] = useState<ReviewDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  // After a decision the buttons are gone: focus goes to the new state, and it is announced.
  const [announce, setAnnounce] = useState('');
  const badge = useRef<HTMLParagraphElement>(null);
  const acted = useRef(false);
  const load = useCallback(() => {
    api<ReviewDetail>('GET', `/api/v1/review/${q(id)}`).then(
      (d) => {
        setDetail(d);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [id]);
  useEffect(load, [load]);
  const changed = (): void => {
    acted.current = true;
    load();
    onChange();
  };
  useEffect(() => {
    if (!acted.current || detail === null) return;
    acted.current = false;
    setAnnounce(`The draft is now ${detail.decision}${detail.published ? ' and published' : ''}.`);
    badge.current?.focus();
  }, [detail]);
  if (error !== null) return <ErrorNote error={error} />;
  if (detail === null) return <p aria-busy="true">Loading…</p>;
  const f = detail.finding;
  return (
    <article class="detail" aria-labelledby="draft-title">
      <h2 id="draft-title">
        {detail.artifactType} <Mono>{detail.artifactId}</Mono>
      </h2>
      <p class="sr-only" role="status">
        {announce}
      </p>
      <p class={`badge ${detail.decision}`} data-decision={detail.decision} ref={badge} tabIndex={-1}>
        {detail.decision}
        {detail.flagged ? ' · flagged by ground truth' : ''}
      </p>
      <div class="side-by-side">
        <section aria-labelledby="finding-title">
          <h3 id="finding-title">Finding</h3>
          <dl>
            {Object.entries(f)
              .filter(([, v]) => typeof v !== 'object' || v === null)
              .map(([k, v]) => (
                <Field key={k} label={k}>
                  {String(v)}
                </Field>
              ))}
          </dl>
          {detail.claim !== null && (
            <>
              <h4>VEX claim</h4>
              <dl>
                {Object.entries(detail.claim).map(([k, v]) => (
                  <Field key={k} label={k}>
                    {typeof v === 'string' ? v : JSON.stringify(v)}
                  </Field>
                ))}
              </dl>
            </>
          )}
        </section>
        <section aria-labelledby="output-title">
          <h3 id="output-title">Generated text</h3>
          <pre class="output" tabIndex={0}>
            {detail.output}
          </pre>
        </section>
        <section aria-labelledby="model-title">
          <h3 id="model-title">Model and inputs</h3>
          <dl>
            <Field label="model">{detail.modelId}</Field>
            <Field label="weights digest">
              <Mono>{detail.weightsDigest}</Mono>
            </Field>
            <Field label="template version">{detail.templateVersion}</Field>
            <Field label="generated">
              {when(detail.generatedAt)} by {detail.createdBy}
            </Field>
            <Field label="replay">{detail.replayStatus ?? 'never replayed'}</Field>
            <Field label="ground truth">
              {detail.groundTruth === null
                ? 'not checked'
                : `${String(detail.groundTruth['outcome'])} (callgraph ${String(detail.groundTruth['callgraphId'])})`}
            </Field>
          </dl>
          <h4>Context documents</h4>
          {detail.contextDocuments.length === 0 ? (
            <p>none</p>
          ) : (
            <ul>
              {detail.contextDocuments.map((d) => (
                <li key={d.digest}>
                  {d.name} <span class="meta">({d.mediaType})</span> <Mono>{d.digest}</Mono>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section aria-labelledby="decisions-title">
        <h3 id="decisions-title">Decisions</h3>
        <p>
          Approvals {detail.approvals.count} of {detail.approvals.required} required
        </p>
        {detail.transitions.length === 0 ? (
          <p>No decision yet.</p>
        ) : (
          <table>
            <caption class="sr-only">Signed review transitions</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Transition</th>
                <th scope="col">Who</th>
                <th scope="col">When</th>
                <th scope="col">Comment or reason</th>
                <th scope="col">Signed record</th>
              </tr>
            </thead>
            <tbody>
              {detail.transitions.map((t) => (
                <tr key={t.sequence} data-transition={t.kind}>
                  <td>{t.sequence}</td>
                  <td>
                    {t.kind} → {t.decision}
                  </td>
                  <td>
                    {t.principal.role} <Mono>{t.principal.tokenId}</Mono>
                  </td>
                  <td>{when(t.timestamp)}</td>
                  <td>{t.reason ?? t.comment ?? ''}</td>
                  <td>
                    <a href={href('evidence', ['evidence', t.recordId])}>{t.recordId}</a>
                    {t.logIndex === null ? '' : ` (log entry ${t.logIndex})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {detail.decision === 'pending' && session.can.review && <Decide id={detail.artifactId} onDone={changed} />}
      {detail.decision === 'approved' && detail.artifactType === 'vex_draft' && (session.can.publish || detail.published) && (
        <Publish detail={detail} onDone={changed} />
      )}
      <section aria-labelledby="chain-title">
        <h3 id="chain-title">Chain</h3>
        <ChainCheck detail={detail} />
      </section>
    </article>
  );
}

export function ReviewPage({ session, route }: { session: Session; route: Route }) {
  const [state, setState] = useState<State>('pending');
  const [version, setVersion] = useState(0);
  const id = route.rest[0];
  return (
    <div class="review">
      <h1>Review queue</h1>
      {!session.can.review && <p class="hint">Your role ({session.role}) may read drafts but not decide on them.</p>}
      <div class="split">
        <Queue selected={id} state={state} onState={setState} version={version} />
        {id === undefined ? (
          <p class="pick">Pick a draft to see it beside its evidence.</p>
        ) : (
          <Detail key={id} id={id} session={session} onChange={() => setVersion((v) => v + 1)} />
        )}
      </div>
      <p class="hint">
        <a href={href('review')}>Back to the queue</a>
      </p>
    </div>
  );
}
