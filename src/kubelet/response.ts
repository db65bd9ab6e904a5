import type { ApiVersion } from './api-versions.js';
import { formatGoDuration } from './duration.js';

export interface RegistryCredential {
  username: string;
  password: string;
}

export interface CredentialProviderResponse {
  apiVersion: ApiVersion;
  /** Seconds; rendered as a Go duration string, since the kubelet rejects a JSON number. */
  cacheDurationSeconds: number;
  /** Match key (host[:port] or a per-label glob) → credential. */
  auth: Record<string, RegistryCredential>;
}

/**
 * Encodes the one JSON object the kubelet reads from stdout. It decodes strictly, so only
 * these fields exist, each auth entry holds exactly username and password, and
 * cacheKeyType is always Registry: every key we return is a whole registry host.
 */
export function encodeResponse(response: CredentialProviderResponse): string {
  const auth: Record<string, RegistryCredential> = {};
  for (const [key, credential] of Object.entries(response.auth)) {
    auth[key] = { username: credential.username, password: credential.password };
  }
  return `${JSON.stringify({
    kind: 'CredentialProviderResponse',
    apiVersion: response.apiVersion,
    cacheKeyType: 'Registry',
    cacheDuration: formatGoDuration(response.cacheDurationSeconds),
    auth,
  })}\n`;
}
