import { availableParallelism } from 'node:os';
import { WorkerPool } from '../core/worker-rpc.js';
import type { SignedContent } from './classify.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import { verifyUpload, type CandidateKey, type VerifiedUpload } from './trust.js';
import type { VerifyRequest, VerifyResult } from './verify-protocol.js';

/**
 * Signature verification on worker threads. A signature check costs about
 * as much CPU as the rest of an upload together, and it is pure, so it is
 * the part worth moving off the event loop: the main thread keeps serving
 * HTTP, SQL and file I/O while another core verifies. With `threads: 0`
 * checks run inline (tests, single-core machines). With `tsa`, logged
 * uploads are timestamped there too (a token costs about one signature).
 */
export class VerifyPool {
  readonly threads: number;
  readonly #workers: WorkerPool<VerifyRequest, VerifyResult> | undefined;
  readonly #tsaSettings: TsaSettings | undefined;
  #tsa: TimestampAuthority | undefined;

  constructor(options: { threads?: number; tsa?: TsaSettings | undefined } = {}) {
    this.threads = Math.max(0, options.threads ?? Math.max(1, availableParallelism() - 1));
    this.#tsaSettings = options.tsa;
    this.#workers =
      this.threads === 0
        ? undefined
        : new WorkerPool({
            // From the folder's parent: the bundled CLI (scripts/bundle-cli.mjs) runs this code from dist/src/cli/.
            script: new URL('../evidence/verify-worker.js', import.meta.url),
            workerData: { tsa: options.tsa },
            size: this.threads,
            name: 'signature verification worker',
          });
  }

  #inlineTsa(): TimestampAuthority | undefined {
    if (this.#tsaSettings !== undefined) this.#tsa ??= new TimestampAuthority(this.#tsaSettings);
    return this.#tsa;
  }

  async verify(
    content: SignedContent,
    keyHint: string | undefined,
    candidates: readonly CandidateKey[],
    withLogEntry = false,
  ): Promise<VerifiedUpload> {
    // Closed (shutting down) or threadless: the same check, on this thread.
    if (this.#workers === undefined || this.#workers.closed)
      return verifyUpload(content, keyHint, candidates, withLogEntry, this.#inlineTsa());
    const result = await this.#workers.call({ content, keyHint, candidates, withLogEntry });
    return { keyId: result.keyId, logEntry: asBuffer(result.logEntry), timestamp: asBuffer(result.timestamp) };
  }

  async close(): Promise<void> {
    await this.#workers?.close();
  }
}

/** A copy: a cloned view may carry a whole pooled ArrayBuffer, which the record should not keep alive. */
function asBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes);
}
