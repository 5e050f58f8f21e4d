import type { ResolvedConfig } from '../core/config.js';
import type { SignalsSwitches } from './deps.js';

/**
 * Seed 000 §9's switches, read once from the resolved config. Each answer is
 * the sentence a refused client or a skipped step reports: it names the key
 * to change, so an operator reading a 503 or a `skipReason` knows what to do.
 * The locker-wide `Evidence.WriteEnabled` and `Log.Enabled` switch Signals
 * off too (Signals records are locker records); they are named when they decide.
 */
export function signalsSwitches(config: Pick<ResolvedConfig, 'Signals' | 'Evidence' | 'Log'>): SignalsSwitches {
  const s = config.Signals;
  const off = (key: string, what: string): string => `${key} is false: ${what}`;
  const provenanceOff = s.Provenance.Enabled ? undefined : off('Signals.Provenance.Enabled', 'Signals provenance is off');
  return {
    writesOff: !config.Evidence.WriteEnabled
      ? off('Evidence.WriteEnabled', 'evidence writes are off (Signals writes too)')
      : !s.CAS.WriteEnabled
        ? off('Signals.CAS.WriteEnabled', 'Signals writes are off')
        : undefined,
    manifestSigningOff:
      provenanceOff !== undefined
        ? off('Signals.Provenance.Enabled', 'callgraph manifests are not signed')
        : s.Provenance.SignManifests
          ? undefined
          : off('Signals.Provenance.SignManifests', 'callgraph manifests are not signed'),
    batchAttestationOff:
      provenanceOff !== undefined
        ? off('Signals.Provenance.Enabled', 'runtime-fact batches are not attested')
        : s.Provenance.AttestBatches
          ? undefined
          : off('Signals.Provenance.AttestBatches', 'runtime-fact batches are not attested'),
    provenanceOff,
    loggingOff: !config.Log.Enabled
      ? off('Log.Enabled', 'the transparency log is off, Signals records are not logged')
      : !s.Provenance.RekorEnabled
        ? off('Signals.Provenance.RekorEnabled', 'Signals records are not transparency-logged')
        : undefined,
  };
}
