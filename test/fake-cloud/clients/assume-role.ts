/**
 * Test client: gets role credentials through @alicloud/credentials (`ram_role_arn` or
 * `oidc_role_arn`, i.e. STS AssumeRole / AssumeRoleWithOIDC as that library sends them),
 * then optionally makes API calls with them. Reads an AssumeRoleSpec as JSON on stdin and
 * prints an AssumeRoleOutcome (no secrets).
 */
import credentials from '@alicloud/credentials';
import { errorSummary, readStdinJson } from './common.js';
import { callAll, rpcClient, type RpcCall, type RpcClientOptions, type RpcOutcome } from './rpc-sdk.js';

export interface AssumeRoleSpec {
  /** Passed to `new Config()`: type 'ram_role_arn' or 'oidc_role_arn' and its fields. */
  config: Record<string, unknown>;
  /** Calls made afterwards with the role's credentials. */
  then?: RpcClientOptions & { calls: RpcCall[] };
}

export type AssumeRoleOutcome =
  | { ok: true; accessKeyId: string; hasSecurityToken: boolean; outcomes: RpcOutcome[] }
  | ({ ok: false } & ReturnType<typeof errorSummary>);

async function assume(spec: AssumeRoleSpec): Promise<AssumeRoleOutcome> {
  const credential = new credentials.default(new credentials.Config(spec.config));
  try {
    const model = await credential.getCredential();
    const outcomes = spec.then ? await callAll(rpcClient(credential, spec.then), spec.then.calls) : [];
    return { ok: true, accessKeyId: model.accessKeyId ?? '', hasSecurityToken: Boolean(model.securityToken), outcomes };
  } catch (error) {
    return { ok: false, ...errorSummary(error) };
  }
}

process.stdout.write(JSON.stringify(await assume(await readStdinJson<AssumeRoleSpec>())));
