import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { ErrorNote, Field, when } from '../parts/common';

interface Overview {
  readonly at: string;
  readonly uptimeSeconds: number;
  readonly tenants: readonly { readonly tenant: string; readonly callgraphs: number; readonly batches: number; readonly facts: number }[];
  readonly logSize: number | null;
  readonly gc: {
    readonly enabled: boolean;
    readonly runs: number | null;
    readonly lastRunAt: string | null;
    readonly lastRemovedBlobs: number | null;
    readonly lastFailed: boolean;
  };
}

const POLL_MS = 5000;
const totalFacts = (o: Overview): number => o.tenants.reduce((n, t) => n + t.facts, 0);

/** Facts per second between the last two polls; before the second, the average since the service started. */
function rate(prev: Overview | undefined, now: Overview): number {
  if (prev === undefined) return now.uptimeSeconds > 0 ? totalFacts(now) / now.uptimeSeconds : 0;
  const seconds = (Date.parse(now.at) - Date.parse(prev.at)) / 1000;
  return seconds > 0 ? (totalFacts(now) - totalFacts(prev)) / seconds : 0;
}

export function SignalsPage() {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [perSecond, setPerSecond] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const previous = useRef<Overview | undefined>(undefined);
  useEffect(() => {
    const poll = (): void => {
      api<Overview>('GET', '/console/api/overview').then(
        (o) => {
          setPerSecond(rate(previous.current, o));
          previous.current = o;
          setOverview(o);
          setError(null);
        },
        (e: unknown) => setError(messageOf(e)),
      );
    };
    poll();
    const timer = window.setInterval(poll, POLL_MS);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <div>
      <h1>Signals overview</h1>
      <p class="hint">From the service's metrics (what /metrics serves), counted since this process started; refreshed every 5 s.</p>
      <ErrorNote error={error} />
      {overview !== null && (
        <>
          <table>
            <caption>Per tenant</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Callgraphs</th>
                <th scope="col">Batches</th>
                <th scope="col">Facts</th>
              </tr>
            </thead>
            <tbody>
              {overview.tenants.length === 0 && (
                <tr>
                  <td colSpan={4}>Nothing ingested yet.</td>
                </tr>
              )}
              {overview.tenants.map((t) => (
                <tr key={t.tenant} data-tenant={t.tenant}>
                  <th scope="row">{t.tenant}</th>
                  <td>{t.callgraphs}</td>
                  <td>{t.batches}</td>
                  <td>{t.facts}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl>
            <Field label="ingest rate">{perSecond.toFixed(2)} facts/s</Field>
            <Field label="log size">{overview.logSize ?? '—'} entries</Field>
            <Field label="last GC run">
              {!overview.gc.enabled
                ? 'GC is off (Gc.Enabled)'
                : overview.gc.lastRunAt === null
                  ? 'none yet'
                  : `${when(overview.gc.lastRunAt)}: ${overview.gc.lastRemovedBlobs ?? 0} blobs removed${overview.gc.lastFailed ? ', failed' : ''}`}
            </Field>
            <Field label="GC runs">{overview.gc.runs ?? 0}</Field>
          </dl>
        </>
      )}
    </div>
  );
}
