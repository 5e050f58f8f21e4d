/**
 * One request/reply protocol over worker threads, used by every pool in
 * attestry (hashing, signature checks, the SQLite writer): request ids, a
 * pending map per worker, least-busy dispatch, replacement of dead workers,
 * ref only while busy, and errors carried as WireError. The worker side is
 * `serveWorkerRpc` in worker-serve.ts.
 */
import { Worker, type Transferable } from 'node:worker_threads';
import { AttestryError, fromWire, type WireError } from './errors.js';

/** Main thread → worker. */
export interface RpcRequest<Req> {
  readonly id: number;
  readonly request: Req;
}

/** Worker → main thread: any number of events, then one result or one error. */
export type RpcReply<Res, Ev> =
  | { readonly id: number; readonly kind: 'event'; readonly event: Ev }
  | { readonly id: number; readonly kind: 'result'; readonly result: Res }
  | { readonly id: number; readonly kind: 'error'; readonly error: WireError };

export interface WorkerPoolOptions {
  /** The worker script; it calls serveWorkerRpc. */
  readonly script: URL;
  readonly workerData?: unknown;
  /** Workers in the pool, at least 1. */
  readonly size: number;
  /** What a worker is, for messages: `hash worker` → "hash worker failed: exited with code 1". */
  readonly name: string;
  /** Code of the error that calls held by a dead worker are rejected with (default E_INTERNAL). */
  readonly deathCode?: 'E_INTERNAL' | 'E_UNAVAILABLE';
}

export interface CallOptions<Ev> {
  /** Send to this worker (0-based) instead of the least busy one. */
  readonly worker?: number;
  /** Buffers moved, not copied, to the worker. */
  readonly transfer?: readonly Transferable[];
  /** Called for each event the worker emits while it handles this call. */
  readonly onEvent?: (event: Ev) => void;
}

interface Pending<Res, Ev> {
  resolve(result: Res): void;
  reject(e: unknown): void;
  onEvent: ((event: Ev) => void) | undefined;
}

interface Slot<Res, Ev> {
  readonly worker: Worker;
  readonly pending: Map<number, Pending<Res, Ev>>;
}

export class WorkerPool<Req, Res, Ev = never> {
  readonly size: number;
  readonly #options: WorkerPoolOptions;
  /** By index, so a replaced worker keeps its place (callers may address workers by number). */
  readonly #slots: (Slot<Res, Ev> | undefined)[];
  /** Ids are unique for the pool's life: a late reply is never taken for a newer call. */
  #nextId = 0;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isSafeInteger(options.size) || options.size < 1) {
      throw new AttestryError('E_USAGE', `a ${options.name} pool needs at least 1 worker, got ${options.size}`);
    }
    this.size = options.size;
    this.#options = options;
    this.#slots = new Array<Slot<Res, Ev> | undefined>(options.size).fill(undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Calls in flight on worker `index`. */
  busy(index: number): number {
    return this.#slots[index]?.pending.size ?? 0;
  }

  call(request: Req, options: CallOptions<Ev> = {}): Promise<Res> {
    if (this.#closed) return Promise.reject(new AttestryError('E_UNAVAILABLE', `the ${this.#options.name} pool is closed`));
    let slot: Slot<Res, Ev>;
    try {
      slot = this.#slot(options.worker ?? this.#leastBusy());
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.#nextId++;
    return new Promise<Res>((resolve, reject) => {
      // Referenced only while it has work, so an idle pool never holds the process open.
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject, onEvent: options.onEvent });
      try {
        slot.worker.postMessage({ id, request } satisfies RpcRequest<Req>, options.transfer);
      } catch (e) {
        // A request that cannot be cloned (a function, say) never reached the worker.
        slot.pending.delete(id);
        if (slot.pending.size === 0) slot.worker.unref();
        reject(
          new AttestryError('E_INTERNAL', `cannot send a request to the ${this.#options.name}: ${(e as Error).message}`, { cause: e }),
        );
      }
    });
  }

  #leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.size; i++) if (this.busy(i) < this.busy(best)) best = i;
    return best;
  }

  /** The worker at `index`, started on first use and again after it died. */
  #slot(index: number): Slot<Res, Ev> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new AttestryError('E_INTERNAL', `no ${this.#options.name} ${index} in a pool of ${this.size}`);
    }
    const existing = this.#slots[index];
    if (existing !== undefined) return existing;
    const worker = new Worker(this.#options.script, { workerData: this.#options.workerData });
    const slot: Slot<Res, Ev> = { worker, pending: new Map() };
    worker.on('message', (reply: RpcReply<Res, Ev>) => this.#settle(slot, reply));
    worker.on('error', (e) => this.#retire(index, slot, e.message, e));
    worker.on('exit', (code) => this.#retire(index, slot, `exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#slots[index] = slot;
    return slot;
  }

  #settle(slot: Slot<Res, Ev>, reply: RpcReply<Res, Ev>): void {
    const pending = slot.pending.get(reply.id);
    if (pending === undefined) return;
    if (reply.kind === 'event') {
      pending.onEvent?.(reply.event);
      return;
    }
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) slot.worker.unref();
    if (reply.kind === 'result') pending.resolve(reply.result);
    else pending.reject(fromWire(reply.error));
  }

  /** A dead worker leaves its place (the next call there starts a fresh one), and what it held fails instead of waiting forever. */
  #retire(index: number, slot: Slot<Res, Ev>, why: string, cause?: Error): void {
    if (this.#slots[index] === slot) this.#slots[index] = undefined;
    const error = this.#closed
      ? new AttestryError('E_UNAVAILABLE', `the ${this.#options.name} pool was closed before this call finished`)
      : new AttestryError(this.#options.deathCode ?? 'E_INTERNAL', `${this.#options.name} failed: ${why}`, cause ? { cause } : undefined);
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
  }

  /** Refuses new calls and stops every worker; calls still in flight are rejected with E_UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    const live = this.#slots.flatMap((slot, index) => (slot === undefined ? [] : [{ slot, index }]));
    await Promise.all(live.map(({ slot }) => slot.worker.terminate()));
    // 'exit' normally did this already; terminate() does not promise to resolve after it.
    for (const { slot, index } of live) this.#retire(index, slot, 'closed');
  }
}
