// Test side of the kubelet model in src/kubelet/rules.ts.
import { AssertionError } from 'node:assert';
import { decodeCredentialProviderResponse, lookupAuth, type CredentialProviderResponse } from '../../src/kubelet/rules.js';

export * from '../../src/kubelet/rules.js';

/**
 * Test assertion: the kubelet accepts `stdout` from a plugin configured with `apiVersion`, and
 * when the response carries credentials, at least one of them would be offered for `image`.
 * Returns the decoded response. Messages never include stdout, which holds secrets.
 */
export function expectKubeletAccepts(stdout: string, apiVersion: string, image: string): CredentialProviderResponse {
  const result = decodeCredentialProviderResponse(stdout, apiVersion);
  if (!result.ok) throw new AssertionError({ message: `the kubelet would reject this plugin output: ${result.error}` });
  const keys = Object.keys(result.response.auth);
  if (keys.length > 0 && lookupAuth(result.response.auth, image).length === 0) {
    throw new AssertionError({
      message: `none of the auth keys ${JSON.stringify(keys)} matches image ${JSON.stringify(image)}, so the kubelet would pull it anonymously`,
    });
  }
  return result.response;
}
