import { describe, expect, it } from 'vitest';
import { isNetworkError, NetworkError, toNetworkError } from './network-error.js';

const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('toNetworkError', () => {
  it('classifies system and TLS errors', () => {
    const cases: [Error, string][] = [
      [sysErr('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'ConnectionRefused'],
      [sysErr('ETIMEDOUT'), 'Timeout'],
      [sysErr('ECONNRESET'), 'ConnectionReset'],
      [sysErr('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.example'), 'DNS'],
      [sysErr('EHOSTUNREACH'), 'Unreachable'],
      [sysErr('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'TLS'],
      [sysErr('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'TLS'],
      [sysErr('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'TLS'],
    ];
    for (const [err, reason] of cases) {
      const n = toNetworkError(err, 'GET https://x/api');
      expect(n.reason).toBe(reason);
      expect(n.message.startsWith('GET https://x/api: ')).toBe(true);
      expect(n.cause).toBe(err);
      expect(isNetworkError(n)).toBe(true);
    }
    expect(toNetworkError(sysErr('DEPTH_ZERO_SELF_SIGNED_CERT'), 'x').retryable).toBe(false);
    const already = new NetworkError('Timeout', 'x', 'y');
    expect(toNetworkError(already, 'z')).toBe(already);
  });
});
