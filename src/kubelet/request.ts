import { ProviderError } from '../errors.js';
import { API_VERSIONS, isApiVersion, type ApiVersion } from './api-versions.js';

export interface CredentialProviderRequest {
  apiVersion: ApiVersion;
  /** Repository name as the kubelet sends it: host[:port]/path, no tag or digest. */
  image: string;
  /** KEP-4412: a pod-bound service account token (v1 only, when tokenAttributes is configured). */
  serviceAccountToken?: string;
  serviceAccountAnnotations?: Record<string, string>;
}

/** The kubelet's requests are a few hundred bytes; anything this large is not one. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * Decodes a CredentialProviderRequest. Unknown fields are tolerated on purpose: newer
 * kubelets add fields (as KEP-4412 did) and must not break an older plugin.
 */
export function decodeRequest(text: string): CredentialProviderRequest {
  if (text.trim() === '') {
    throw new ProviderError('no CredentialProviderRequest on stdin (stdin was empty)', {
      hint: 'the kubelet writes the request as JSON on stdin; to test by hand pipe one in, see the README',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // V8's parse message quotes the input, which may hold a service account token.
    throw new ProviderError(`stdin is not valid JSON (${Buffer.byteLength(text)} bytes); expected a CredentialProviderRequest`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProviderError('stdin must hold one JSON object, a CredentialProviderRequest');
  }
  const request = parsed as Record<string, unknown>;
  if (request.kind !== 'CredentialProviderRequest') {
    throw new ProviderError(`request kind is ${describe(request.kind)}, expected "CredentialProviderRequest"`);
  }
  if (!isApiVersion(request.apiVersion)) {
    throw new ProviderError(`request apiVersion ${describe(request.apiVersion)} is not supported`, {
      hint: `use one of ${API_VERSIONS.join(', ')}`,
    });
  }
  if (typeof request.image !== 'string' || request.image.trim() === '') {
    throw new ProviderError('request has no image (expected a non-empty string field "image")');
  }
  const result: CredentialProviderRequest = { apiVersion: request.apiVersion, image: request.image.trim() };
  if (request.serviceAccountToken !== undefined && request.serviceAccountToken !== null) {
    if (typeof request.serviceAccountToken !== 'string') {
      throw new ProviderError('request field serviceAccountToken must be a string');
    }
    if (request.serviceAccountToken !== '') result.serviceAccountToken = request.serviceAccountToken;
  }
  if (request.serviceAccountAnnotations !== undefined && request.serviceAccountAnnotations !== null) {
    result.serviceAccountAnnotations = stringMap(request.serviceAccountAnnotations);
  }
  return result;
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderError('request field serviceAccountAnnotations must be an object of strings');
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new ProviderError(`request annotation ${JSON.stringify(key)} must be a string`);
    }
    result[key] = entry;
  }
  return result;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
