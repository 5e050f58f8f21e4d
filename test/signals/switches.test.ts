/** Seed 000 §9 switches as the Signals use cases read them: each answer names the key that decided it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { signalsSwitches } from '../../src/signals/switches.js';

const config = (change: (c: ResolvedConfig) => void = () => undefined): ResolvedConfig => {
  const c = loadConfig({ env: {}, dataDir: '/nonexistent' });
  change(c);
  return c;
};

describe('signalsSwitches', () => {
  it('defaults: everything on', () => {
    assert.deepEqual(signalsSwitches(config()), {
      writesOff: undefined,
      manifestSigningOff: undefined,
      batchAttestationOff: undefined,
      provenanceOff: undefined,
      loggingOff: undefined,
    });
  });

  it('each switch off names its key; the locker-wide keys win over the Signals ones', () => {
    assert.equal(
      signalsSwitches(config((c) => (c.Signals.CAS.WriteEnabled = false))).writesOff,
      'Signals.CAS.WriteEnabled is false: Signals writes are off',
    );
    assert.match(
      signalsSwitches(
        config((c) => {
          c.Signals.CAS.WriteEnabled = false;
          c.Evidence.WriteEnabled = false;
        }),
      ).writesOff ?? '',
      /^Evidence\.WriteEnabled is false/,
    );
    const noSigning = signalsSwitches(config((c) => (c.Signals.Provenance.SignManifests = false)));
    assert.match(noSigning.manifestSigningOff ?? '', /^Signals\.Provenance\.SignManifests is false/);
    assert.equal(noSigning.batchAttestationOff, undefined);
    const noAttest = signalsSwitches(config((c) => (c.Signals.Provenance.AttestBatches = false)));
    assert.match(noAttest.batchAttestationOff ?? '', /^Signals\.Provenance\.AttestBatches is false/);
    assert.equal(noAttest.manifestSigningOff, undefined);
    const noProvenance = signalsSwitches(config((c) => (c.Signals.Provenance.Enabled = false)));
    for (const reason of [noProvenance.provenanceOff, noProvenance.manifestSigningOff, noProvenance.batchAttestationOff]) {
      assert.match(reason ?? '', /^Signals\.Provenance\.Enabled is false/);
    }
    assert.match(
      signalsSwitches(config((c) => (c.Signals.Provenance.RekorEnabled = false))).loggingOff ?? '',
      /^Signals\.Provenance\.RekorEnabled is false/,
    );
    assert.match(signalsSwitches(config((c) => (c.Log.Enabled = false))).loggingOff ?? '', /^Log\.Enabled is false/);
  });
});
