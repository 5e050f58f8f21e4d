/**
 * The OpenVEX 0.2.0 vocabulary (https://github.com/openvex/spec), shared by
 * the two places that write it: reachability results as VEX
 * (src/signals/reach-openvex.ts) and published AI VEX drafts
 * (src/ai/openvex.ts). Field names are the spec's; each writer narrows these
 * types to what it emits.
 */
export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';
/** A symbol named as a product subcomponent: `urn:attestry:symbol:` + its URI-encoded id. */
export const SYMBOL_URN_PREFIX = 'urn:attestry:symbol:';

export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

export interface OpenVexSubcomponent {
  readonly '@id': string;
}

export interface OpenVexProduct {
  readonly '@id': string;
  readonly subcomponents?: readonly OpenVexSubcomponent[];
}

export interface OpenVexStatement {
  readonly '@id'?: string;
  readonly vulnerability: { readonly name: string; readonly aliases?: readonly string[] };
  readonly timestamp: string;
  readonly products: readonly OpenVexProduct[];
  readonly status: VexStatus;
  readonly status_notes?: string;
  readonly justification?: VexJustification;
  readonly impact_statement?: string;
  readonly action_statement?: string;
}

export interface OpenVexDocument {
  readonly '@context': typeof OPENVEX_CONTEXT;
  readonly '@id': string;
  readonly author: string;
  readonly role?: string;
  readonly timestamp: string;
  readonly version: number;
  readonly tooling?: string;
  readonly statements: readonly OpenVexStatement[];
}
