import http from 'node:http';
import { ProviderError } from '../errors.js';
import { log } from '../log.js';
import { runDeadline } from '../resilience/deadline.js';
import { withRetries } from '../resilience/retry.js';
import type { Credentials } from './credentials.js';

/** The ECS instance metadata service; the address is fixed on every ECS instance. */
export const METADATA_HOST = '100.100.100.200';
const TOKEN_TTL_SECONDS = 300;

/** Per request, connect plus response. The service is link-local: a slow answer is a dead one. */
const REQUEST_TIMEOUT_MS = 2000;
/** A node that is not on ECS should hear so in seconds, not at the deadline. */
const MAX_ATTEMPTS = 3;

interface MetadataResponse {
  status: number;
  body: string;
}

/**
 * Reads the ECS metadata service in hardened mode: one session token (PUT
 * /latest/api/token) serves every read of a run. Instances that predate hardened mode
 * answer the PUT with an HTTP error; then reads go without a token.
 */
export class EcsMetadata {
  private token: Promise<string | undefined> | undefined;

  /** Whether reads go with a hardened mode session token (false: the instance only answers without one). */
  async hardenedMode(): Promise<boolean> {
    return (await (this.token ??= this.fetchToken())) !== undefined;
  }

  async regionId(): Promise<string> {
    return (await this.read('region-id')).trim();
  }

  /** Temporary credentials of the RAM role attached to this instance (the ACK worker role). */
  async roleCredentials(): Promise<Credentials> {
    const roleName = (await this.read('ram/security-credentials/', 'no RAM role is attached to this ECS instance')).trim();
    if (roleName === '') throw new ProviderError('no RAM role is attached to this ECS instance', { hint: ATTACH_ROLE_HINT });
    const text = await this.read(`ram/security-credentials/${encodeURIComponent(roleName)}`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ProviderError(`the ECS metadata service returned unreadable credentials for RAM role "${roleName}"`, { retryable: true });
    }
    const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration, Code } = body;
    if (Code !== 'Success' || typeof AccessKeyId !== 'string' || typeof AccessKeySecret !== 'string' || typeof SecurityToken !== 'string') {
      throw new ProviderError(`the ECS metadata service has no usable credentials for RAM role "${roleName}" (Code ${JSON.stringify(Code)})`, {
        retryable: true,
      });
    }
    const expiresAtMs = typeof Expiration === 'string' ? Date.parse(Expiration) : Number.NaN;
    if (!Number.isFinite(expiresAtMs)) {
      throw new ProviderError(`the ECS metadata service gave RAM role "${roleName}" an unreadable Expiration`, { retryable: true });
    }
    return {
      accessKeyId: AccessKeyId,
      accessKeySecret: AccessKeySecret,
      securityToken: SecurityToken,
      expiresAtMs,
      principal: `the node's RAM role "${roleName}"`,
    };
  }

  private async read(item: string, notFound?: string): Promise<string> {
    const token = await (this.token ??= this.fetchToken());
    const response = await this.request('GET', `/latest/meta-data/${item}`, token ? { 'X-aliyun-ecs-metadata-token': token } : {});
    if (response.status === 200) return response.body;
    if (response.status === 404 && notFound) throw new ProviderError(notFound, { hint: ATTACH_ROLE_HINT });
    throw new ProviderError(`the ECS metadata service answered HTTP ${response.status} for ${item}`, {
      retryable: response.status >= 500,
      hint: response.status === 401 || response.status === 403 ? 'the instance requires hardened mode tokens and refused ours; check the instance metadata options' : undefined,
    });
  }

  private async fetchToken(): Promise<string | undefined> {
    const response = await this.request('PUT', '/latest/api/token', { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) });
    if (response.status === 200 && response.body.trim() !== '') return response.body.trim();
    log.info(`ECS metadata hardened mode token unavailable (HTTP ${response.status}); reading metadata without a token`);
    return undefined;
  }

  /** One request, retried on network errors and 5xx answers; the last 5xx answer is returned, not thrown. */
  private async request(method: string, path: string, headers: Record<string, string>): Promise<MetadataResponse> {
    let serverError: MetadataResponse | undefined;
    try {
      return await withRetries(
        `ECS metadata ${method} ${path}`,
        async () => {
          serverError = undefined;
          const response = await this.send(method, path, headers);
          if (response.status < 500) return response;
          serverError = response;
          throw new ProviderError(`the ECS metadata service answered HTTP ${response.status} for ${path}`, { retryable: true });
        },
        { maxAttempts: MAX_ATTEMPTS },
      );
    } catch (error) {
      if (serverError) return serverError;
      throw error;
    }
  }

  private send(method: string, path: string, headers: Record<string, string>): Promise<MetadataResponse> {
    const timeoutMs = runDeadline().requestBudgetMs(REQUEST_TIMEOUT_MS);
    return new Promise((resolve, reject) => {
      const fail = (reason: string) =>
        reject(
          new ProviderError(`cannot reach the ECS metadata service at ${METADATA_HOST} (${reason})`, {
            retryable: true,
            hint: 'the provider must run on an ECS instance; on other machines configure an AccessKey (see README)',
          }),
        );
      const request = http.request({ host: METADATA_HOST, port: 80, method, path, headers, timeout: timeoutMs, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error) => fail(error.message));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      request.end();
    });
  }
}

const ATTACH_ROLE_HINT = 'attach a RAM role to the node (ACK node pools use the cluster Worker RAM role)';
