import type { KindDeclaration } from './declaration.js';

/**
 * SKELETON (issue #13): the registry of evidence kinds. The composition root
 * builds one from the domains' declarations; tests build their own, with a
 * throwaway kind, to show that access, layout, classification and GC follow
 * from the one declaration.
 *
 * API consumers may rely on:
 *   new KindRegistry(declarations)   validates and freezes (duplicate names,
 *                                    bad templates are E_CONFIG)
 *   registry.get(name)               the declaration, or undefined
 *   registry.require(name)           the declaration, or E_INVALID_INPUT
 *   registry.all()                   every declaration, in registration order
 *   registry.names()                 every name
 *   registry.has(name)               type guard for a kind name
 */
export class KindRegistry {
  readonly #kinds = new Map<string, KindDeclaration>();

  constructor(declarations: readonly KindDeclaration[]) {
    for (const d of declarations) this.#kinds.set(d.name, d);
  }

  get(name: string): KindDeclaration | undefined {
    return this.#kinds.get(name);
  }

  has(name: unknown): name is string {
    return typeof name === 'string' && this.#kinds.has(name);
  }

  all(): readonly KindDeclaration[] {
    return [...this.#kinds.values()];
  }

  names(): readonly string[] {
    return [...this.#kinds.keys()];
  }
}
