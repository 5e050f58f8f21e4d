import type { ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import type { KindDeclaration } from '../kinds/declaration.js';
import { builtinKinds } from '../kinds/builtin.js';
import { readConfigPath } from '../kinds/config-path.js';
import type { KindRegistry } from '../kinds/registry.js';

type Switches = NonNullable<KindDeclaration['switches']>;

/** The locker-wide and log-wide switches (deliverable 5 of issue #13). */
export const EVIDENCE_WRITE_SWITCH = 'Evidence.WriteEnabled';
export const LOG_SWITCH = 'Log.Enabled';

/**
 * Which configured switch, if any, stops a write or a log entry of a kind
 * right now. The locker asks this per record; the answer names the key so a
 * refused client or an unlogged record says what to change.
 */
export interface EvidencePolicy {
  /** Why every write is refused (`Evidence.WriteEnabled: false`), or undefined. */
  readonly writesOff: string | undefined;
  /** Why a write of `kind` is refused, or undefined when it is allowed. */
  writeRefusal(kind: string): string | undefined;
  /** Why a record of `kind` is stored without a log entry, or undefined when it is logged. */
  logSkipReason(kind: string): string | undefined;
  /** Why nothing at all is logged (`Log.Enabled: false`), or undefined when the log runs. */
  readonly logOff: string | undefined;
  /** Kind-level switches that are off now, with the kinds each stops (for the serve banner). */
  readonly writesOffBy: readonly SwitchOff[];
  readonly loggingOffBy: readonly SwitchOff[];
}

export interface SwitchOff {
  readonly key: string;
  readonly kinds: readonly string[];
}

/**
 * Builds the policy from the resolved config. Every switch a kind names must
 * be a boolean in the config (a typo in a declaration is E_CONFIG at start,
 * not a switch that silently never turns anything off).
 */
export function evidencePolicy(config: ResolvedConfig, kinds: KindRegistry = builtinKinds()): EvidencePolicy {
  const switchesOf = new Map<string, Switches>(kinds.all().map((d) => [d.name, d.switches ?? {}]));
  const value = (key: string, kind: string): boolean => {
    let found: unknown;
    try {
      found = readConfigPath(config, key);
    } catch {
      found = undefined;
    }
    if (typeof found !== 'boolean')
      throw new AttestryError('E_CONFIG', `kind ${kind}: switch ${key} is not a boolean configuration key`, { details: { kind, key } });
    return found;
  };
  const writeOff = new Map<string, string>();
  const logSkip = new Map<string, string>();
  for (const [kind, s] of switchesOf) {
    if (s.writeEnabled !== undefined && !value(s.writeEnabled, kind)) writeOff.set(kind, s.writeEnabled);
    if (s.logged !== undefined && !value(s.logged, kind)) logSkip.set(kind, s.logged);
  }
  const writesOff = config.Evidence.WriteEnabled ? undefined : EVIDENCE_WRITE_SWITCH;
  const logOff = config.Log.Enabled ? undefined : disabledLogging(LOG_SWITCH);
  return {
    writesOff: writesOff === undefined ? undefined : `writes are disabled (${writesOff}: false)`,
    writeRefusal: (kind) => {
      const key = writesOff ?? writeOff.get(kind);
      return key === undefined ? undefined : `writes are disabled (${key}: false)`;
    },
    logSkipReason: (kind) => {
      if (logOff !== undefined) return logOff;
      const key = logSkip.get(kind);
      return key === undefined ? undefined : disabledLogging(key);
    },
    logOff,
    writesOffBy: byKey(writeOff),
    loggingOffBy: byKey(logSkip),
  };
}

function byKey(offByKind: ReadonlyMap<string, string>): SwitchOff[] {
  const kinds = new Map<string, string[]>();
  for (const [kind, key] of offByKind) kinds.set(key, [...(kinds.get(key) ?? []), kind]);
  return [...kinds].map(([key, k]) => ({ key, kinds: k }));
}

function disabledLogging(key: string): string {
  return `transparency logging is disabled (${key}: false)`;
}
