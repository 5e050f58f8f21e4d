/**
 * One error type for the whole library. Every failure carries a stable string
 * `code`; the CLI exit code and the HTTP status come from one table below so
 * that the CLI, the API and the tests agree on what a failure means.
 */

export const ERROR_CODES = {
  E_INVALID_INPUT: { exit: 1, http: 400 },
  E_USAGE: { exit: 1, http: 400 },
  E_NOT_FOUND: { exit: 1, http: 404 },
  E_IO: { exit: 1, http: 500 },
  E_KEY_FORMAT: { exit: 1, http: 400 },
  E_KEY_UNSUPPORTED: { exit: 1, http: 400 },
  E_PASSPHRASE_REQUIRED: { exit: 1, http: 400 },
  E_BAD_PASSPHRASE: { exit: 1, http: 400 },
  E_SIGNATURE_FORMAT: { exit: 1, http: 400 },
  E_PATH_ESCAPE: { exit: 1, http: 400 },
  E_SYMLINK: { exit: 1, http: 400 },
  E_SPECIAL_FILE: { exit: 1, http: 400 },
  E_EMPTY_MODEL: { exit: 1, http: 400 },
  E_REGISTRY_FORMAT: { exit: 1, http: 400 },
  E_CONFLICT: { exit: 1, http: 409 },
  E_SIGNATURE_INVALID: { exit: 2, http: 422 },
  E_KEY_MISMATCH: { exit: 2, http: 422 },
  E_DIGEST_MISMATCH: { exit: 2, http: 422 },
  E_UNTRUSTED_PUBLISHER: { exit: 2, http: 403 },
  // Not a verification failure: an authenticated caller asked for something its role may not do.
  E_FORBIDDEN: { exit: 1, http: 403 },
  E_UNAUTHENTICATED: { exit: 1, http: 401 },
  E_PAYLOAD_TOO_LARGE: { exit: 1, http: 413 },
  E_TIMEOUT: { exit: 1, http: 408 },
  E_NO_SPACE: { exit: 1, http: 507 },
  E_CONFIG: { exit: 1, http: 500 },
  E_READ_ONLY: { exit: 1, http: 503 },
  E_UNAVAILABLE: { exit: 1, http: 503 },
  E_INTEGRITY: { exit: 2, http: 500 },
  E_INTERNAL: { exit: 1, http: 500 },
  // An optional package a feature needs is not installed (the message names it and how to install it).
  E_DEPENDENCY_MISSING: { exit: 1, http: 501 },
  // Settings that break seed 002's determinism rules while advisoryAi.attestations.requireDeterminism is on.
  E_NONDETERMINISTIC: { exit: 1, http: 422 },
  // The model or inference server failed to generate (load error, server error, bad reply).
  E_GENERATION_FAILED: { exit: 1, http: 502 },
} as const satisfies Record<string, { exit: number; http: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AttestryError extends Error {
  readonly code: ErrorCode;
  /** Structured facts about the failure (file names, field paths); never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AttestryError';
    this.code = code;
    this.details = options?.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  toJSON(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAttestryError(e: unknown): e is AttestryError {
  return e instanceof AttestryError;
}

/** How an AttestryError crosses a thread or an HTTP reply: the shape of `toJSON()`. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Deep enough for any details attestry writes; a cycle or a deeper structure is dropped, not sent. */
const WIRE_DETAILS_DEPTH = 16;

/** Whether `value` survives JSON and structured clone unchanged (undefined members are allowed: both drop or keep them harmlessly). */
function isPlainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth >= WIRE_DETAILS_DEPTH) return false;
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => v === undefined || isPlainJson(v, depth + 1));
}

function plainDetails(details: unknown): Record<string, unknown> | undefined {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return undefined;
  return isPlainJson(details, 0) ? { ...(details as Record<string, unknown>) } : undefined;
}

/**
 * Any thrown value as a WireError: an AttestryError keeps its code, message
 * and (plain JSON) details; anything else is E_INTERNAL with its message.
 */
export function toWire(e: unknown): WireError {
  if (!isAttestryError(e)) return { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
  const details = plainDetails(e.details);
  return details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details };
}

/**
 * Parses a WireError (from another thread or a server's error reply) back
 * into an AttestryError. A code this build does not know becomes E_INTERNAL;
 * details are kept only when they are plain JSON.
 */
export function fromWire(wire: unknown): AttestryError {
  const w = typeof wire === 'object' && wire !== null ? (wire as Record<string, unknown>) : {};
  const code = isErrorCode(w['code']) ? w['code'] : 'E_INTERNAL';
  // JSON.stringify gives undefined for undefined, whatever its declared type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
  const message = typeof w['message'] === 'string' ? w['message'] : `malformed error reply: ${String(JSON.stringify(wire)).slice(0, 200)}`;
  const details = plainDetails(w['details']);
  return new AttestryError(code, message, details === undefined ? undefined : { details });
}

/** What an errno means, in words, for the errors people meet on a data directory. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  ENOTDIR: 'a path component is not a directory (ENOTDIR)',
  EISDIR: 'it is a directory (EISDIR)',
  EMFILE: 'too many open files (EMFILE)',
};

/**
 * Wraps a Node fs error into E_NOT_FOUND (ENOENT), E_NO_SPACE (ENOSPC,
 * EDQUOT: free space, then retry) or E_IO, with the path that failed.
 */
export function ioError(e: unknown, action: string, path: string): AttestryError {
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT') {
    return new AttestryError('E_NOT_FOUND', `cannot ${action} ${path}: no such file or directory`, { cause: e, details: { path } });
  }
  const reason = (errno === undefined ? undefined : ERRNO_TEXT[errno]) ?? errno ?? (e instanceof Error ? e.message : String(e));
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new AttestryError('E_NO_SPACE', `cannot ${action} ${path}: ${reason}; free space on that device, then retry`, {
      cause: e,
      details: { path, errno },
    });
  }
  return new AttestryError('E_IO', `cannot ${action} ${path}: ${reason}`, {
    cause: e,
    details: { path, ...(errno === undefined ? {} : { errno }) },
  });
}
