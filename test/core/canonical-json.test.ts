import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize, canonicalBytes } from '../../src/core/canonical-json.js';
import { arr, expectAttestryError, field, readVector, str } from './helpers.js';

const vectors = readVector('rfc8785.json');

/** IEEE 754 binary64 from its 16-hex-digit big-endian bit pattern, as RFC 8785 Appendix B writes it. */
function doubleFromHex(hex: string): number {
  assert.match(hex, /^[0-9a-f]{16}$/);
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('RFC 8785 known-answer vectors', () => {
  test('fixture cites RFC 8785', () => {
    assert.match(str(vectors, 'source'), /RFC 8785/);
    for (const part of ['main_example', 'sorting', 'appendix_b', 'number_literals']) {
      assert.match(str(field(vectors, part), 'source'), /RFC 8785/);
    }
  });

  test('§3.2.2/§3.2.3: the sample object canonicalises to the RFC output', () => {
    const example = field(vectors, 'main_example');
    const parsed: unknown = JSON.parse(str(example, 'input_json'));
    assert.equal(canonicalize(parsed), str(example, 'expected'));
  });

  test('§3.2.4: UTF-8 bytes of the sample match the RFC hex dump', () => {
    const example = field(vectors, 'main_example');
    const parsed: unknown = JSON.parse(str(example, 'input_json'));
    const bytes = canonicalBytes(parsed);
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(bytes.toString('hex'), str(example, 'expected_utf8_hex'));
    // The euro sign is the only non-ASCII character: three UTF-8 bytes.
    assert.equal(bytes.length, str(example, 'expected').length + 2);
  });

  test('§3.2.3: properties sort by UTF-16 code units (non-ASCII and surrogate-pair keys)', () => {
    const sorting = field(vectors, 'sorting');
    const parsed: unknown = JSON.parse(str(sorting, 'input_json'));
    const expectedOrder = arr(sorting, 'expected_value_order');
    const out = canonicalize(parsed);
    const reparsed: unknown = JSON.parse(out);
    assert.ok(reparsed !== null && typeof reparsed === 'object');
    // Object.values would reorder the integer-like key "1"; read the order off the text instead.
    const valueOrder = [...out.matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(valueOrder, expectedOrder);
    // Full text, so key escaping is checked too: "\r" is escaped, the others are written as is.
    assert.equal(
      out,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  describe('Appendix B: number serialisation samples', () => {
    for (const sample of arr(field(vectors, 'appendix_b'), 'samples')) {
      const hex = str(sample, 'ieee754');
      const expected = field(sample, 'expected');
      const label = `${hex} (${str(sample, 'comment') || 'sample'})`;
      if (expected === null) {
        test(`${label} is rejected (not representable in JSON)`, () => {
          const value = doubleFromHex(hex);
          assert.ok(!Number.isFinite(value));
          expectAttestryError(() => canonicalize(value), 'E_INVALID_INPUT', /not a JSON number/);
          expectAttestryError(() => canonicalize({ n: value }), 'E_INVALID_INPUT');
        });
      } else {
        assert.equal(typeof expected, 'string');
        test(`${label} -> ${String(expected)}`, () => {
          const value = doubleFromHex(hex);
          assert.equal(canonicalize(value), expected);
          assert.equal(canonicalize([value]), `[${String(expected)}]`);
          assert.equal(canonicalize({ n: value }), `{"n":${String(expected)}}`);
        });
      }
    }
  });

  describe('number literals (ECMA-262 Number::toString, normative per §3.2.2.3)', () => {
    for (const sample of arr(field(vectors, 'number_literals'), 'samples')) {
      const literal = str(sample, 'literal');
      const expected = str(sample, 'expected');
      test(`${literal} -> ${expected}`, () => {
        const value: unknown = JSON.parse(literal);
        assert.equal(typeof value, 'number');
        assert.equal(canonicalize(value), expected);
        // The output must read back as the same double (apart from the sign of zero).
        const back: unknown = JSON.parse(expected);
        assert.equal(back, value === 0 ? 0 : value);
      });
    }
  });
});

describe('§3.2.2.2 string serialisation', () => {
  test('U+0000..U+001F: short escapes for \\b \\t \\n \\f \\r, lowercase \\u00xx otherwise', () => {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let cp = 0; cp < 0x20; cp++) {
      const expected = short[cp] ?? `\\u${cp.toString(16).padStart(4, '0')}`;
      assert.equal(canonicalize(String.fromCharCode(cp)), `"${expected}"`, `U+${cp.toString(16)}`);
    }
  });

  test('quote and backslash are escaped; solidus, DEL, U+2028 and non-ASCII are written as is', () => {
    assert.equal(canonicalize('"'), '"\\""');
    assert.equal(canonicalize('\\'), '"\\\\"');
    assert.equal(canonicalize('/'), '"/"');
    assert.equal(canonicalize('\u007f'), '"\u007f"');
    assert.equal(canonicalize('\u2028\u2029'), '"\u2028\u2029"');
    assert.equal(canonicalize('é€\ud83d\ude00'), '"é€\ud83d\ude00"');
  });

  test('object keys are escaped the same way as values', () => {
    assert.equal(canonicalize({ 'a\nb': 1, 'q"': 2 }), '{"a\\nb":1,"q\\"":2}');
  });
});

describe('structure', () => {
  test('no whitespace, literals, nesting, array order kept', () => {
    assert.equal(canonicalize(null), 'null');
    assert.equal(canonicalize(true), 'true');
    assert.equal(canonicalize(false), 'false');
    assert.equal(canonicalize([]), '[]');
    assert.equal(canonicalize({}), '{}');
    assert.equal(canonicalize({ b: [3, 1, 2], a: { d: null, c: 'x' } }), '{"a":{"c":"x","d":null},"b":[3,1,2]}');
  });

  test('objects inside arrays are sorted too (§3.2.3 "sorted recursively")', () => {
    assert.equal(canonicalize([{ z: 1, a: 2 }, [{ y: 0, b: 1 }]]), '[{"a":2,"z":1},[{"b":1,"y":0}]]');
  });

  test('code-unit order, not numeric order, for integer-like keys', () => {
    // JS enumerates integer-like keys numerically (9 before 10); JCS wants "10" < "9".
    assert.equal(canonicalize({ 9: 'a', 10: 'b', x: 'c', '': 'd' }), '{"":"d","10":"b","9":"a","x":"c"}');
  });

  test('code-unit order differs from code-point order for astral vs. BMP-high keys', () => {
    // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FF5A; by code point it would come after.
    assert.equal(canonicalize({ '\uff5a': 1, '\ud83d\ude00': 2 }), '{"\ud83d\ude00":2,"\uff5a":1}');
  });

  test('a "__proto__" own property (as JSON.parse creates) is kept', () => {
    const parsed: unknown = JSON.parse('{"b":2,"__proto__":{"x":1}}');
    assert.equal(canonicalize(parsed), '{"__proto__":{"x":1},"b":2}');
  });

  test('null-prototype objects are accepted', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o['b'] = 1;
    o['a'] = 2;
    assert.equal(canonicalize(o), '{"a":2,"b":1}');
  });

  test('undefined members are omitted and undefined array items become null (as JSON.stringify does)', () => {
    assert.equal(canonicalize({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(canonicalize([undefined, 1]), '[null,1]');
  });

  test('sparse array holes are written as null, keeping the output valid JSON', () => {
    // eslint-disable-next-line no-sparse-arrays
    const leadingHole: unknown[] = [, 1];
    assert.equal(canonicalize(leadingHole), '[null,1]');
    assert.equal(canonicalize(new Array<unknown>(2)), '[null,null]');
    // eslint-disable-next-line no-sparse-arrays
    const middleHole: unknown[] = [1, , 3];
    assert.equal(canonicalize(middleHole), '[1,null,3]');
  });

  test('canonicalBytes is the UTF-8 encoding of canonicalize', () => {
    const value = { k: 'ü€😀' };
    assert.deepEqual(canonicalBytes(value), Buffer.from(canonicalize(value), 'utf8'));
    assert.equal(canonicalBytes(value).length, '{"k":""}'.length + 2 + 3 + 4);
  });
});

describe('rejections', () => {
  test('NaN, Infinity and -Infinity are rejected, naming the path', () => {
    expectAttestryError(() => canonicalize(Number.NaN), 'E_INVALID_INPUT', /NaN/);
    expectAttestryError(() => canonicalize(Number.POSITIVE_INFINITY), 'E_INVALID_INPUT', /Infinity/);
    expectAttestryError(() => canonicalize({ a: [1, Number.NEGATIVE_INFINITY] }), 'E_INVALID_INPUT', /\$\.a\[1\]/, /-Infinity/);
  });

  test('lone surrogates are rejected in values and keys (§3.2.2.2 note)', () => {
    for (const s of ['\ud800', '\udc00', 'a\ud83d', '\ude00\ud83d', 'x\udeadx', '\ud83d\ud83d\ude00']) {
      expectAttestryError(() => canonicalize(s), 'E_INVALID_INPUT', /lone surrogate/);
      expectAttestryError(() => canonicalize({ k: s }), 'E_INVALID_INPUT', /lone surrogate/);
      expectAttestryError(() => canonicalize({ [s]: 1 }), 'E_INVALID_INPUT', /lone surrogate/);
    }
    // A well-formed pair is fine.
    assert.equal(canonicalize('\ud83d\ude00'), '"\ud83d\ude00"');
  });

  test('non-plain objects are rejected (Date, Map, Set, RegExp, Uint8Array, class instances)', () => {
    class Point {
      x = 1;
    }
    const values: unknown[] = [new Date(0), new Map([['a', 1]]), new Set([1]), /x/, new Uint8Array([1]), new Point(), Buffer.from('a')];
    for (const v of values) {
      expectAttestryError(() => canonicalize(v), 'E_INVALID_INPUT', /plain objects/);
      expectAttestryError(() => canonicalize({ nested: [v] }), 'E_INVALID_INPUT', /\$\.nested\[0\]/);
    }
  });

  test('values JSON cannot hold are rejected: bigint, function, symbol, top-level undefined', () => {
    expectAttestryError(() => canonicalize(1n), 'E_INVALID_INPUT', /bigint/);
    expectAttestryError(() => canonicalize({ f: () => 1 }), 'E_INVALID_INPUT', /function/);
    expectAttestryError(() => canonicalize([Symbol('s')]), 'E_INVALID_INPUT', /symbol/);
    expectAttestryError(() => canonicalize(undefined), 'E_INVALID_INPUT', /undefined/);
  });
});

/** Independent reference serialiser: explicit code-unit comparator, JSON.stringify for primitives. */
function referenceCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    entries.sort(([a], [b]) => {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const d = a.charCodeAt(i) - b.charCodeAt(i);
        if (d !== 0) return d;
      }
      return a.length - b.length;
    });
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonical(v)}`).join(',')}}`;
  }
  const text = JSON.stringify(value);
  assert.equal(typeof text, 'string');
  return text;
}

/** Rebuilds every object with its keys inserted in a seed-dependent shuffled order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorderKeys(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v], i): [string, unknown] => [k, reorderKeys(v, seed * 31 + i)]);
  let state = seed >>> 0 || 1;
  for (let i = entries.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    const tmp = entries[i]!;
    entries[i] = entries[j]!;
    entries[j] = tmp;
  }
  // Object.fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(entries);
}

describe('properties (fast-check)', () => {
  // jsonValue() alone only makes ASCII strings; 'binary' adds every code point, but never a
  // lone surrogate, so canonicalize must not throw on any generated value.
  const jsonArbitraries = [
    ['ascii', fc.jsonValue()],
    ['full unicode', fc.jsonValue({ stringUnit: 'binary' })],
  ] as const;

  for (const [name, arbitrary] of jsonArbitraries) {
    test(`idempotent through JSON.parse (${name})`, () => {
      fc.assert(
        fc.property(arbitrary, (x) => {
          const once = canonicalize(x);
          assert.equal(canonicalize(JSON.parse(once) as unknown), once);
        }),
        { numRuns: 300 },
      );
    });

    test(`independent of key insertion order (${name})`, () => {
      fc.assert(
        fc.property(arbitrary, fc.integer(), (x, seed) => {
          assert.equal(canonicalize(reorderKeys(x, seed)), canonicalize(x));
        }),
        { numRuns: 300 },
      );
    });

    test(`matches an independent reference serialiser (${name})`, () => {
      fc.assert(
        fc.property(arbitrary, (x) => {
          assert.equal(canonicalize(x), referenceCanonical(x));
        }),
        { numRuns: 300 },
      );
    });
  }

  test('every finite double serialises as JSON.stringify does and reads back exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const out = canonicalize(d);
        assert.equal(out, JSON.stringify(d));
        assert.equal(Number(out), d === 0 ? 0 : d);
      }),
      { numRuns: 2000 },
    );
  });

  test('strings with any lone surrogate are always rejected', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string(), (a, cu, b) => {
        // Keep the surrogate unpaired whatever its neighbours are.
        const lone = cu <= 0xdbff ? `${String.fromCharCode(cu)}x` : `x${String.fromCharCode(cu)}`;
        expectAttestryError(() => canonicalize(`${a}${lone}${b}`), 'E_INVALID_INPUT');
      }),
      { numRuns: 300 },
    );
  });
});
