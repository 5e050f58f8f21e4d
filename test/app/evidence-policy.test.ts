/**
 * The evidence policy: which switch refuses a write of a kind, or keeps its
 * records out of the log, for every combination of the locker-wide, log-wide
 * and Signals switches; kinds declared in a registry name their own switches.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evidencePolicy } from '../../src/app/evidence-policy.js';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import { expectAttestryError } from '../core/helpers.js';

const SIGNALS_KINDS = ['callgraphs', 'manifests', 'runtime-facts', 'attestations', 'reachability-verdicts'];
const OTHER_KINDS = ['model-signatures', 'message-signatures', 'ai-attestations'];

function config(env: Record<string, string>): ResolvedConfig {
  return loadConfig({ env, dataDir: '/nonexistent/attestry-policy' });
}

const bools = [true, false] as const;

describe('every combination of the four switches', () => {
  for (const evidenceWrite of bools)
    for (const signalsWrite of bools)
      for (const logEnabled of bools)
        for (const rekor of bools) {
          const name = `Evidence.WriteEnabled=${evidenceWrite} Signals.CAS.WriteEnabled=${signalsWrite} Log.Enabled=${logEnabled} RekorEnabled=${rekor}`;
          test(name, () => {
            const policy = evidencePolicy(
              config({
                ATTESTRY__Evidence__WriteEnabled: String(evidenceWrite),
                ATTESTRY__Signals__CAS__WriteEnabled: String(signalsWrite),
                ATTESTRY__Log__Enabled: String(logEnabled),
                ATTESTRY__Signals__Provenance__RekorEnabled: String(rekor),
              }),
            );
            for (const kind of [...SIGNALS_KINDS, ...OTHER_KINDS]) {
              const signals = SIGNALS_KINDS.includes(kind);
              // The locker-wide switch wins over the kind's own; the kind's own governs only its kinds.
              const write = !evidenceWrite
                ? 'writes are disabled (Evidence.WriteEnabled: false)'
                : signals && !signalsWrite
                  ? 'writes are disabled (Signals.CAS.WriteEnabled: false)'
                  : undefined;
              assert.equal(policy.writeRefusal(kind), write, `${kind} write`);
              const log = !logEnabled
                ? 'transparency logging is disabled (Log.Enabled: false)'
                : signals && !rekor
                  ? 'transparency logging is disabled (Signals.Provenance.RekorEnabled: false)'
                  : undefined;
              assert.equal(policy.logSkipReason(kind), log, `${kind} log`);
            }
            assert.equal(policy.logOff, logEnabled ? undefined : 'transparency logging is disabled (Log.Enabled: false)');
            assert.deepEqual(policy.writesOffBy, signalsWrite ? [] : [{ key: 'Signals.CAS.WriteEnabled', kinds: SIGNALS_KINDS }]);
            assert.deepEqual(policy.loggingOffBy, rekor ? [] : [{ key: 'Signals.Provenance.RekorEnabled', kinds: SIGNALS_KINDS }]);
          });
        }
});

const declared = (name: string, switches?: KindDeclaration['switches']): KindDeclaration => ({
  name,
  blobs: { primary: `${name}/{tenant}/{id}.json` },
  access: { admin: 'rw' },
  retention: { keep: 'forever' },
  ...(switches === undefined ? {} : { switches }),
  description: `test kind ${name}`,
});

describe('kinds declared in a registry', () => {
  test('a declared kind is governed by the switches it names, and only by those', () => {
    const kinds = new KindRegistry([
      declared('test-governed', { writeEnabled: 'Signals.CAS.WriteEnabled', logged: 'Signals.Provenance.RekorEnabled' }),
      declared('test-free'),
      // Declaring a Signals kind without switches takes it out of the Signals keys' reach.
      declared('attestations'),
    ]);
    const policy = evidencePolicy(
      config({ ATTESTRY__Signals__CAS__WriteEnabled: 'false', ATTESTRY__Signals__Provenance__RekorEnabled: 'false' }),
      kinds,
    );
    assert.equal(policy.writeRefusal('test-governed'), 'writes are disabled (Signals.CAS.WriteEnabled: false)');
    assert.equal(policy.logSkipReason('test-governed'), 'transparency logging is disabled (Signals.Provenance.RekorEnabled: false)');
    assert.equal(policy.writeRefusal('test-free'), undefined);
    assert.equal(policy.logSkipReason('test-free'), undefined);
    assert.equal(policy.writeRefusal('attestations'), undefined);
    // A kind the registry does not hold is governed by no kind switch (the locker refuses it as unknown).
    assert.equal(policy.writeRefusal('callgraphs'), undefined);
    assert.equal(policy.writesOff, undefined);
  });

  test('the locker-wide and log-wide switches govern declared kinds too', () => {
    const kinds = new KindRegistry([declared('test-free')]);
    const policy = evidencePolicy(config({ ATTESTRY__Evidence__WriteEnabled: 'false', ATTESTRY__Log__Enabled: 'false' }), kinds);
    assert.equal(policy.writeRefusal('test-free'), 'writes are disabled (Evidence.WriteEnabled: false)');
    assert.equal(policy.writesOff, 'writes are disabled (Evidence.WriteEnabled: false)');
    assert.equal(policy.logSkipReason('test-free'), 'transparency logging is disabled (Log.Enabled: false)');
  });

  test('a switch that is not a boolean config key is E_CONFIG naming the kind and the key', () => {
    for (const key of ['Signals.CAS.WritEnabled', 'Signals.CAS.BucketPrefix', 'Signals.CAS', 'toString']) {
      expectAttestryError(
        () => evidencePolicy(config({}), new KindRegistry([declared('test-typo', { writeEnabled: key })])),
        'E_CONFIG',
        /test-typo/,
        new RegExp(key.replace(/\./g, '\\.')),
      );
      expectAttestryError(
        () => evidencePolicy(config({}), new KindRegistry([declared('test-typo', { logged: key })])),
        'E_CONFIG',
        /test-typo/,
      );
    }
  });
});
