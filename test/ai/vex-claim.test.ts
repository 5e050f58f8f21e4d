/**
 * vexClaimOf (docs/ai.md "VEX drafts"): the claim of a VEX draft from the
 * model's output and the finding. The model's own Status:/Justification:
 * lines win over the finding's proposal; with neither the claim asserts
 * nothing (under_investigation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../src/ai/types.js';
import { MAX_VEX_TEXT, vexClaimOf } from '../../src/ai/vex-claim.js';

const FINDING: Finding = {
  id: 'finding-1',
  cve: 'CVE-2026-0001',
  purl: 'pkg:npm/left-pad@1.3.0',
  description: 'prototype pollution in leftPad',
};
const WITH_SYMBOL: Finding = { ...FINDING, symbol: 'left-pad:leftPad' };

test('the claim names the finding: vulnerability, product and symbol', () => {
  const claim = vexClaimOf(WITH_SYMBOL, 'Status: affected\nUpgrade to 1.3.1.');
  assert.equal(claim.vulnerability, 'CVE-2026-0001');
  assert.equal(claim.productPurl, 'pkg:npm/left-pad@1.3.0');
  assert.equal(claim.symbol, 'left-pad:leftPad');
  assert.equal(vexClaimOf(FINDING, 'x').symbol, null);
});

test('Status and Justification lines are read in several spellings', () => {
  const cases: [string, string, string | null][] = [
    ['Status: not_affected\nJustification: vulnerable_code_not_present', 'not_affected', 'vulnerable_code_not_present'],
    ['**Status:** not_affected\n**Justification:** component_not_present', 'not_affected', 'component_not_present'],
    ['**status** - affected', 'affected', null],
    ['- STATUS: Fixed', 'fixed', null],
    ['## Status = under_investigation', 'under_investigation', null],
    ['> status: `not_affected`\n> justification: "inline_mitigations_already_exist"', 'not_affected', 'inline_mitigations_already_exist'],
    [
      'Analysis first.\n\n__Status__: NOT_AFFECTED\nJustification - Vulnerable_Code_Not_In_Execute_Path',
      'not_affected',
      'vulnerable_code_not_in_execute_path',
    ],
  ];
  for (const [output, status, justification] of cases) {
    const claim = vexClaimOf(FINDING, output);
    assert.equal(claim.status, status, output);
    assert.equal(claim.justification, justification, output);
    assert.equal(claim.source, 'output', output);
  }
});

test('a value that is not an OpenVEX status is not read as one', () => {
  const claim = vexClaimOf(FINDING, 'Status: not affected (probably)\nThe code is unused.');
  assert.equal(claim.status, 'under_investigation');
  assert.equal(claim.source, 'default');
});

test("the output's status wins over the finding's proposal", () => {
  const finding: Finding = { ...FINDING, vex: { status: 'not_affected', justification: 'component_not_present' } };
  const claim = vexClaimOf(finding, 'Status: affected\nThe vulnerable function is called from main.');
  assert.equal(claim.status, 'affected');
  assert.equal(claim.justification, null, "the finding's justification does not leak into the output's claim");
  assert.equal(claim.source, 'output');
});

test("the finding's proposal stands when the output says nothing", () => {
  const finding: Finding = { ...FINDING, vex: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' } };
  const claim = vexClaimOf(finding, 'No call path reaches leftPad.');
  assert.equal(claim.status, 'not_affected');
  assert.equal(claim.justification, 'vulnerable_code_not_in_execute_path');
  assert.equal(claim.source, 'finding');
  assert.equal(claim.text, 'No call path reaches leftPad.');
});

test('with neither, the claim is under_investigation', () => {
  const claim = vexClaimOf(FINDING, 'I cannot tell from the evidence.');
  assert.equal(claim.status, 'under_investigation');
  assert.equal(claim.justification, null);
  assert.equal(claim.source, 'default');
});

test('a justification is dropped unless the status is not_affected', () => {
  const stated = vexClaimOf(FINDING, 'Status: affected\nJustification: vulnerable_code_not_present');
  assert.equal(stated.status, 'affected');
  assert.equal(stated.justification, null);
  const proposed = vexClaimOf({ ...FINDING, vex: { status: 'fixed', justification: 'component_not_present' } }, 'Fixed in 1.3.1.');
  assert.equal(proposed.status, 'fixed');
  assert.equal(proposed.justification, null);
  assert.equal(proposed.source, 'finding');
  // A justification line with no status line states no status: the default stands, without it.
  const alone = vexClaimOf(FINDING, 'Justification: component_not_present');
  assert.equal(alone.status, 'under_investigation');
  assert.equal(alone.justification, null);
});

test('field lines are removed from the text and whitespace is collapsed', () => {
  const claim = vexClaimOf(
    FINDING,
    '**Status:** not_affected\n**Justification:** vulnerable_code_not_present\n\nleftPad is  never\n  called.\n',
  );
  assert.equal(claim.text, 'leftPad is never called.');
  assert.equal(vexClaimOf(FINDING, 'Status: fixed\n').text, '');
});

test('long text is truncated to MAX_VEX_TEXT characters, ending in an ellipsis', () => {
  const claim = vexClaimOf(FINDING, `Status: affected\n${'a'.repeat(MAX_VEX_TEXT * 2)}`);
  assert.equal(claim.text.length, MAX_VEX_TEXT);
  assert.ok(claim.text.endsWith('…'));
  assert.equal(claim.text.slice(0, -1), 'a'.repeat(MAX_VEX_TEXT - 1));
  const exact = vexClaimOf(FINDING, 'b'.repeat(MAX_VEX_TEXT));
  assert.equal(exact.text, 'b'.repeat(MAX_VEX_TEXT), 'text of exactly the limit is kept whole');
});
