import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_OSV_BYTES, parseOsvAdvisory, readOsvText } from '../../src/signals/reach-osv.js';
import { expectAttestryError } from '../core/helpers.js';

// Shaped as https://vuln.go.dev/ID/GO-2022-1059.json (OSV 1.3.1, Go vulndb), trimmed of prose.
const GO_ADVISORY = {
  schema_version: '1.3.1',
  id: 'GO-2022-1059',
  modified: '2024-05-20T16:03:47Z',
  published: '2022-10-11T18:29:27Z',
  aliases: ['CVE-2022-32149', 'GHSA-69ch-w2m2-3vjp'],
  summary: 'Denial of service via crafted Accept-Language header in golang.org/x/text/language',
  details:
    'An attacker may cause a denial of service by crafting an Accept-Language header which ParseAcceptLanguage will take significant time to parse.',
  affected: [
    {
      package: { name: 'golang.org/x/text', ecosystem: 'Go' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.8' }] }],
      ecosystem_specific: {
        imports: [{ path: 'golang.org/x/text/language', symbols: ['MatchStrings', 'MustParse', 'Parse', 'ParseAcceptLanguage'] }],
      },
    },
  ],
  references: [{ type: 'REPORT', url: 'https://go.dev/issue/56152' }],
  credits: [{ name: 'Adam Korczynski (ADA Logics)' }],
  database_specific: { url: 'https://pkg.go.dev/vuln/GO-2022-1059', review_status: 'REVIEWED' },
};

// Shaped as RustSec's OSV export of RUSTSEC-2021-0003 (smallvec insert_many).
const RUST_ADVISORY = {
  id: 'RUSTSEC-2021-0003',
  modified: '2023-06-13T13:10:24Z',
  published: '2021-01-08T12:00:00Z',
  aliases: ['CVE-2021-25900', 'GHSA-43w2-9j62-hq99'],
  summary: 'Buffer overflow in SmallVec::insert_many',
  affected: [
    {
      package: { ecosystem: 'crates.io', name: 'smallvec', purl: 'pkg:cargo/smallvec' },
      ecosystem_specific: { affects: { arch: [], os: [], functions: ['smallvec::SmallVec::insert_many'] } },
      database_specific: { categories: ['memory-corruption'], cvss: null, informational: null },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0.6.3' }, { fixed: '0.6.14' }, { introduced: '1.0.0' }, { fixed: '1.6.1' }] }],
    },
  ],
  references: [{ type: 'PACKAGE', url: 'https://crates.io/crates/smallvec' }],
};

test('Go vulndb: imports[].symbols become (path, name) targets; id and aliases kept', () => {
  assert.deepEqual(parseOsvAdvisory(GO_ADVISORY, 1000), {
    id: 'GO-2022-1059',
    aliases: ['CVE-2022-32149', 'GHSA-69ch-w2m2-3vjp'],
    targets: [
      { path: 'golang.org/x/text/language', name: 'MatchStrings' },
      { path: 'golang.org/x/text/language', name: 'MustParse' },
      { path: 'golang.org/x/text/language', name: 'Parse' },
      { path: 'golang.org/x/text/language', name: 'ParseAcceptLanguage' },
    ],
    // Go vulndb entries carry no package.purl: nothing to compare, nothing to list.
    packagePurls: [],
  });
});

test('RustSec: affects.functions are full paths; the vulnerable package is listed', () => {
  const t = parseOsvAdvisory(RUST_ADVISORY, 1000);
  assert.deepEqual(t.targets, [{ name: 'smallvec::SmallVec::insert_many' }]);
  assert.deepEqual(t.packagePurls, ['pkg:cargo/smallvec']);
});

test('every symbol field is read, duplicates merged, order of appearance kept', () => {
  const advisory = {
    id: 'OSV-TEST-1',
    affected: [
      { package: { purl: 'pkg:npm/lodash@4.17.20' }, ecosystem_specific: { affected_functions: ['lodash.template', 'lodash.merge'] } },
      // Another package than lodash: a dependency's advisory entry is read like any other.
      { package: { purl: 'pkg:npm/other' }, ecosystem_specific: { symbols: ['other.fn'] } },
      {
        database_specific: { affected_functions: ['lodash.merge', 'lodash.zipObjectDeep'] },
        ecosystem_specific: { symbols: ['template'] },
      },
      { ecosystem_specific: { imports: [{ path: 'whole/package' }] } },
    ],
  };
  const t = parseOsvAdvisory(advisory, 10);
  assert.deepEqual(t.targets, [
    { name: 'lodash.template' },
    { name: 'lodash.merge' },
    { name: 'other.fn' },
    { name: 'template' },
    { name: 'lodash.zipObjectDeep' },
  ]);
  assert.deepEqual(t.packagePurls, ['pkg:npm/lodash@4.17.20', 'pkg:npm/other']);
  assert.deepEqual(t.aliases, []);
});

test('a bad field is E_INVALID_INPUT naming its path', () => {
  const withAffected = (affected: unknown[]) => ({ id: 'X-1', affected });
  const ok = { ecosystem_specific: { imports: [{ path: 'p', symbols: ['s'] }] } };
  const cases: [unknown, RegExp][] = [
    [
      withAffected([ok, ok, { ecosystem_specific: { imports: [{ path: 'p', symbols: 'Parse' }] } }]),
      /affected\[2\]\.ecosystem_specific\.imports\[0\]\.symbols: expected an array/,
    ],
    [
      withAffected([{ ecosystem_specific: { imports: [{ path: 'p', symbols: ['a', ''] }] } }]),
      /affected\[0\]\.ecosystem_specific\.imports\[0\]\.symbols\[1\]: expected a non-empty string/,
    ],
    [withAffected([{ ecosystem_specific: { imports: [{ symbols: ['a'] }] } }]), /affected\[0\]\.ecosystem_specific\.imports\[0\]\.path/],
    [withAffected([{ ecosystem_specific: { imports: ['p'] } }]), /affected\[0\]\.ecosystem_specific\.imports\[0\]: expected an object/],
    [withAffected([{ ecosystem_specific: { affects: { functions: [7] } } }]), /affected\[0\]\.ecosystem_specific\.affects\.functions\[0\]/],
    [withAffected([{ ecosystem_specific: { affects: [] } }]), /affected\[0\]\.ecosystem_specific\.affects: expected an object/],
    [
      withAffected([{ database_specific: { affected_functions: {} } }]),
      /affected\[0\]\.database_specific\.affected_functions: expected an array/,
    ],
    [withAffected([{ ecosystem_specific: 'go' }]), /affected\[0\]\.ecosystem_specific: expected an object/],
    [withAffected([{ package: { purl: 'not a purl' } }]), /affected\[0\]\.package\.purl/],
    [withAffected([null]), /affected\[0\]: expected an object/],
    [{ id: 'X-1', affected: {} }, /affected: expected an array/],
    [{ affected: [] }, /OSV advisory: id: expected a non-empty string/],
    [{ id: 'X-1', aliases: ['CVE-1', 2] }, /aliases\[1\]/],
    [[GO_ADVISORY], /\(root\): expected a JSON object/],
    [withAffected([{ ecosystem_specific: { symbols: ['x'.repeat(1025)] } }]), /symbols\[0\]: 1025 characters is longer than 1024/],
  ];
  for (const [input, message] of cases) {
    const e = expectAttestryError(() => parseOsvAdvisory(input, 100), 'E_INVALID_INPUT', message);
    assert.equal(typeof e.details?.['field'], 'string');
  }
});

test('limits: MaxSymbolsPerQuery, depth 32, 1 MiB', () => {
  const symbols = Array.from({ length: 5 }, (_, i) => `fn${i}`);
  const advisory = { id: 'X-1', affected: [{ ecosystem_specific: { symbols: [...symbols, ...symbols] } }] };
  assert.equal(parseOsvAdvisory(advisory, 5).targets.length, 5, 'duplicates do not count against the limit');
  expectAttestryError(
    () => parseOsvAdvisory(advisory, 4),
    'E_INVALID_INPUT',
    /more than 4 symbols \(Signals\.Reachability\.MaxSymbolsPerQuery\)/,
  );

  let deep: unknown = 'x';
  for (let i = 0; i < 31; i++) deep = [deep];
  assert.equal(parseOsvAdvisory({ id: 'X-1', extra: deep }, 1).targets.length, 0, '32 levels with the root object');
  expectAttestryError(() => parseOsvAdvisory({ id: 'X-1', extra: [deep] }, 1), 'E_INVALID_INPUT', /deeper than 32/);

  const big = { id: 'X-1', details: 'x'.repeat(MAX_OSV_BYTES) };
  expectAttestryError(() => parseOsvAdvisory(big, 1), 'E_INVALID_INPUT', /larger than 1048576/);
  expectAttestryError(() => readOsvText(JSON.stringify(big)), 'E_INVALID_INPUT');
  expectAttestryError(() => readOsvText(`{"id":"X","a":${'['.repeat(40)}${']'.repeat(40)}}`), 'E_INVALID_INPUT', /deep/);
  assert.deepEqual(parseOsvAdvisory(readOsvText(JSON.stringify(GO_ADVISORY)), 10).id, 'GO-2022-1059');
});
