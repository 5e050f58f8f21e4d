/**
 * Worker side of core/worker-rpc.ts: answers each request with one result
 * or one WireError, after any number of events.
 */
import { parentPort, type Transferable } from 'node:worker_threads';
import { toWire, type AttestryError } from './errors.js';
import type { RpcReply, RpcRequest } from './worker-rpc.js';

export interface RpcContext<Ev> {
  /** Sends an event (progress, say) to the caller of this request. */
  emit(event: Ev): void;
}

export interface ServeOptions<Res> {
  /** Handle requests one at a time, in arrival order, even when the handler is async (the SQLite writer commits in order). */
  readonly serial?: boolean;
  /** Turns a failure that is not an AttestryError into one (default: E_INTERNAL with its message). */
  readonly mapError?: (e: unknown) => AttestryError | undefined;
  /** Buffers of a result to move rather than copy. */
  readonly transfer?: (result: Res) => readonly Transferable[];
}

// Req types the handler's argument for the worker's own code; it has no other use.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function serveWorkerRpc<Req, Res, Ev = never>(
  handler: (request: Req, context: RpcContext<Ev>) => Res | Promise<Res>,
  options: ServeOptions<Res> = {},
): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorkerRpc must run in a worker thread');
  const post = (reply: RpcReply<Res, Ev>, transfer?: readonly Transferable[]): void => port.postMessage(reply, transfer);
  const fail = (id: number, e: unknown): void => post({ id, kind: 'error', error: toWire(options.mapError?.(e) ?? e) });
  const handle = async ({ id, request }: RpcRequest<Req>): Promise<void> => {
    try {
      const result = await handler(request, { emit: (event) => post({ id, kind: 'event', event }) });
      post({ id, kind: 'result', result }, options.transfer?.(result));
    } catch (e) {
      fail(id, e);
    }
  };
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (message: RpcRequest<Req>) => {
    if (options.serial === true) chain = chain.then(() => handle(message));
    else void handle(message);
  });
}
