import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { authorization, canonicalQuery, percentEncode, sha256Hex } from './signature.js';

// The SDK's own signer (CommonJS), the reference this one must match.
const sdk = createRequire(import.meta.url)('@alicloud/openapi-util').default as {
  getAuthorization(request: object, algorithm: string, payload: string, accessKeyId: string, accessKeySecret: string): string;
};

describe('ACS3-HMAC-SHA256', () => {
  it.each([
    ['no query', {}],
    ['RPC parameters', { InstanceId: 'cri-acme0000000001', PageNo: '1' }],
    ['characters that need encoding', { RoleArn: 'acs:ram::2000000000000002:role/acr-puller', ExternalId: "a b*c(d)!e'f~g", Token: 'x.y/z+=' }],
  ])('signs %s exactly as the Alibaba Cloud SDK does', (_name, query: Record<string, string>) => {
    const headers = {
      host: 'cr.cn-hangzhou.aliyuncs.com',
      'x-acs-action': 'GetAuthorizationToken',
      'x-acs-version': '2018-12-01',
      'x-acs-date': '2026-11-25T08:00:00Z',
      'x-acs-signature-nonce': '0123456789abcdef0123456789abcdef',
      'x-acs-content-sha256': sha256Hex(''),
      'x-acs-security-token': 'CAIS-fake-token',
      accept: 'application/json',
      'user-agent': 'test',
    };
    const ours = authorization({ method: 'POST', pathname: '/', query, headers, hashedPayload: sha256Hex('') }, 'STS.fakeid', 'fake-secret');
    expect(ours).toBe(sdk.getAuthorization({ pathname: '/', method: 'POST', query, headers }, 'ACS3-HMAC-SHA256', sha256Hex(''), 'STS.fakeid', 'fake-secret'));
  });

  it('encodes like the SDK and sorts the query', () => {
    expect(percentEncode("a b*c(d)!e'f~g")).toBe('a%20b%2Ac%28d%29%21e%27f~g');
    expect(canonicalQuery({ b: '2', a: 'x y' })).toBe('a=x%20y&b=2');
  });
});
