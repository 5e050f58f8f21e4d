import { AttestryError } from '../core/errors.js';
import type { KindDeclaration } from '../kinds/declaration.js';
import type { AppCore } from './open-app.js';

/**
 * A domain's entry into the app: the evidence kinds it stores in the locker,
 * and its use cases, built once the stores, log and locker are open. A new
 * domain (Signals, AI) adds one of these in its own folder and appends it to
 * the list the app opens with; nothing else in app/, server/ or cli/ changes.
 */
export interface AppModule<UseCases = unknown> {
  /** Unique among the app's modules; names the domain in errors. */
  readonly name: string;
  /** Kinds this domain declares (registered in the app's KindRegistry in module order). */
  readonly kinds?: readonly KindDeclaration[];
  /** Builds the domain's use cases over the open app (called in module order); `earlier` has the modules registered before it. */
  register(app: AppCore, earlier: ModuleLookup): UseCases | Promise<UseCases>;
  /** Releases what `register` opened; called in reverse module order, before the locker drains. */
  close?(useCases: UseCases): Promise<void>;
}

/** The use cases of modules registered so far (a module builds on the ones listed before it). */
export interface ModuleLookup {
  useCases<U>(module: AppModule<U>): U;
}

/** The use cases each module registered, looked up by the module itself (so the type follows). */
export class RegisteredModules implements ModuleLookup {
  readonly #byModule = new Map<AppModule, unknown>();
  readonly #order: AppModule[] = [];

  add<U>(module: AppModule<U>, useCases: U): void {
    if (this.#order.some((m) => m.name === module.name))
      throw new AttestryError('E_CONFIG', `two app modules are named ${module.name}; module names are unique`);
    this.#byModule.set(module, useCases);
    this.#order.push(module);
  }

  useCases<U>(module: AppModule<U>): U {
    return this.get(module);
  }

  get<U>(module: AppModule<U>): U {
    if (!this.#byModule.has(module)) throw new AttestryError('E_INTERNAL', `module ${module.name} is not registered in this app`);
    return this.#byModule.get(module) as U;
  }

  names(): readonly string[] {
    return this.#order.map((m) => m.name);
  }

  /** Closes every module that has a close hook, last registered first. */
  async close(): Promise<void> {
    for (const module of [...this.#order].reverse()) await module.close?.(this.#byModule.get(module));
  }
}
