import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseUlid, systemClock, ulidSource } from '../../src/core/ids.js';
import { expectAttestryError } from './helpers.js';

// Example ULID from the ULID spec (github.com/ulid/spec).
const SPEC_EXAMPLE = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('parseUlid', () => {
  test('accepts a valid ULID unchanged', () => {
    assert.equal(parseUlid(SPEC_EXAMPLE), SPEC_EXAMPLE);
  });

  test('normalises lower case to upper case', () => {
    assert.equal(parseUlid(SPEC_EXAMPLE.toLowerCase()), SPEC_EXAMPLE);
    assert.equal(parseUlid('01arZ3ndEKTSV4RRFFQ69G5FAV'), SPEC_EXAMPLE);
  });

  test('accepts the smallest and largest ULIDs', () => {
    assert.equal(parseUlid('0'.repeat(26)), '0'.repeat(26));
    // 7ZZZ... is the maximum (2^48 - 1 ms timestamp, all randomness bits set).
    assert.equal(parseUlid(`7${'Z'.repeat(25)}`), `7${'Z'.repeat(25)}`);
  });

  test('rejects a first character above 7 (timestamp overflow)', () => {
    for (const first of ['8', '9', 'A', 'Z']) {
      expectAttestryError(() => parseUlid(`${first}${'0'.repeat(25)}`), 'E_INVALID_INPUT', /not a valid ULID/);
    }
  });

  test('rejects letters outside Crockford base32 (I, L, O, U) in either case', () => {
    for (const c of ['I', 'L', 'O', 'U', 'i', 'l', 'o', 'u']) {
      const value = `01ARZ3NDEKTSV4RRFFQ69G5FA${c}`;
      expectAttestryError(() => parseUlid(value), 'E_INVALID_INPUT', /not a valid ULID/);
    }
    // Every Crockford symbol is fine in the random part.
    for (const c of CROCKFORD) assert.equal(parseUlid(`01ARZ3NDEKTSV4RRFFQ69G5FA${c}`), `01ARZ3NDEKTSV4RRFFQ69G5FA${c}`);
  });

  test('rejects wrong lengths, padding and punctuation', () => {
    for (const value of [
      SPEC_EXAMPLE.slice(1),
      `${SPEC_EXAMPLE}0`,
      ` ${SPEC_EXAMPLE}`,
      `${SPEC_EXAMPLE}\n`,
      '01ARZ3NDEK-SV4RRFFQ69G5FAV',
      '',
    ]) {
      expectAttestryError(() => parseUlid(value), 'E_INVALID_INPUT', /not a valid ULID/);
    }
  });

  test('rejects non-strings, naming the field', () => {
    expectAttestryError(() => parseUlid(42, 'run_id'), 'E_INVALID_INPUT', /^run_id: expected a ULID string/);
    expectAttestryError(() => parseUlid(null), 'E_INVALID_INPUT', /^id: /);
    expectAttestryError(() => parseUlid('nope', 'entry.id'), 'E_INVALID_INPUT', /^entry\.id: "nope" is not a valid ULID/);
  });

  test('limits how much of the bad value is echoed', () => {
    const long = 'Q'.repeat(300);
    const err = expectAttestryError(() => parseUlid(long), 'E_INVALID_INPUT');
    assert.ok(!err.message.includes(long));
    assert.ok(err.message.includes('Q'.repeat(40)));
  });
});

describe('ulidSource', () => {
  test('produces valid, strictly increasing ids within one millisecond burst', () => {
    const source = ulidSource();
    const ids = Array.from({ length: 500 }, () => source.next());
    for (const id of ids) assert.equal(parseUlid(id), id);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} !< ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('the time part encodes the current time', () => {
    const before = Date.now();
    const id = ulidSource().next();
    const after = Date.now();
    let ms = 0;
    for (const c of id.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(c);
    assert.ok(ms >= before && ms <= after, `${ms} not in [${before}, ${after}]`);
  });
});

describe('systemClock', () => {
  test('returns the current wall-clock time', () => {
    const before = Date.now();
    const now = systemClock.now();
    const after = Date.now();
    assert.ok(now instanceof Date);
    assert.ok(now.getTime() >= before && now.getTime() <= after);
  });
});
