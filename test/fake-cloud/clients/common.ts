/** Shared by the test clients: input parsing and credentials. */
import credentials from '@alicloud/credentials';

export type ClientCredential =
  | { type: 'ecs_ram_role' }
  | { type: 'access_key'; accessKeyId: string; accessKeySecret: string }
  | { type: 'sts'; accessKeyId: string; accessKeySecret: string; securityToken: string };

export type Credential = InstanceType<typeof credentials.default>;

export async function readStdinJson<T>(): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

export function credentialFor(spec: ClientCredential): Credential {
  switch (spec.type) {
    case 'ecs_ram_role':
      // Hardened mode only: a failing token PUT must fail the test, not fall back silently.
      return new credentials.default(new credentials.Config({ type: 'ecs_ram_role', disableIMDSv1: true }));
    case 'access_key':
      return new credentials.default(new credentials.Config({ type: 'access_key', accessKeyId: spec.accessKeyId, accessKeySecret: spec.accessKeySecret }));
    case 'sts':
      return new credentials.default(
        new credentials.Config({ type: 'sts', accessKeyId: spec.accessKeyId, accessKeySecret: spec.accessKeySecret, securityToken: spec.securityToken }),
      );
  }
}

export function errorSummary(error: unknown): { name: string; code?: string; statusCode?: number; message: string; accessDeniedDetail?: unknown } {
  const e = error as { name?: string; code?: string; statusCode?: number; message?: string; accessDeniedDetail?: unknown };
  return { name: e.name ?? 'Error', code: e.code, statusCode: e.statusCode, message: e.message ?? String(error), accessDeniedDetail: e.accessDeniedDetail };
}
