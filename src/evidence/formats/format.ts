import type { PublicKeyHandle } from '../../crypto/keys.js';
import type { LoggedContent } from '../../tlog/bundle.js';
import type { ParsedSubject, SignedContent } from './signed-content.js';

/** What a format reads out of an upload; the locker adds the kind. */
export interface ParsedUpload {
  /** The format's name (see EvidenceFormat.name). */
  readonly format: string;
  /** DSSE envelope media type, or the Sigstore bundle's when one was uploaded. */
  readonly mediaType: string;
  /** The signatures to check, as data the verify workers take. */
  readonly content: SignedContent;
  /** `verificationMaterial.publicKey.hint` of an uploaded Sigstore bundle. */
  readonly keyHint: string | undefined;
  /** Classification input: the DSSE payload type (or what a non-DSSE format records instead). */
  readonly payloadType: string;
  /** Classification input: the in-toto predicate type, when the payload is a statement. */
  readonly predicateType: string | null;
  /** Distinct sha256 subjects, searchable. */
  readonly subjects: readonly ParsedSubject[];
}

/**
 * One shape of upload the locker accepts. Formats are tried in order; the
 * first whose `detect` says yes parses the upload (and its errors are the
 * upload's errors), so a new format is one object in formats/index.ts.
 */
export interface EvidenceFormat {
  readonly name: string;
  /** Whether a JSON object has this format's shape (cheap: keys only, no validation). */
  detect(json: object): boolean;
  /** Validates the object and reads what the locker needs; throws AttestryError. */
  parse(json: object, options?: ParseOptions): ParsedUpload;
}

export interface ParseOptions {
  /**
   * Payload types besides in-toto's whose payload is read for a predicate type
   * and subjects (a statement, or a bare predicate document): those an
   * evidence kind claims (`KindRegistry.kindOfPayloadType`).
   */
  readonly readsPayloadType?: (payloadType: string) => boolean;
}

/**
 * What the locker does with one kind of signed content after verification:
 * the transparency-log entry body for the signature that verified, the
 * content as an exported Sigstore bundle carries it, and which signature a
 * stored entry body names (what a late timestamp is taken over).
 */
export interface SignedContentHandler<C extends SignedContent> {
  readonly type: C['type'];
  logEntryBody(content: C, signature: Uint8Array, publicKey: PublicKeyHandle): Buffer;
  loggedContent(content: C): LoggedContent;
  loggedSignature(content: C, entryBody: Uint8Array): Buffer;
}
