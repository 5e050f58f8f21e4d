/**
 * The timestamp authority's parts without a server: the certificate chain
 * (RFC 3161 §2.3), request checks (§2.4.1) and the token's structure (§2.4.2,
 * RFC 5652), read back with pkijs and with @sigstore/core's parser.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { RFC3161Timestamp } from '@sigstore/core';
import { ATTESTRY_TSA_POLICY, failInfoOf, OID_TSTINFO, parseTimestampRequest, TimestampAuthority, tlv } from '../../src/tlog/tsa.js';
import { OID_KP_TIMESTAMPING, openTsaDirectory } from '../../src/tlog/tsa-certs.js';

const dir = mkdtempSync(join(tmpdir(), 'attestry-tsa-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2026-06-01T12:00:00Z');
const opened = openTsaDirectory(join(dir, 'tsa'), now);
const tsa = new TimestampAuthority(
  { privateKeyPem: opened.privateKeyPem, chainDer: opened.chain.der },
  () => new Date('2026-06-01T12:30:00.789Z'),
);
const SHA256 = '2.16.840.1.101.3.4.2.1';

/** A TimeStampReq built with pkijs, with the fields a test wants to break. */
function request(
  o: { version?: number; alg?: string; hash?: Buffer; policy?: string; nonce?: Buffer; certReq?: boolean; extensions?: boolean } = {},
): Buffer {
  const req = new pkijs.TimeStampReq({
    version: o.version ?? 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: o.alg ?? SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(o.hash ?? Buffer.alloc(32, 7)).buffer }),
    }),
    ...(o.policy !== undefined ? { reqPolicy: o.policy } : {}),
    ...(o.nonce !== undefined ? { nonce: new asn1js.Integer({ valueHex: new Uint8Array(o.nonce).buffer }) } : {}),
    ...(o.certReq !== undefined ? { certReq: o.certReq } : {}),
    ...(o.extensions === true
      ? { extensions: [new pkijs.Extension({ extnID: '1.2.3.4', extnValue: new asn1js.Null().toBER(false) })] }
      : {}),
  });
  return Buffer.from(req.toSchema().toBER(false));
}

describe('certificate chain', () => {
  test('a root CA and a TSA leaf with critical extendedKeyUsage timeStamping only, kept across restarts', () => {
    const { leaf, root } = opened.chain;
    assert.ok(root.ca);
    assert.ok(!leaf.ca);
    assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey));
    assert.deepEqual(leaf.keyUsage, [OID_KP_TIMESTAMPING]);
    const cert = pkijs.Certificate.fromBER(leaf.raw);
    const eku = cert.extensions?.find((e) => e.extnID === '2.5.29.37');
    assert.equal(eku?.critical, true, 'RFC 3161 §2.3: the extension MUST be critical');
    assert.ok(new Date(leaf.validFrom) <= now && new Date(leaf.validTo) > new Date('2035-01-01'));
    const again = openTsaDirectory(join(dir, 'tsa'), new Date());
    assert.equal(again.created, false);
    assert.deepEqual(again.chain.der, opened.chain.der);
  });

  test('a chain that is not for the signing key beside it is refused at start', () => {
    const other = join(dir, 'other');
    openTsaDirectory(other, now);
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(other, 'tsa-signer.key.pem'), foreign);
    assert.throws(() => openTsaDirectory(other, now), { code: 'E_CONFIG', message: /not for the TSA signing key/ });
  });
});

describe('requests', () => {
  test('accepted: SHA-256/384/512 imprints, the nonce kept byte for byte, certReq', () => {
    const r = parseTimestampRequest(request({ nonce: Buffer.from('00ff01', 'hex'), certReq: true }));
    assert.equal(r.certReq, true);
    assert.deepEqual(Buffer.from(r.nonce ?? []), Buffer.from('00ff01', 'hex'));
    parseTimestampRequest(request({ alg: '2.16.840.1.101.3.4.2.2', hash: Buffer.alloc(48) }));
    parseTimestampRequest(request({ alg: '2.16.840.1.101.3.4.2.3', hash: Buffer.alloc(64) }));
    parseTimestampRequest(request({ policy: ATTESTRY_TSA_POLICY }));
  });

  test('refused, each with its PKIFailureInfo', () => {
    const cases: [string, Buffer, string][] = [
      ['version 2', request({ version: 2 }), 'badRequest'],
      ['SHA-1', request({ alg: '1.3.14.3.2.26', hash: Buffer.alloc(20) }), 'badAlg'],
      ['a SHA-256 imprint of 20 bytes', request({ hash: Buffer.alloc(20) }), 'badDataFormat'],
      ['another policy', request({ policy: '1.2.3' }), 'unacceptedPolicy'],
      ['extensions', request({ extensions: true }), 'unacceptedExtension'],
      ['a 65-byte nonce', request({ nonce: Buffer.alloc(65, 1) }), 'badRequest'],
      ['truncated', request().subarray(0, 20), 'badDataFormat'],
      ['empty', Buffer.alloc(0), 'badDataFormat'],
      ['a SEQUENCE of something else', tlv(0x30, tlv(0x02, Buffer.from([1]))), 'badDataFormat'],
      [
        '8,000 nested indefinite-length SEQUENCEs',
        Buffer.concat([Buffer.alloc(16000, Buffer.from([0x30, 0x80])), Buffer.alloc(16000, 0)]),
        'badDataFormat',
      ],
      [
        'nested definite-length SEQUENCEs',
        Array.from({ length: 3000 }).reduce<Buffer>((inner) => tlv(0x30, inner), Buffer.alloc(0)),
        'badDataFormat',
      ],
    ];
    for (const [what, body, failure] of cases) {
      assert.throws(
        () => parseTimestampRequest(body),
        (e: unknown) => failInfoOf(e) === failure,
        what,
      );
      const { status, reply } = tsa.respond(body);
      assert.equal(status, 400, what);
      const resp = pkijs.TimeStampResp.fromBER(reply);
      assert.equal(resp.status.status, pkijs.PKIStatus.rejection, what);
      assert.equal(resp.timeStampToken, undefined);
    }
  });
});

describe('tokens', () => {
  test('a SignedData over a TSTInfo that pkijs reads back field by field', () => {
    const nonce = Buffer.from('0102030405060708', 'hex');
    const { status, reply } = tsa.respond(request({ nonce, certReq: true }));
    assert.equal(status, 200);
    const resp = pkijs.TimeStampResp.fromBER(reply);
    assert.equal(resp.status.status, pkijs.PKIStatus.granted);
    const signed = new pkijs.SignedData({ schema: resp.timeStampToken?.content });
    assert.equal(signed.version, 3);
    assert.equal(signed.encapContentInfo.eContentType, OID_TSTINFO);
    assert.equal(signed.certificates?.length, 1, 'certReq: the TSA certificate is included');
    const info = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent?.valueBlock.valueHexView ?? new Uint8Array());
    assert.equal(info.version, 1);
    assert.equal(info.policy, ATTESTRY_TSA_POLICY);
    assert.deepEqual(Buffer.from(info.nonce?.valueBlock.valueHexView ?? []), nonce);
    assert.equal(info.genTime.toISOString(), '2026-06-01T12:30:00.000Z', 'whole seconds');
    const signer = signed.signerInfos[0];
    assert.equal(signer?.version, 1);
    const types = signer?.signedAttrs?.attributes.map((a) => a.type) ?? [];
    assert.ok(types.includes('1.2.840.113549.1.9.16.2.47'), 'ESS signing-certificate-v2 (RFC 3161 §2.4.1)');
    const der = (signer?.signedAttrs?.attributes ?? []).map((a) => Buffer.from(a.toSchema().toBER(false)));
    assert.deepEqual(der, [...der].sort(Buffer.compare), 'DER SET OF order');
    const noCert = new pkijs.SignedData({ schema: pkijs.TimeStampResp.fromBER(tsa.respond(request()).reply).timeStampToken?.content });
    assert.equal(noCert.certificates, undefined);
  });

  test('the record timestamp is over SHA-256 of the signature and verifies with @sigstore/core', () => {
    const signature = Buffer.from('a signature');
    const token = RFC3161Timestamp.parse(Buffer.from(tsa.timestampSignature(signature)));
    token.verify(signature, new X509Certificate(tsa.chainDer[0] as Buffer).publicKey);
    assert.deepEqual(token.tstInfo.messageImprintHashedMessage, Buffer.from(createHash('sha256').update(signature).digest()));
    assert.throws(
      () => token.verify(Buffer.from('another signature'), new X509Certificate(tsa.chainDer[0] as Buffer).publicKey),
      /imprint/,
    );
    const serials = new Set(
      Array.from({ length: 50 }, () =>
        pkijs.TimeStampResp.fromBER(tsa.timestampSignature(signature)).timeStampToken?.toSchema().toBER(false),
      ),
    );
    assert.equal(serials.size, 50, 'every token is distinct (random 127-bit serial numbers)');
  });
});
