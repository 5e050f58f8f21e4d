/** Worker side of VerifyPool: runs the same trust check off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { isAttestryError } from '../core/errors.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import { verifyUpload } from './trust.js';
import type { VerifyReply, VerifyRequest } from './verify-protocol.js';

const settings = (workerData as { tsa?: TsaSettings } | undefined)?.tsa;
const tsa = settings === undefined ? undefined : new TimestampAuthority(settings);

parentPort?.on('message', (request: VerifyRequest) => {
  let reply: VerifyReply;
  try {
    reply = { id: request.id, ok: true, ...verifyUpload(request.content, request.keyHint, request.candidates, request.withLogEntry, tsa) };
  } catch (e) {
    reply = isAttestryError(e)
      ? { id: request.id, ok: false, code: e.code, message: e.message, ...(e.details ? { details: { ...e.details } } : {}) }
      : { id: request.id, ok: false, code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(reply);
});
