import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { ErrorNote, Field, Mono } from '../parts/common';
import { GrowthChart, type GrowthPoint } from '../parts/growth-chart';
import { rootFromInclusionProof } from '../parts/merkle';

interface CheckpointStatus {
  readonly note: string;
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
  readonly verified: boolean;
  readonly signatures: readonly { readonly signer: string; readonly role: string; readonly status: string }[];
}
interface Proof {
  readonly index: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly hashes: readonly string[];
}

function Inclusion({ checkpoint }: { checkpoint: CheckpointStatus }) {
  const [index, setIndex] = useState('0');
  const [result, setResult] = useState<{ proof: Proof; leaf: string; computed: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const i = Number(index);
      const entry = await api<{ leafHash: string }>('GET', `/api/v1/log/entries/${i}`);
      const proof = await api<Proof>('GET', `/api/v1/log/proof/inclusion?index=${i}&size=${checkpoint.size}`);
      const computed = await rootFromInclusionProof(i, proof.treeSize, entry.leafHash, proof.hashes);
      setResult({ proof, leaf: entry.leafHash, computed });
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const max = Math.max(0, checkpoint.size - 1);
  return (
    <section aria-labelledby="proof-title">
      <h2 id="proof-title">Inclusion proof</h2>
      <form class="row" onSubmit={(e) => void run(e)}>
        <div>
          <label for="entry">Entry index (0 to {max})</label>
          <input id="entry" type="number" min={0} max={max} value={index} onInput={(e) => setIndex(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={checkpoint.size === 0}>
          Prove inclusion
        </button>
      </form>
      <ErrorNote error={error} />
      {result !== null && (
        <div aria-live="polite">
          <p
            class={`badge ${result.computed === checkpoint.rootHash ? 'approved' : 'rejected'}`}
            data-proof={String(result.computed === checkpoint.rootHash)}
          >
            {result.computed === checkpoint.rootHash
              ? `Entry ${result.proof.index} is in the signed tree of ${result.proof.treeSize} (root recomputed in this browser)`
              : 'The proof does not lead to the signed root'}
          </p>
          <dl>
            <Field label="leaf hash">
              <Mono>{result.leaf}</Mono>
            </Field>
            <Field label="computed root">
              <Mono>{result.computed}</Mono>
            </Field>
          </dl>
          <ol class="hashes" aria-label="Audit path, leaf to root">
            {result.proof.hashes.map((h, i) => (
              <li key={i}>
                <Mono>{h}</Mono>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

export function LogPage() {
  const [checkpoint, setCheckpoint] = useState<CheckpointStatus | null>(null);
  const [points, setPoints] = useState<readonly GrowthPoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<CheckpointStatus>('GET', '/console/api/log/checkpoint').then(setCheckpoint, (e: unknown) => setError(messageOf(e)));
    api<{ points: GrowthPoint[] }>('GET', '/console/api/log/growth').then(
      (r) => setPoints(r.points),
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  return (
    <div>
      <h1>Transparency log</h1>
      <ErrorNote error={error} />
      {checkpoint !== null && (
        <section aria-labelledby="cp-title">
          <h2 id="cp-title">Latest checkpoint</h2>
          <p class={`badge ${checkpoint.verified ? 'approved' : 'rejected'}`} data-signature={checkpoint.verified ? 'verified' : 'invalid'}>
            {checkpoint.verified ? "Signed by the log's key" : "The log's signature does not verify"}
          </p>
          <dl>
            <Field label="origin">{checkpoint.origin}</Field>
            <Field label="tree size">{checkpoint.size}</Field>
            <Field label="root hash">
              <Mono>{checkpoint.rootHash}</Mono>
            </Field>
          </dl>
          <ul>
            {checkpoint.signatures.map((s) => (
              <li key={s.signer}>
                {s.role} <Mono>{s.signer}</Mono>: {s.status}
              </li>
            ))}
          </ul>
          <pre class="note" tabIndex={0} aria-label="Checkpoint note">
            {checkpoint.note}
          </pre>
        </section>
      )}
      <section aria-labelledby="growth-title">
        <h2 id="growth-title">Growth</h2>
        {points === null ? <p aria-busy="true">Loading…</p> : <GrowthChart points={points} />}
      </section>
      {checkpoint !== null && <Inclusion checkpoint={checkpoint} />}
    </div>
  );
}
