import { describe, expect, it } from 'vitest';
import {
  ApiError,
  errorMessage,
  errors,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNamespaceTerminating,
  isNotFound,
  isResourceExpired,
} from './status.js';

describe('error predicates', () => {
  const notFound = errors.notFound('apps', 'deployments', 'web');
  const exists = errors.alreadyExists('', 'pods', 'web-0');
  const stale = errors.staleResourceVersion('', 'pods', 'web-0');
  const invalid = errors.invalid('', 'Pod', 'web-0', [
    { type: 'FieldValueRequired', field: 'spec.containers' },
  ]);
  const terminating = new ApiError(
    403,
    'Forbidden',
    'pods "x" is forbidden: namespace ns is being terminated',
    {
      causes: [{ reason: 'NamespaceTerminating', message: 'namespace ns is being terminated' }],
    },
  );

  it('tell a 409 AlreadyExists from a 409 Conflict, as Kubernetes does by reason', () => {
    expect([isAlreadyExists(exists), isConflict(exists)]).toEqual([true, false]);
    expect([isAlreadyExists(stale), isConflict(stale)]).toEqual([false, true]);
  });

  it('answer by code for NotFound, Invalid, Forbidden and Expired', () => {
    expect(isNotFound(notFound)).toBe(true);
    expect(isNotFound(exists)).toBe(false);
    expect(isInvalid(invalid)).toBe(true);
    expect(isForbidden(terminating)).toBe(true);
    expect(isResourceExpired(new ApiError(410, 'Expired', 'too old resource version'))).toBe(true);
  });

  it('see a namespace being deleted only in the cause, not in any Forbidden', () => {
    expect(isNamespaceTerminating(terminating)).toBe(true);
    expect(isNamespaceTerminating(new ApiError(403, 'Forbidden', 'no'))).toBe(false);
  });

  it('are false for anything that is not an API error', () => {
    for (const p of [isNotFound, isConflict, isAlreadyExists, isInvalid, isNamespaceTerminating]) {
      expect(p(new Error('socket hang up'))).toBe(false);
      expect(p(undefined)).toBe(false);
    }
  });

  it('errorMessage gives the message of an Error and the text of anything else', () => {
    expect(errorMessage(notFound)).toBe('deployments.apps "web" not found');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });
});
