/** The hashing progress bar: one unit system (binary, as formatBytes/formatRate) and an ETA. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatRate } from '../../src/cli/output.js';
import { formatEta, progressLine } from '../../src/cli/progress.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('progress formatting', () => {
  test('sizes and rates are both binary units', () => {
    assert.equal(formatBytes(512 * MiB), '512.0 MiB');
    assert.equal(formatRate(512 * MiB, 1000), '512.0 MiB/s');
    assert.equal(formatRate(3 * GiB, 2000), '1.50 GiB/s');
    assert.equal(formatRate(1, 0), '-');
  });

  test('ETA text', () => {
    assert.equal(formatEta(0), '0s');
    assert.equal(formatEta(6.2), '7s');
    assert.equal(formatEta(65), '1m05s');
    assert.equal(formatEta(3600 + 180), '1h03m');
    assert.equal(formatEta(Number.POSITIVE_INFINITY), '--');
    assert.equal(formatEta(Number.NaN), '--');
  });

  test('a line mid-way: bar, percent, done/total and rate in MiB, ETA from the average rate', () => {
    // 256 MiB of 1 GiB in 2 s → 128 MiB/s → 768 MiB left → 6 s.
    const line = progressLine('hashing', 256 * MiB, GiB, 2000, 20);
    assert.equal(line, `hashing [#####...............]  25% 256.0 MiB/1.0 GiB 128.0 MiB/s ETA 6s`);
    assert.doesNotMatch(line, /\bMB\b|MB\/s|GB\/s/, 'no decimal units mixed in');
  });

  test('before any bytes: no rate, unknown ETA; at the end: full bar, ETA 0s', () => {
    assert.equal(progressLine('hashing', 0, 10 * MiB, 0, 10), 'hashing [..........]   0% 0 B/10.0 MiB ETA --');
    assert.equal(progressLine('hashing', 10 * MiB, 10 * MiB, 500, 10), 'hashing [##########] 100% 10.0 MiB/10.0 MiB 20.0 MiB/s ETA 0s');
  });

  test('an empty model is complete at once, and done beyond total is clamped', () => {
    assert.match(progressLine('hashing', 0, 0, 10, 4), /^hashing \[####\] 100% 0 B\/0 B ETA --$/);
    assert.match(progressLine('hashing', 20, 10, 1000, 4), /\[####\] 100%/);
  });
});
