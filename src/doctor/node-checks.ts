import type { Cloud } from '../cloud.js';
import type { IdentityPlan } from '../identity/plan.js';
import { fail, failFrom, ok, warn, type CheckResult } from './check.js';

/** The ECS metadata service, hardened mode, the attached role and its credentials, the region. */
export async function nodeChecks(cloud: Cloud, plan: IdentityPlan): Promise<{ results: CheckResult[]; regionId?: string }> {
  const results: CheckResult[] = [];
  const needed = plan.base.kind === 'node-role';
  let hardened: boolean;
  try {
    hardened = await cloud.metadata.hardenedMode();
  } catch (error) {
    const result = failFrom('metadata', error);
    results.push(needed ? result : warn(result.check, `${result.message} (not needed: the provider uses ${describe(plan)})`));
    return { results };
  }
  results.push(
    hardened
      ? ok('metadata', 'ECS metadata service reachable, hardened mode (session token) in use')
      : warn('metadata', 'ECS metadata service reachable, but only without a session token (hardened mode unavailable)', 'set the instance metadata options to hardened mode (HttpTokens required): tokenless reads can be abused by SSRF'),
  );
  let regionId: string | undefined;
  try {
    regionId = await cloud.metadata.regionId();
    results.push(ok('region', `node region ${regionId}`));
  } catch (error) {
    results.push(failFrom('region', error));
  }
  if (!needed) {
    results.push(ok('identity', `the provider uses ${describe(plan)}`));
    return { results, regionId };
  }
  try {
    const credentials = await cloud.metadata.roleCredentials();
    const minutes = Math.round(((credentials.expiresAtMs ?? 0) - Date.now()) / 60_000);
    results.push(
      minutes > 0
        ? ok('role', `${credentials.principal} attached; its credentials are valid for ${minutes} more minutes`)
        : fail('role', `${credentials.principal} has expired credentials`, 'the metadata service should rotate them; check the instance and its clock'),
    );
  } catch (error) {
    results.push(failFrom('role', error));
  }
  return { results, regionId };
}

export function describe(plan: IdentityPlan): string {
  const base = plan.base.kind === 'access-key' ? `an AccessKey from ${plan.base.origin}` : plan.base.kind === 'rrsa' ? `RRSA role ${plan.base.roleArn}` : "the node's RAM role";
  return plan.assume ? `${base}, then ${plan.assume.roleArn}` : base;
}
