/**
 * The VEX vocabulary of AI drafts (issue 17): the claim a `vex_draft` makes
 * and the OpenVEX 0.2.0 document it is published as (what Trivy, Grype and
 * vexctl read). Field names are OpenVEX's.
 */
export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';
/** The in-toto predicate type of a VEX attestation, as `vexctl attest` writes it. */
export const OPENVEX_PREDICATE_TYPE = 'https://openvex.dev/ns/v0.2.0';
/** Where published documents' `@id`s live: `{prefix}{tenant}/{artifactId}`. */
export const AI_VEX_ID_PREFIX = 'https://attestry.dev/vex/ai/';
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

/**
 * What a VEX draft claims. `status`/`justification` come from the model's
 * output when it states them (`Status: not_affected`), else from the
 * finding's proposal (`finding.vex`), else `under_investigation`; `source`
 * says which. Derived from signed inputs only, so the claim is bound to the
 * draft's attestation.
 */
export interface VexClaim {
  readonly vulnerability: string;
  readonly productPurl: string;
  /** The vulnerable function, when the finding names it (what a reachability verdict is about). */
  readonly symbol: string | null;
  readonly status: VexStatus;
  readonly justification: VexJustification | null;
  readonly source: 'output' | 'finding' | 'default';
  /** The model's text: the impact statement of not_affected, the action statement of affected. */
  readonly text: string;
}

export interface OpenVexStatement {
  readonly '@id'?: string;
  readonly vulnerability: { readonly name: string };
  readonly timestamp: string;
  readonly products: readonly { readonly '@id': string; readonly subcomponents?: readonly { readonly '@id': string }[] }[];
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
  readonly tooling: string;
  readonly statements: readonly OpenVexStatement[];
}
