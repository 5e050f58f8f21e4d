/**
 * `npm run bench:tsa`: RFC 3161 timestamps issued per second on one thread
 * (the cost each logged write adds on a verify worker), against the bare
 * ECDSA P-256 signature every token contains, measured in the same run.
 *
 * Env: BENCH_SECONDS (default 3 per row).
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTsaDirectory } from '../src/tlog/tsa-certs.js';
import { parseTimestampRequest, TimestampAuthority } from '../src/tlog/tsa.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);

function rate(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'attestry-bench-tsa-'));
try {
  const t = openTsaDirectory(dir, new Date());
  const tsa = new TimestampAuthority({ privateKeyPem: t.privateKeyPem, chainDer: t.chain.der });
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const signature = randomBytes(64);
  const attrs = randomBytes(200);
  const query = Buffer.from(
    new pkijs.TimeStampReq({
      version: 1,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }),
        hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(createHash('sha256').update(signature).digest()).buffer }),
      }),
      nonce: new asn1js.Integer({ valueHex: new Uint8Array(randomBytes(8)).buffer }),
      certReq: true,
    })
      .toSchema()
      .toBER(false),
  );
  const rows: [string, number][] = [
    ['ECDSA P-256 signature (baseline)', rate(() => sign('sha256', attrs, { key, dsaEncoding: 'der' }))],
    ['record timestamp (timestampSignature)', rate(() => tsa.timestampSignature(signature))],
    ['POST /api/v1/timestamp work (parse TimeStampReq + reply)', rate(() => tsa.respond(query))],
    ['parse TimeStampReq only', rate(() => parseTimestampRequest(query))],
  ];
  const base = rows[0]?.[1] ?? 1;
  console.log(`bench:tsa: ${SECONDS}s per row, one thread`);
  console.log('| operation | per second | µs each | vs signature |');
  console.log('|---|---:|---:|---:|');
  for (const [name, r] of rows)
    console.log(`| ${name} | ${Math.round(r).toLocaleString('en-US')} | ${(1e6 / r).toFixed(0)} | ${(base / r).toFixed(2)}× |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
