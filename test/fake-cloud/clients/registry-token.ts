/**
 * Test client: token requests to the registry token service (dockerauth-ee), as a registry
 * client sends them after a Bearer challenge. Reads RegistryTokenRequest[] as JSON on stdin
 * and prints [{ status, body, header?, claims? }] (the JWT decoded, not verified).
 */
import { readStdinJson } from './common.js';

export interface RegistryTokenRequest {
  /** Default: dockerauth-ee.cn-hangzhou.aliyuncs.com. */
  host?: string;
  service?: string;
  scopes: string[];
  /** HTTP Basic credentials; absent = none. */
  basic?: { username: string; password: string };
}

export interface RegistryTokenResult {
  status: number;
  body: Record<string, unknown>;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

async function request(r: RegistryTokenRequest): Promise<RegistryTokenResult> {
  const url = new URL(`https://${r.host ?? 'dockerauth-ee.cn-hangzhou.aliyuncs.com'}/auth`);
  if (r.service !== undefined) url.searchParams.set('service', r.service);
  for (const scope of r.scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = r.basic ? { authorization: `Basic ${Buffer.from(`${r.basic.username}:${r.basic.password}`).toString('base64')}` } : {};
  const response = await fetch(url, { headers });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.token !== 'string') return { status: response.status, body };
  const [header, claims] = body.token.split('.');
  return { status: response.status, body, header: decode(header), claims: decode(claims) };
}

const requests = await readStdinJson<RegistryTokenRequest[]>();
process.stdout.write(JSON.stringify(await Promise.all(requests.map(request))));
