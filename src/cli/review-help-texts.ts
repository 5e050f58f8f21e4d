/**
 * Examples and exit codes of the review and VEX commands (issue 17), merged
 * into COMMAND_HELP (help-texts.ts) and tested row by row like the rest.
 */
import type { HelpText } from './help-texts.js';
import type { ExitRow } from './help.js';

const ID = 'ai-artifact-20261202-01J…';
const D = '--data-dir ./data';
const S = 'ATTESTRY_TOKEN=… attestry';

/** Exit 1 of every review and VEX command, local or remote. */
const EXIT_REVIEW: ExitRow = [
  1,
  "usage error, no such draft (or another tenant's), a role that may not (403), a decision the rules refuse (409: already decided, rejected, not approved, flagged), or (with --server) service unreachable or token rejected",
];

export const REVIEW_HELP: Readonly<Record<string, HelpText>> = {
  'review list': {
    examples: [
      `attestry review list ${D}`,
      `attestry review list --type vex_draft --state all --min-age 3600 ${D} --json`,
      `${S} review list --server http://127.0.0.1:8080`,
    ],
    exits: [[0, 'listed (none is not an error)'], EXIT_REVIEW],
  },
  'review show': {
    examples: [`attestry review show ${ID} ${D}`, `${S} review show ${ID} --server http://127.0.0.1:8080 --json`],
    exits: [[0, 'the draft, its claim and its signed transitions are printed'], EXIT_REVIEW],
  },
  'review approve': {
    examples: [
      `attestry review approve ${ID} --comment "checked the call graph" ${D}`,
      `attestry review approve ${ID} --reviewer alice ${D}   # a second local reviewer: --reviewer bob`,
      `${S} review approve ${ID} --server http://127.0.0.1:8080 --json`,
    ],
    exits: [
      [0, 'approved: a signed, logged transition; human-approved once enough distinct reviewers approved'],
      EXIT_REVIEW,
      [2, "the draft's attestation does not verify (or it was generated unsigned): the failed check is named"],
    ],
  },
  'review reject': {
    examples: [`attestry review reject ${ID} --reason "the symbol is called from the CLI entry point" ${D}`],
    exits: [[0, 'rejected, for ever: a signed, logged transition'], EXIT_REVIEW],
  },
  'review ground-truth': {
    examples: [
      `attestry review ground-truth ${ID} --callgraph 01JEXAMPLEGRAPH00000000001 ${D}`,
      `${S} review ground-truth ${ID} --callgraph 01JEXAMPLEGRAPH00000000001 --symbol "org.lib.Parser.parse(java.lang.String)" --server http://127.0.0.1:8080 --json`,
    ],
    exits: [[0, 'checked and recorded: agrees (ai-verified), disagrees (flagged) or inconclusive'], EXIT_REVIEW],
  },
  'review override': {
    examples: [`attestry review override ${ID} --reason "the verdict's callgraph predates the fix" --reviewer alice ${D}`],
    exits: [[0, 'the ground-truth flag is cleared: a signed, logged transition'], EXIT_REVIEW],
  },
  'vex publish': {
    examples: [
      `attestry vex publish ${ID} --output vex.openvex.json --attestation vex.dsse.json ${D}`,
      `attestry attest verify --chain vex.dsse.json ${D}`,
      `${S} vex publish ${ID} --server http://127.0.0.1:8080 --json`,
    ],
    exits: [[0, 'published (or already published: the same publication), and the files written'], EXIT_REVIEW],
  },
  'vex get': {
    examples: [
      `attestry vex get --purl pkg:npm/lodash ${D}`,
      `attestry vex get ${ID} --output vex.openvex.json ${D}`,
      `${S} vex get --purl pkg:npm/lodash@4.17.20 --server http://127.0.0.1:8080 --json`,
    ],
    exits: [[0, 'the statements are listed (none is not an error), or the document printed or written'], EXIT_REVIEW],
  },
  'vex export': {
    examples: [`attestry vex export ${ID} --output vex.sigstore.json ${D}`, `attestry attest verify --chain vex.sigstore.json ${D}`],
    exits: [[0, 'the Sigstore bundle was written'], EXIT_REVIEW],
  },
};
