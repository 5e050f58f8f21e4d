/** Worker side of VerifyPool: runs the same trust check off the main thread. */
import { workerData } from 'node:worker_threads';
import { serveWorkerRpc } from '../core/worker-serve.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import { verifyUpload } from './trust.js';
import type { VerifyRequest, VerifyResult } from './verify-protocol.js';

const settings = (workerData as { tsa?: TsaSettings } | undefined)?.tsa;
const tsa = settings === undefined ? undefined : new TimestampAuthority(settings);

serveWorkerRpc<VerifyRequest, VerifyResult>((request) =>
  verifyUpload(request.content, request.keyHint, request.candidates, request.withLogEntry, tsa),
);
