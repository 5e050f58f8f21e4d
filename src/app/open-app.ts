import { parseKeyAlgorithm } from '../crypto/keys.js';
import type { ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { Keyring, PublicKeyInfo } from '../crypto/keyring.js';
import { EvidenceLocker, type LockerEvents } from '../evidence/locker.js';
import { directWriter, SqliteEvidenceWriter, type EvidenceWriter } from '../evidence/sqlite-writer.js';
import { VerifyPool } from '../evidence/verify-pool.js';
import { KindRegistry } from '../kinds/registry.js';
import { BUILTIN_KINDS } from '../kinds/builtin.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { openBlobStore } from '../store/blob/open.js';
import { LogSequencer } from '../tlog/log-store.js';
import type { TimestampAuthority } from '../tlog/tsa.js';
import { BUILTIN_MODULES } from './domains.js';
import { evidencePolicy, type EvidencePolicy } from './evidence-policy.js';
import { openIndexServices, startupError, type IndexServices } from './index-services.js';
import { RegisteredModules, type AppModule } from './modules.js';
import type { SignalsEvents } from '../signals/events.js';
import { keyringFor, openTimestampAuthority, openTransparencyLog, type TransparencyLog } from './transparency.js';

/** Everything the service runs on, open; what a module's `register` gets. */
export interface AppCore extends IndexServices {
  readonly blobs: BlobStore;
  readonly keyring: Keyring;
  readonly signingKey: PublicKeyInfo & { readonly created: boolean };
  /** Every kind the modules declared. */
  readonly kinds: KindRegistry;
  /** Which switches stop writes or log entries of a kind (Evidence.*, Log.Enabled, the domains' own keys). */
  readonly policy: EvidencePolicy;
  readonly locker: EvidenceLocker;
  readonly tlog: TransparencyLog;
  /** The RFC 3161 timestamp authority (POST /api/v1/timestamp; tokens on logged records). */
  readonly tsa: TimestampAuthority & { readonly created: boolean };
  /** Where the Signals use cases report telemetry (the server's metrics), if anywhere. */
  readonly signalsEvents?: SignalsEvents | undefined;
}

/** The open app: the core plus each module's use cases. */
export interface App extends AppCore {
  /** The use cases `module` registered (its `register` result). */
  useCases<U>(module: AppModule<U>): U;
  /** Module names in registration order. */
  readonly modules: readonly string[];
}

export interface AppDeps {
  readonly clock?: Clock | undefined;
  readonly ids?: IdSource | undefined;
  readonly events?: LockerEvents | undefined;
  readonly signalsEvents?: SignalsEvents | undefined;
  readonly verifyThreads?: number | undefined;
  /** The domains to register; default BUILTIN_MODULES (evidence, log, models). */
  readonly modules?: readonly AppModule[] | undefined;
}

/**
 * The composition root: opens the index (migrating it), blob store, keyrings,
 * transparency log, TSA, verify pool, writer and locker from the config, then
 * lets each module register its use cases. `close()` lets modules go, drains
 * the locker, then closes the pool, the writer, the blobs and the index, in
 * that order (in-flight writes finish before their stores close).
 */
export async function openApp(config: ResolvedConfig, deps: AppDeps = {}): Promise<App> {
  const modules = deps.modules ?? BUILTIN_MODULES;
  const duplicate = modules.find((m, i) => modules.findIndex((o) => o.name === m.name) !== i);
  if (duplicate !== undefined) throw new AttestryError('E_CONFIG', `two app modules are named ${duplicate.name}; module names are unique`);
  // The built-in kinds (src/kinds/builtin.ts) and any a further module brings.
  const kinds = new KindRegistry([...BUILTIN_KINDS, ...modules.flatMap((m) => m.kinds ?? [])]);
  const policy = evidencePolicy(config, kinds);
  const base = await openIndexServices(config, deps);
  const { settings } = base;
  const blobs = await openBlobStore(config);
  const closers: (() => Promise<void>)[] = [];
  try {
    await blobs.ping();
    const keyring = keyringFor(config);
    const { info, created } = keyring.ensure(settings.signingKey.keyId, settings.signingKey.algorithm);
    // The AI signing key (seed 002 `advisoryAi.attestations.keyId`), made before the locker's list of service keys.
    keyring.ensure(
      config.advisoryAi.attestations.keyId,
      parseKeyAlgorithm(config.advisoryAi.attestations.cryptoScheme),
      'advisoryAi.attestations.cryptoScheme',
    );
    const serviceKeys = keyring.list();
    const { log: tlog, signer: noteSigner, keyring: logKeyring } = await openTransparencyLog(config, base.index, policy);
    const { tsa, settings: tsaSettings } = openTimestampAuthority(config, base.clock.now());
    const writer: EvidenceWriter =
      settings.writer === 'thread' && settings.database.driver === 'sqlite'
        ? new SqliteEvidenceWriter(
            settings.database.path,
            tlog.enabled ? { origin: config.Log.Origin, privateKeyPem: logKeyring.privateKeyPem(config.Log.KeyId) } : undefined,
          )
        : directWriter(base.repos.evidence, tlog.enabled ? new LogSequencer(noteSigner, base.index.driver) : undefined);
    closers.push(async () => writer.close?.());
    // Logged records are timestamped where they are verified (off the event loop).
    const verifier = new VerifyPool({
      ...(deps.verifyThreads === undefined ? {} : { threads: deps.verifyThreads }),
      tsa: tlog.enabled ? tsaSettings : undefined,
    });
    closers.unshift(() => verifier.close());
    const locker = new EvidenceLocker({
      tenants: base.repos.tenants,
      evidence: base.repos.evidence,
      writer,
      trustedKeys: base.repos.trustedKeys,
      blobs,
      serviceKeys: () => serviceKeys,
      clock: base.clock,
      ids: base.ids,
      policy,
      kinds,
      verifier,
      events: deps.events,
      transparency:
        policy.logOff === undefined
          ? { enabled: true, log: tlog.reader, logKey: noteSigner.publicKey, tsa }
          : { enabled: false, skipReason: policy.logOff },
    });
    closers.unshift(() => locker.drain());
    const core: AppCore = {
      ...base,
      blobs,
      keyring,
      signingKey: { ...info, created },
      kinds,
      policy,
      locker,
      tlog,
      tsa,
      signalsEvents: deps.signalsEvents,
    };
    const registered = new RegisteredModules();
    closers.unshift(() => registered.close());
    for (const module of modules) registered.add(module, await module.register(core, registered));
    let closing: Promise<void> | undefined;
    return {
      ...core,
      useCases: (module) => registered.get(module),
      modules: registered.names(),
      close: () => {
        closing ??= (async () => {
          for (const close of closers) await close();
          await blobs.close();
          await base.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    for (const close of closers) await close().catch(() => undefined);
    await blobs.close().catch(() => undefined);
    await base.close();
    throw startupError(e, settings);
  }
}
