import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AttestryError, ERROR_CODES, ioError, isAttestryError, type ErrorCode } from '../../src/core/errors.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('AttestryError', () => {
  test('is an Error with name, code and message', () => {
    const e = new AttestryError('E_INVALID_INPUT', 'bad thing');
    assert.ok(e instanceof Error);
    assert.ok(e instanceof AttestryError);
    assert.equal(e.name, 'AttestryError');
    assert.equal(e.code, 'E_INVALID_INPUT');
    assert.equal(e.message, 'bad thing');
    assert.equal(e.details, undefined);
    assert.equal(e.cause, undefined);
    assert.ok(typeof e.stack === 'string' && e.stack.includes('bad thing'));
  });

  test('exit codes: verification failures exit 2, input errors exit 1', () => {
    assert.equal(new AttestryError('E_SIGNATURE_INVALID', 'x').exitCode, 2);
    assert.equal(new AttestryError('E_INVALID_INPUT', 'x').exitCode, 1);
    for (const code of ['E_KEY_MISMATCH', 'E_DIGEST_MISMATCH', 'E_UNTRUSTED_PUBLISHER'] as const) {
      assert.equal(new AttestryError(code, 'x').exitCode, 2, code);
    }
    // A 403 is an authorization error, not a verification that ran and failed.
    for (const code of [
      'E_FORBIDDEN',
      'E_UNAUTHENTICATED',
      'E_UNAVAILABLE',
      'E_USAGE',
      'E_IO',
      'E_NOT_FOUND',
      'E_KEY_FORMAT',
      'E_BAD_PASSPHRASE',
      'E_PASSPHRASE_REQUIRED',
      'E_SIGNATURE_FORMAT',
      'E_INTERNAL',
    ] as const) {
      assert.equal(new AttestryError(code, 'x').exitCode, 1, code);
    }
  });

  test('every code maps to exit 1 or 2 and a 4xx/5xx HTTP status, read from the table', () => {
    assert.ok(CODES.length > 0);
    for (const code of CODES) {
      const e = new AttestryError(code, 'x');
      assert.ok(e.exitCode === 1 || e.exitCode === 2, `${code} exit ${e.exitCode}`);
      assert.equal(e.exitCode, ERROR_CODES[code].exit);
      assert.equal(e.httpStatus, ERROR_CODES[code].http);
      assert.ok(e.httpStatus >= 400 && e.httpStatus < 600, `${code} http ${e.httpStatus}`);
      assert.match(code, /^E_[A-Z_]+$/);
    }
  });

  test('HTTP statuses for a few well-known codes', () => {
    assert.equal(new AttestryError('E_INVALID_INPUT', 'x').httpStatus, 400);
    assert.equal(new AttestryError('E_NOT_FOUND', 'x').httpStatus, 404);
    assert.equal(new AttestryError('E_CONFLICT', 'x').httpStatus, 409);
    assert.equal(new AttestryError('E_SIGNATURE_INVALID', 'x').httpStatus, 422);
    assert.equal(new AttestryError('E_INTERNAL', 'x').httpStatus, 500);
  });

  test('keeps cause and details', () => {
    const cause = new Error('root');
    const e = new AttestryError('E_IO', 'wrapped', { cause, details: { path: '/x' } });
    assert.equal(e.cause, cause);
    assert.deepEqual(e.details, { path: '/x' });
  });

  test('toJSON has code and message, and details only when present', () => {
    const plain = new AttestryError('E_USAGE', 'm');
    assert.deepEqual(plain.toJSON(), { code: 'E_USAGE', message: 'm' });
    assert.equal(JSON.stringify(plain), '{"code":"E_USAGE","message":"m"}');
    const detailed = new AttestryError('E_USAGE', 'm', { details: { field: 'a' } });
    assert.deepEqual(detailed.toJSON(), { code: 'E_USAGE', message: 'm', details: { field: 'a' } });
    // The cause is never serialised (it may carry secrets or stack traces).
    const withCause = new AttestryError('E_IO', 'm', { cause: new Error('secret') });
    assert.ok(!JSON.stringify(withCause).includes('secret'));
  });
});

describe('isAttestryError', () => {
  test('distinguishes AttestryError from other values', () => {
    assert.equal(isAttestryError(new AttestryError('E_IO', 'x')), true);
    assert.equal(isAttestryError(new Error('x')), false);
    assert.equal(isAttestryError({ code: 'E_IO', message: 'x', name: 'AttestryError' }), false);
    assert.equal(isAttestryError(undefined), false);
  });
});

describe('ioError', () => {
  function errno(code: string, message = `${code}: failed`): NodeJS.ErrnoException {
    const e: NodeJS.ErrnoException = new Error(message);
    e.code = code;
    return e;
  }

  test('ENOENT becomes E_NOT_FOUND naming the action and path', () => {
    const cause = errno('ENOENT');
    const e = ioError(cause, 'read', '/tmp/missing.json');
    assert.equal(e.code, 'E_NOT_FOUND');
    assert.equal(e.exitCode, 1);
    assert.equal(e.message, 'cannot read /tmp/missing.json: no such file or directory');
    assert.deepEqual(e.details, { path: '/tmp/missing.json' });
    assert.equal(e.cause, cause);
  });

  test('other errno codes become E_IO with the errno, in words where it is a common one', () => {
    const e = ioError(errno('EACCES'), 'write', '/etc/x');
    assert.equal(e.code, 'E_IO');
    assert.equal(e.message, 'cannot write /etc/x: permission denied (EACCES)');
    assert.deepEqual(e.details, { path: '/etc/x', errno: 'EACCES' });
    assert.equal(ioError(errno('EROFS'), 'write', '/d/x').message, 'cannot write /d/x: the file system is read-only (EROFS)');
    assert.equal(ioError(errno('EXDEV'), 'rename', '/d/x').message, 'cannot rename /d/x: EXDEV');
  });

  test('ENOSPC and EDQUOT become E_NO_SPACE (HTTP 507) saying to free space (issue 12)', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const e = ioError(errno(code), 'write blob', 'a/b');
      assert.equal(e.code, 'E_NO_SPACE');
      assert.equal(e.httpStatus, 507);
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /^cannot write blob a\/b: .*\((ENOSPC|EDQUOT)\); free space on that device, then retry$/);
    }
  });

  test('errors without errno use their message; non-errors are stringified', () => {
    assert.equal(ioError(new Error('disk on fire'), 'open', 'f').message, 'cannot open f: disk on fire');
    assert.equal(ioError('weird', 'open', 'f').message, 'cannot open f: weird');
    assert.equal(ioError(undefined, 'open', 'f').code, 'E_IO');
  });
});
