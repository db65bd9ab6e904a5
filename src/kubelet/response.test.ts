import { describe, expect, it } from 'vitest';
import { expectKubeletAccepts } from '../../test/support/kubelet-rules.js';
import { encodeResponse } from './response.js';

describe('encodeResponse', () => {
  it('writes exactly the fields the kubelet decodes strictly', () => {
    const auth = { 'acme-registry.cn-hangzhou.cr.aliyuncs.com': { username: 'cr_temp_user', password: 'p', extra: 'dropped' } as never };
    const text = encodeResponse({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', cacheDurationSeconds: 2700, auth });
    expect(JSON.parse(text)).toEqual({
      kind: 'CredentialProviderResponse',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1',
      cacheKeyType: 'Registry',
      cacheDuration: '45m0s',
      auth: { 'acme-registry.cn-hangzhou.cr.aliyuncs.com': { username: 'cr_temp_user', password: 'p' } },
    });
    expectKubeletAccepts(text, 'credentialprovider.kubelet.k8s.io/v1beta1', 'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app');
  });

  it('writes "0s", not a number, when nothing may be cached', () => {
    expect(JSON.parse(encodeResponse({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', cacheDurationSeconds: 0, auth: {} })).cacheDuration).toBe('0s');
  });
});
