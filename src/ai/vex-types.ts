/**
 * The VEX vocabulary of AI drafts (issue 17): the claim a `vex_draft` makes
 * and the OpenVEX 0.2.0 document it is published as (what Trivy, Grype and
 * vexctl read). The OpenVEX vocabulary itself is src/core/openvex.ts.
 */
import type { VexJustification, VexStatus } from '../core/openvex.js';
/** The in-toto predicate type of a VEX attestation, as `vexctl attest` writes it. */
export const OPENVEX_PREDICATE_TYPE = 'https://openvex.dev/ns/v0.2.0';
/** Where published documents' `@id`s live: `{prefix}{tenant}/{artifactId}`. */
export const AI_VEX_ID_PREFIX = 'https://attestry.dev/vex/ai/';

export {
  OPENVEX_CONTEXT,
  SYMBOL_URN_PREFIX,
  VEX_JUSTIFICATIONS,
  VEX_STATUSES,
  type OpenVexDocument,
  type OpenVexStatement,
  type VexJustification,
  type VexStatus,
} from '../core/openvex.js';

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
