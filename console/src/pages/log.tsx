import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { ErrorNote, Field, Mono } from '../parts/common';
import { GrowthChart, type GrowthPoint } from '../parts/growth-chart';
import { rootFromInclusionProof } from '../parts/merkle';
import { checkpointOf, leafHashOf, logSignatureVerifies } from '../parts/note';

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

/** What this browser checked itself: the log's signature on the note, with the key the log publishes. */
interface BrowserCheck {
  readonly vkey: string;
  readonly verified: boolean;
  readonly rootHex: string;
  readonly size: number;
}

function Inclusion({ checkpoint, local }: { checkpoint: CheckpointStatus; local: BrowserCheck }) {
  const [index, setIndex] = useState('0');
  const [result, setResult] = useState<{ proof: Proof; leaf: string; computed: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const i = Number(index);
      const entry = await api<{ body: string }>('GET', `/api/v1/log/entries/${i}`);
      const leaf = await leafHashOf(entry.body);
      const proof = await api<Proof>('GET', `/api/v1/log/proof/inclusion?index=${i}&size=${local.size}`);
      const computed = await rootFromInclusionProof(i, local.size, leaf, proof.hashes);
      setResult({ proof, leaf, computed });
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const max = Math.max(0, checkpoint.size - 1);
  const proven = result !== null && local.verified && result.computed === local.rootHex;
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
      <div aria-live="polite">
        {result !== null && (
          <>
            <p class={`badge ${proven ? 'approved' : 'rejected'}`} data-proof={String(proven)}>
              {proven
                ? `Entry ${result.proof.index} is in the signed tree of ${local.size}: leaf and root recomputed, and the checkpoint's signature checked, in this browser`
                : local.verified
                  ? 'The proof does not lead to the signed root'
                  : "The checkpoint's signature did not verify in this browser, so no proof against it counts"}
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
          </>
        )}
      </div>
    </section>
  );
}

export function LogPage() {
  const [checkpoint, setCheckpoint] = useState<CheckpointStatus | null>(null);
  const [points, setPoints] = useState<readonly GrowthPoint[] | null>(null);
  const [local, setLocal] = useState<BrowserCheck | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const check = async (): Promise<void> => {
      const status = await api<CheckpointStatus>('GET', '/console/api/log/checkpoint');
      setCheckpoint(status);
      const { verifierKey } = await api<{ verifierKey: string }>('GET', '/api/v1/log/key');
      const cp = checkpointOf(status.note);
      setLocal({ vkey: verifierKey, verified: await logSignatureVerifies(status.note, verifierKey), rootHex: cp.rootHex, size: cp.size });
    };
    check().catch((e: unknown) => setError(messageOf(e)));
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
          {local !== null && (
            <p data-browser-signature={local.verified ? 'verified' : 'invalid'}>
              {local.verified
                ? "This browser checked the log's Ed25519 signature too"
                : "This browser could not verify the log's signature"}
              , with the key the log publishes: <Mono>{local.vkey}</Mono> (compare it with the one you pinned).
            </p>
          )}
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
      {checkpoint !== null && local !== null && <Inclusion checkpoint={checkpoint} local={local} />}
    </div>
  );
}
