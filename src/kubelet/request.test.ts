import { describe, expect, it } from 'vitest';
import { ProviderError } from '../errors.js';
import { decodeRequest } from './request.js';

const image = 'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app';
const request = (fields: Record<string, unknown>) => JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image, ...fields });

describe('decodeRequest', () => {
  it.each(['v1', 'v1beta1', 'v1alpha1'])('accepts %s as the kubelet writes it (trailing newline)', (version) => {
    const apiVersion = `credentialprovider.kubelet.k8s.io/${version}`;
    expect(decodeRequest(`${request({ apiVersion })}\n`)).toEqual({ apiVersion, image });
  });

  it('keeps the KEP-4412 fields and tolerates unknown ones', () => {
    const decoded = decodeRequest(request({ serviceAccountToken: 'jwt', serviceAccountAnnotations: { 'a.io/role': 'r' }, futureField: 1 }));
    expect(decoded).toEqual({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image, serviceAccountToken: 'jwt', serviceAccountAnnotations: { 'a.io/role': 'r' } });
  });

  it('treats an empty service account token as absent', () => {
    expect(decodeRequest(request({ serviceAccountToken: '' })).serviceAccountToken).toBeUndefined();
  });

  it.each([
    ['empty stdin', '', /stdin was empty/],
    ['whitespace only', ' \n', /stdin was empty/],
    ['malformed JSON', '{"kind":', /not valid JSON/],
    ['a JSON array', '[]', /one JSON object/],
    ['wrong kind', request({ kind: 'CredentialProviderResponse' }), /kind is "CredentialProviderResponse"/],
    ['missing kind', JSON.stringify({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image }), /kind is missing/],
    ['wrong apiVersion', request({ apiVersion: 'credentialprovider.kubelet.k8s.io/v2' }), /apiVersion .* not supported/],
    ['missing image', request({ image: undefined }), /no image/],
    ['empty image', request({ image: '' }), /no image/],
    ['numeric image', request({ image: 42 }), /no image/],
    ['non-string annotation', request({ serviceAccountAnnotations: { a: 1 } }), /annotation "a" must be a string/],
  ])('refuses %s with a clear one-line error', (_name, text, message) => {
    expect(() => decodeRequest(text)).toThrow(ProviderError);
    expect(() => decodeRequest(text)).toThrow(message);
  });

  it('does not quote the input in a JSON error (it may hold a token)', () => {
    expect(() => decodeRequest('{"serviceAccountToken":"secret-jwt",}')).toThrow(/^((?!secret-jwt).)*$/);
  });
});
