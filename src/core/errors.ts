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

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAttestryError(e: unknown): e is AttestryError {
  return e instanceof AttestryError;
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
