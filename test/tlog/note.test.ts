import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { verify as nodeVerify } from 'node:crypto';
import { AttestryError } from '../../src/core/errors.js';
import { generateKeyPair, privateKeyToPem } from '../../src/crypto/keys.js';
import { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  NoteSigner,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  ed25519Raw,
  formatNote,
  formatVerifierKey,
  noteKeyId,
  parseNote,
  parseVerifierKey,
  verifyNote,
  type NoteSignature,
} from '../../src/tlog/note.js';
import { expectAttestryError } from '../core/helpers.js';
import { hex } from './helpers.js';

// c2sp.org/signed-note, "Example" (C2SP/C2SP signed-note.md).
const EXAMPLE_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const EXAMPLE_NOTE =
  'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const ORIGIN = 'test.example/log';
const logSigner = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
const logKey = parseVerifierKey(logSigner.verifierKey);
const witness1 = new NoteSigner('witness.example/w1', generateKeyPair('ed25519').privateKey);
const witness2 = new NoteSigner('witness.example/w2', generateKeyPair('ed25519').privateKey);
const w1Key = parseVerifierKey(formatVerifierKey(witness1.name, witness1.publicKey, SIG_COSIGNATURE_V1));
const w2Key = parseVerifierKey(formatVerifierKey(witness2.name, witness2.publicKey, SIG_COSIGNATURE_V1));
const ROOT = Buffer.from('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328', 'hex');

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');
const note = (text: string, ...signatures: NoteSignature[]): string => formatNote({ text, signatures });
/** A checkpoint body signed by the log key, however malformed: only the body checks can reject it. */
const signedBody = (body: string): string => note(body, logSigner.sign(body));

/** The material of a vkey: base64(type || key), with its key ID computed for `name`. */
function vkeyWith(name: string, type: number, raw: Uint8Array): string {
  return `${name}+${noteKeyId(name, type, raw).toString(16).padStart(8, '0')}+${Buffer.concat([Buffer.from([type]), raw]).toString('base64')}`;
}

describe('C2SP signed-note example', () => {
  test('the verifier key parses: name, key ID, Ed25519 type, and formats back identically', () => {
    const key = parseVerifierKey(EXAMPLE_VKEY);
    assert.equal(key.name, 'example.com/foo');
    assert.equal(key.keyId, 0x530d903a);
    assert.equal(key.type, SIG_ED25519);
    assert.equal(key.publicKey.asymmetricKeyType, 'ed25519');
    assert.equal(noteKeyId('example.com/foo', SIG_ED25519, ed25519Raw(key.publicKey)), 0x530d903a);
    assert.equal(formatVerifierKey(key.name, key.publicKey), EXAMPLE_VKEY);
  });

  test('the example note verifies with the example key', () => {
    const parsed = parseNote(EXAMPLE_NOTE);
    assert.equal(parsed.text, 'This is an example message.\n');
    assert.equal(parsed.signatures.length, 1);
    const [sig] = parsed.signatures;
    assert.equal(sig?.name, 'example.com/foo');
    assert.equal(sig?.keyId, 0x530d903a);
    assert.equal(sig?.signature.length, 64);
    const key = parseVerifierKey(EXAMPLE_VKEY);
    const verified = verifyNote(parsed, [key]);
    assert.equal(verified.length, 1);
    assert.equal(verified[0]?.key, key);
    assert.equal(verified[0]?.timestamp, undefined);
    assert.equal(formatNote(parsed), EXAMPLE_NOTE);
  });

  test('the example signature does not verify another text', () => {
    const parsed = parseNote(EXAMPLE_NOTE.replace('example message', 'example massage'));
    expectAttestryError(
      () => verifyNote(parsed, [parseVerifierKey(EXAMPLE_VKEY)]),
      'E_SIGNATURE_INVALID',
      /the signature by example\.com\/foo\+530d903a does not verify/,
    );
  });
});

describe('parseVerifierKey', () => {
  const raw = ed25519Raw(parseVerifierKey(EXAMPLE_VKEY).publicKey);

  test('a wrong key ID is rejected', () => {
    expectAttestryError(
      () => parseVerifierKey(EXAMPLE_VKEY.replace('+530d903a+', '+530d903b+')),
      'E_KEY_FORMAT',
      /key ID does not match the name and key/,
    );
    // The key ID commits to the name.
    expectAttestryError(
      () => parseVerifierKey(EXAMPLE_VKEY.replace('example.com/foo', 'example.com/bar')),
      'E_KEY_FORMAT',
      /key ID does not match/,
    );
    expectAttestryError(() => parseVerifierKey(EXAMPLE_VKEY.replace('+530d903a+', '+530D903A+')), 'E_KEY_FORMAT', /8 lowercase hex digits/);
    expectAttestryError(() => parseVerifierKey(EXAMPLE_VKEY.replace('+530d903a+', '+530d903+')), 'E_KEY_FORMAT', /8 lowercase hex digits/);
  });

  test('bad base64 is rejected', () => {
    expectAttestryError(
      () => parseVerifierKey('example.com/foo+530d903a+Aeky!eRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'),
      'E_KEY_FORMAT',
      /key material is not base64/,
    );
    // Decodes to the same bytes, but is not the canonical encoding.
    expectAttestryError(() => parseVerifierKey(`${EXAMPLE_VKEY}=`), 'E_KEY_FORMAT', /not base64/);
    expectAttestryError(() => parseVerifierKey(EXAMPLE_VKEY.replace('+Aeky', '+Ae-y')), 'E_KEY_FORMAT', /not base64/);
    expectAttestryError(() => parseVerifierKey('example.com/foo+530d903a+'), 'E_KEY_FORMAT', /not base64/);
  });

  test('unknown signature types are rejected', () => {
    expectAttestryError(
      () => parseVerifierKey(vkeyWith('example.com/foo', 0x02, raw)),
      'E_KEY_FORMAT',
      /signature type 0x2 is not supported/,
    );
    expectAttestryError(
      () => parseVerifierKey(vkeyWith('example.com/foo', 0xff, raw)),
      'E_KEY_FORMAT',
      /signature type 0xff is not supported/,
    );
  });

  test('a key that is not 32 bytes, and a vkey that is not three fields, are rejected', () => {
    expectAttestryError(
      () => parseVerifierKey(vkeyWith('example.com/foo', SIG_ED25519, raw.subarray(0, 31))),
      'E_KEY_FORMAT',
      /32 bytes, got 31/,
    );
    expectAttestryError(() => parseVerifierKey('example.com/foo+530d903a'), 'E_KEY_FORMAT', /expected <name>\+<hex id>\+<base64 key>/);
    expectAttestryError(() => parseVerifierKey('example.com/foo'), 'E_KEY_FORMAT', /expected <name>/);
    expectAttestryError(() => parseVerifierKey(`a+${EXAMPLE_VKEY}`), 'E_KEY_FORMAT');
  });

  test('key material whose base64 holds "+" or "/" parses', () => {
    let found = 0;
    for (let i = 0; i < 200 && found < 5; i++) {
      const signer = new NoteSigner('plus.example/log', generateKeyPair('ed25519').privateKey);
      const b64 = signer.verifierKey.split('+').slice(2).join('+');
      if (!/[+/]/.test(b64)) continue;
      found++;
      const key = parseVerifierKey(signer.verifierKey);
      assert.equal(key.keyId, signer.keyId);
      assert.equal(formatVerifierKey(key.name, key.publicKey), signer.verifierKey);
    }
    assert.equal(found, 5);
  });

  test('cosigner (0x04) vkeys have their own key ID', () => {
    const vkey = formatVerifierKey(witness1.name, witness1.publicKey, SIG_COSIGNATURE_V1);
    const key = parseVerifierKey(vkey);
    assert.equal(key.type, SIG_COSIGNATURE_V1);
    assert.equal(Buffer.from(vkey.split('+')[2] as string, 'base64')[0], 0x04);
    assert.equal(key.keyId, noteKeyId(witness1.name, SIG_COSIGNATURE_V1, ed25519Raw(witness1.publicKey)));
    assert.notEqual(key.keyId, witness1.keyId);
  });

  test('note key names must not be empty or hold spaces or "+"', () => {
    for (const name of ['', 'a b', 'a\tb', 'a+b']) {
      assert.throws(() => formatVerifierKey(name, witness1.publicKey), AttestryError, JSON.stringify(name));
      assert.throws(() => new NoteSigner(name, generateKeyPair('ed25519').privateKey), AttestryError, JSON.stringify(name));
    }
    expectAttestryError(() => formatVerifierKey('x', generateKeyPair('ecdsa-p256').publicKey), 'E_KEY_UNSUPPORTED', /must be Ed25519/);
  });
});

describe('signed notes', () => {
  const TEXT = 'hello\nworld\n';

  test('NoteSigner sign → formatNote → parseNote → verifyNote', () => {
    const text = note(TEXT, logSigner.sign(TEXT));
    assert.match(text, /^hello\nworld\n\n\u2014 test\.example\/log [A-Za-z0-9+/]+=*\n$/);
    const parsed = parseNote(text);
    assert.equal(parsed.text, TEXT);
    const verified = verifyNote(parsed, [logKey]);
    assert.deepEqual(
      verified.map((v) => v.key.name),
      [ORIGIN],
    );
    // The line is base64(key ID || Ed25519 signature over the text).
    const line = Buffer.from(text.trimEnd().split(' ').at(-1) as string, 'base64');
    assert.equal(line.readUInt32BE(0), logSigner.keyId);
    assert.ok(nodeVerify(null, Buffer.from(TEXT), logSigner.publicKey, line.subarray(4)));
  });

  test('a NoteSigner from a PEM private key signs the same way', () => {
    const pair = generateKeyPair('ed25519');
    const fromPem = new NoteSigner('pem.example/log', privateKeyToPem(pair.privateKey));
    const fromKey = new NoteSigner('pem.example/log', pair.privateKey);
    assert.equal(fromPem.verifierKey, fromKey.verifierKey);
    verifyNote(parseNote(note(TEXT, fromPem.sign(TEXT))), [parseVerifierKey(fromKey.verifierKey)]);
  });

  test('signatures by unknown keys are ignored', () => {
    const stranger = new NoteSigner('stranger.example', generateKeyPair('ed25519').privateKey);
    const garbage: NoteSignature = { name: 'garbage.example', keyId: 1, signature: Buffer.alloc(64, 7) };
    const parsed = parseNote(note(TEXT, stranger.sign(TEXT), garbage, logSigner.sign(TEXT)));
    assert.equal(parsed.signatures.length, 3);
    assert.deepEqual(
      verifyNote(parsed, [logKey]).map((v) => v.key.name),
      [ORIGIN],
    );
  });

  test('a known key’s bad signature rejects the note, even beside a good one', () => {
    const good = logSigner.sign(TEXT);
    const bad = { ...good, signature: Buffer.from(good.signature) };
    bad.signature[10] = (bad.signature[10] as number) ^ 1;
    expectAttestryError(
      () => verifyNote(parseNote(note(TEXT, bad)), [logKey]),
      'E_SIGNATURE_INVALID',
      new RegExp(`the signature by test\\.example/log\\+${hex8(logKey.keyId)} does not verify`),
    );
    const w1 = { ...witness1.sign(TEXT), signature: Buffer.alloc(64) };
    const w1AsNoteKey = parseVerifierKey(witness1.verifierKey);
    expectAttestryError(
      () => verifyNote(parseNote(note(TEXT, good, w1)), [logKey, w1AsNoteKey]),
      'E_SIGNATURE_INVALID',
      new RegExp(`by witness\\.example/w1\\+${hex8(w1AsNoteKey.keyId)} does not verify`),
    );
  });

  test('a note without a signature by a known key is rejected', () => {
    const stranger = new NoteSigner('stranger.example', generateKeyPair('ed25519').privateKey);
    const parsed = parseNote(note(TEXT, stranger.sign(TEXT)));
    expectAttestryError(
      () => verifyNote(parsed, [logKey]),
      'E_SIGNATURE_INVALID',
      new RegExp(
        `no signature by a known key: signed by stranger\\.example\\+${hex8(stranger.keyId)}; expected test\\.example/log\\+${hex8(logKey.keyId)}`,
      ),
    );
    expectAttestryError(() => verifyNote(parsed, []), 'E_SIGNATURE_INVALID', /none configured/);
    // Same name, another key: a different key ID, so not the known key.
    const impostor = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
    // The message names both key ids, so a log whose key changed is told apart from one never pinned.
    expectAttestryError(
      () => verifyNote(parseNote(note(TEXT, impostor.sign(TEXT))), [logKey]),
      'E_SIGNATURE_INVALID',
      new RegExp(
        `no signature by a known key: signed by test\\.example/log\\+${hex8(impostor.keyId)}; expected test\\.example/log\\+${hex8(logKey.keyId)}`,
      ),
    );
  });

  test('malformed notes are rejected with the reason', () => {
    const line = note(TEXT, logSigner.sign(TEXT)).slice(TEXT.length + 1);
    const cases: [string, RegExp][] = [
      [`${TEXT}${line}`, /no blank line before the signatures/],
      [`${TEXT}\n${line.slice(0, -1)}`, /no final newline/],
      [`${TEXT}\n${line.replace('\u2014', '-')}`, /malformed signature line/],
      [`${TEXT}\n${line.replace('\u2014 ', '\u2014  ')}`, /malformed signature line/],
      [`${TEXT}\n\u2014 ${ORIGIN} AAAAAA==\n`, /signature too short/],
      [`${TEXT}\n`, /malformed signature line ""/],
      [`hello\tworld\n\n${line}`, /contains control characters/],
      [`hello\rworld\n\n${line}`, /contains control characters/],
      [`hello\u0000\n\n${line}`, /contains control characters/],
      [`${TEXT}\n${line.repeat(65)}`, /more than 64 signatures/],
      [`${'a'.repeat(1 << 20)}\n\n${line}`, /larger than 1 MiB/],
    ];
    for (const [text, message] of cases) expectAttestryError(() => parseNote(text), 'E_SIGNATURE_INVALID', /^signed note: /, message);
  });
});

describe('cosignatures (c2sp.org/tlog-cosignature)', () => {
  const BODY = checkpointText({ origin: ORIGIN, size: 8, root: ROOT });
  const T = 1679315147;

  test('a cosignature signs "cosignature/v1\\ntime <t>\\n" + body, with the timestamp first', () => {
    const sig = witness1.cosign(BODY, T);
    assert.equal(sig.name, witness1.name);
    assert.equal(sig.keyId, w1Key.keyId);
    assert.equal(sig.signature.length, 72);
    assert.equal(sig.signature.readBigUInt64BE(0), BigInt(T));
    assert.ok(nodeVerify(null, Buffer.from(`cosignature/v1\ntime ${T}\n${BODY}`), witness1.publicKey, sig.signature.subarray(8)));
  });

  test('cosignatures verify and report their timestamps', () => {
    const parsed = parseNote(note(BODY, logSigner.sign(BODY), witness1.cosign(BODY, T), witness2.cosign(BODY, T + 5)));
    const verified = verifyNote(parsed, [logKey, w1Key, w2Key]);
    assert.deepEqual(
      verified.map((v) => [v.key.name, v.timestamp]),
      [
        [ORIGIN, undefined],
        [witness1.name, T],
        [witness2.name, T + 5],
      ],
    );
  });

  test('a cosignature is not a plain note signature, nor the other way round', () => {
    // The 0x04 key ID differs from the 0x01 one, so each is simply an unknown signature to the other key type.
    const w1NoteKey = parseVerifierKey(witness1.verifierKey);
    expectAttestryError(
      () => verifyNote(parseNote(note(BODY, witness1.cosign(BODY, T))), [w1NoteKey]),
      'E_SIGNATURE_INVALID',
      /no signature by a known key/,
    );
    expectAttestryError(
      () => verifyNote(parseNote(note(BODY, witness1.sign(BODY))), [w1Key]),
      'E_SIGNATURE_INVALID',
      /no signature by a known key/,
    );
  });

  test('a cosignature with a changed timestamp, body or length is rejected', () => {
    const sig = witness1.cosign(BODY, T);
    const retimed = { ...sig, signature: Buffer.from(sig.signature) };
    retimed.signature.writeBigUInt64BE(BigInt(T + 1), 0);
    expectAttestryError(
      () => verifyNote(parseNote(note(BODY, retimed)), [w1Key]),
      'E_SIGNATURE_INVALID',
      new RegExp(`the cosignature by witness\\.example/w1\\+${hex8(w1Key.keyId)} does not verify`),
    );
    const other = checkpointText({ origin: ORIGIN, size: 9, root: ROOT });
    expectAttestryError(
      () => verifyNote(parseNote(note(other, sig)), [w1Key]),
      'E_SIGNATURE_INVALID',
      /cosignature by witness\.example\/w1\+[0-9a-f]{8} does not verify/,
    );
    const short = { ...sig, signature: sig.signature.subarray(0, 71) };
    expectAttestryError(() => verifyNote(parseNote(note(BODY, short)), [w1Key]), 'E_SIGNATURE_INVALID', /is not 8 \+ 64 bytes/);
  });
});

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  test('checkpoint body text: origin, decimal size, base64 root, extension lines', () => {
    assert.equal(checkpointText({ origin: ORIGIN, size: 8, root: ROOT }), `${ORIGIN}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n`);
    const withExt = checkpointText({ origin: ORIGIN, size: 0, root: ROOT, extensions: ['ext one', 'ext two'] });
    const parsed = parseCheckpointText(withExt);
    assert.equal(parsed.origin, ORIGIN);
    assert.equal(parsed.size, 0);
    assert.equal(hex(parsed.root), hex(ROOT));
    assert.deepEqual(parsed.extensions, ['ext one', 'ext two']);
  });

  test('signCheckpoint → openCheckpoint round trip', () => {
    const signed = signCheckpoint(logSigner, 1234567, ROOT);
    assert.ok(signed.startsWith(`${ORIGIN}\n1234567\n${ROOT.toString('base64')}\n\n\u2014 ${ORIGIN} `));
    const cp = openCheckpoint(signed, logKey);
    assert.equal(cp.origin, ORIGIN);
    assert.equal(cp.size, 1234567);
    assert.equal(hex(cp.root), hex(ROOT));
    assert.deepEqual(cp.extensions, []);
    assert.deepEqual(cp.cosigners, []);
  });

  test('witness cosignatures are counted against minCosigners', () => {
    const body = checkpointText({ origin: ORIGIN, size: 8, root: ROOT });
    const signed = note(body, logSigner.sign(body), witness1.cosign(body, 100), witness2.cosign(body, 200));
    const cp = openCheckpoint(signed, logKey, { witnesses: [w1Key, w2Key], minCosigners: 2 });
    assert.deepEqual(cp.cosigners, [
      { name: witness1.name, timestamp: 100 },
      { name: witness2.name, timestamp: 200 },
    ]);
    expectAttestryError(
      () => openCheckpoint(signed, logKey, { witnesses: [w1Key], minCosigners: 2 }),
      'E_SIGNATURE_INVALID',
      /has 1 valid witness cosignature\(s\), 2 required/,
    );
    expectAttestryError(
      () => openCheckpoint(signCheckpoint(logSigner, 8, ROOT), logKey, { witnesses: [w1Key, w2Key], minCosigners: 1 }),
      'E_SIGNATURE_INVALID',
      /has 0 valid witness cosignature\(s\), 1 required/,
    );
  });

  test('one witness cosigning twice counts once toward minCosigners', () => {
    // golang.org/x/mod/sumdb/note drops repeated signatures by one verifier; a
    // witness quorum must count distinct witnesses, not lines.
    const body = checkpointText({ origin: ORIGIN, size: 8, root: ROOT });
    const twice = note(body, logSigner.sign(body), witness1.cosign(body, 100), witness1.cosign(body, 100));
    assert.throws(
      () => openCheckpoint(twice, logKey, { witnesses: [w1Key, w2Key], minCosigners: 2 }),
      /1 valid witness cosignature\(s\), 2 required/,
    );
    const retimed = note(body, logSigner.sign(body), witness1.cosign(body, 100), witness1.cosign(body, 101));
    assert.throws(() => openCheckpoint(retimed, logKey, { witnesses: [w1Key, w2Key], minCosigners: 2 }), /2 required/);
  });

  test('the checkpoint origin must be the log key’s name', () => {
    const body = checkpointText({ origin: 'other.example/log', size: 8, root: ROOT });
    expectAttestryError(
      () => openCheckpoint(signedBody(body), logKey),
      'E_SIGNATURE_INVALID',
      /checkpoint origin "other\.example\/log" is not the log's "test\.example\/log"/,
    );
  });

  test('the log key must have signed it: a witness alone, or another log, is not enough', () => {
    const body = checkpointText({ origin: ORIGIN, size: 8, root: ROOT });
    expectAttestryError(
      () => openCheckpoint(note(body, witness1.cosign(body, 1)), logKey, { witnesses: [w1Key] }),
      'E_SIGNATURE_INVALID',
      new RegExp(
        `checkpoint is not signed by the log key test\\.example/log\\+${hex8(logKey.keyId)} \\(signed by witness\\.example/w1\\+${hex8(w1Key.keyId)}\\)`,
      ),
    );
    const otherLog = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
    expectAttestryError(
      () => openCheckpoint(signCheckpoint(otherLog, 8, ROOT), logKey),
      'E_SIGNATURE_INVALID',
      /no signature by a known key/,
    );
    const signed = signCheckpoint(logSigner, 8, ROOT);
    expectAttestryError(() => openCheckpoint(signed.replace('\n8\n', '\n9\n'), logKey), 'E_SIGNATURE_INVALID', /does not verify/);
  });

  const b64 = ROOT.toString('base64');
  // The root's last base64 digit changed so the unused low bits are not zero: decodes to the same bytes, is not canonical.
  const nonCanonical = `${b64.slice(0, -2)}h=`;
  const malformed: [string, string, RegExp][] = [
    ['a leading zero in the size', `${ORIGIN}\n08\n${b64}\n`, /checkpoint: tree size "08" is not a decimal without leading zeroes/],
    ['a signed size', `${ORIGIN}\n+8\n${b64}\n`, /tree size "\+8" is not a decimal/],
    ['an empty size', `${ORIGIN}\n\n${b64}\n`, /tree size "" is not a decimal/],
    ['a size beyond 2^53', `${ORIGIN}\n9007199254740992\n${b64}\n`, /tree size "9007199254740992" is not a decimal/],
    ['a root that is not base64', `${ORIGIN}\n8\nnot base64!\n`, /checkpoint: root hash is not 32 base64-encoded bytes/],
    ['a 31-byte root', `${ORIGIN}\n8\n${ROOT.subarray(0, 31).toString('base64')}\n`, /root hash is not 32 base64-encoded bytes/],
    ['a root without padding', `${ORIGIN}\n8\n${b64.replace(/=+$/, '')}\n`, /root hash is not 32 base64-encoded bytes/],
    ['a non-canonical base64 root', `${ORIGIN}\n8\n${nonCanonical}\n`, /root hash is not 32 base64-encoded bytes/],
    ['too few lines', `${ORIGIN}\n8\n`, /checkpoint: needs origin, tree size and root hash lines/],
    ['an empty origin', `\n8\n${b64}\n`, /checkpoint: empty origin/],
    ['an empty extension line', `${ORIGIN}\n8\n${b64}\n\next\n`, /checkpoint: empty extension line/],
  ];
  for (const [what, body, message] of malformed) {
    test(`a signed checkpoint with ${what} is rejected`, () => {
      assert.ok(Buffer.from(nonCanonical, 'base64').equals(ROOT));
      expectAttestryError(() => openCheckpoint(signedBody(body), logKey), 'E_SIGNATURE_INVALID', message);
      expectAttestryError(() => parseCheckpointText(body), 'E_SIGNATURE_INVALID', message);
    });
  }

  test('a checkpoint body without its final newline is rejected', () => {
    expectAttestryError(
      () => parseCheckpointText(`${ORIGIN}\n8\n${b64}`),
      'E_SIGNATURE_INVALID',
      /checkpoint: body must end with a newline/,
    );
    const signed = signCheckpoint(logSigner, 8, ROOT);
    expectAttestryError(() => openCheckpoint(signed.slice(0, -1), logKey), 'E_SIGNATURE_INVALID', /no final newline/);
  });

  test('control characters in a checkpoint are rejected', () => {
    for (const body of [`${ORIGIN}\t\n8\n${b64}\n`, `${ORIGIN}\n8\r\n${b64}\n`, `${ORIGIN}\n8\n${b64}\n\u001bext\n`]) {
      expectAttestryError(
        () => openCheckpoint(signedBody(body), logKey),
        'E_SIGNATURE_INVALID',
        /signed note: contains control characters/,
      );
    }
  });
});
