import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, q } from '../api';
import { ErrorNote, Field, Mono, when } from '../parts/common';
import { PathGraph } from '../parts/path-graph';
import { href, navigate, type Route } from '../router';
import type { ReachabilityAnswer, Verdict } from '../types';

function Answer({ graph, symbol }: { graph: string; symbol: string }) {
  const [answer, setAnswer] = useState<ReachabilityAnswer | null>(null);
  const [history, setHistory] = useState<{ verdicts: Verdict[]; chainOk: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setAnswer(null);
    setHistory(null);
    setError(null);
    const query = `callgraph_id=${q(graph)}&symbol=${q(symbol)}`;
    api<ReachabilityAnswer>('GET', `/signals/reachability?${query}`).then(setAnswer, (e: unknown) => setError(messageOf(e)));
    api<{ verdicts: Verdict[]; chainOk: boolean }>('GET', `/signals/reachability/history?${query}`).then(setHistory, (e: unknown) =>
      setError(messageOf(e)),
    );
  }, [graph, symbol]);
  return (
    <div>
      <ErrorNote error={error} />
      {answer !== null && (
        <section aria-labelledby="answer-title">
          <h2 id="answer-title">
            <Mono>{answer.symbol}</Mono> is{' '}
            <span class={`badge state-${answer.state}`} data-state={answer.state}>
              {answer.state}
            </span>
          </h2>
          <dl>
            <Field label="component">{answer.componentPurl}</Field>
            <Field label="callgraph">
              <Mono>{answer.callgraphId}</Mono>
            </Field>
            <Field label="decided">{when(answer.decidedAt)}</Field>
          </dl>
          <h3>Call path from the entry point</h3>
          {answer.path.length === 0 ? <p>No path: no entry point calls this symbol.</p> : <PathGraph path={answer.path} />}
          <h3>Runtime facts that saw it</h3>
          {answer.evidence.batches.length === 0 ? (
            <p>No runtime batch has observed it.</p>
          ) : (
            <table>
              <caption class="sr-only">Runtime-fact batches that observed the symbol</caption>
              <thead>
                <tr>
                  <th scope="col">Batch</th>
                  <th scope="col">Source</th>
                  <th scope="col">Hits</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {answer.evidence.batches.map((b) => (
                  <tr key={b.batchId}>
                    <td>
                      <a href={href('evidence', ['batch', b.batchId])}>{b.batchId}</a>
                    </td>
                    <td>{b.source}</td>
                    <td>{b.hitCount}</td>
                    <td>{when(b.firstSeen)}</td>
                    <td>{when(b.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {history !== null && (
        <section aria-labelledby="history-title">
          <h3 id="history-title">Verdict history</h3>
          <p>{history.chainOk ? 'Each verdict names the one before it.' : 'The verdict chain is broken.'}</p>
          {history.verdicts.length === 0 ? (
            <p>No signed verdict yet.</p>
          ) : (
            <table>
              <caption class="sr-only">Signed verdicts, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">State</th>
                  <th scope="col">Decided</th>
                  <th scope="col">Record</th>
                </tr>
              </thead>
              <tbody>
                {history.verdicts.map((v) => (
                  <tr key={v.sequence}>
                    <td>{v.sequence}</td>
                    <td>{v.state}</td>
                    <td>{when(v.decidedAt)}</td>
                    <td>
                      <a href={href('evidence', ['evidence', v.attestationId])}>{v.attestationId}</a>
                      {v.logIndex === null ? '' : ` (log entry ${v.logIndex})`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}

export function ReachPage({ route }: { route: Route }) {
  const graph = route.params.get('graph') ?? '';
  const symbol = route.params.get('symbol') ?? '';
  const [g, setG] = useState(graph);
  const [s, setS] = useState(symbol);
  useEffect(() => {
    setG(graph);
    setS(symbol);
  }, [graph, symbol]);
  return (
    <div>
      <h1>Reachability</h1>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('reach', [], { graph: g.trim(), symbol: s.trim() }));
        }}
      >
        <div>
          <label for="graph">Callgraph id</label>
          <input id="graph" value={g} required onInput={(e) => setG(e.currentTarget.value)} />
        </div>
        <div>
          <label for="symbol">Symbol</label>
          <input id="symbol" value={s} required onInput={(e) => setS(e.currentTarget.value)} placeholder="sym:js:…" />
        </div>
        <button type="submit">Ask</button>
      </form>
      {graph !== '' && symbol !== '' && <Answer graph={graph} symbol={symbol} />}
    </div>
  );
}
