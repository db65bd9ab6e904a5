/** RAM authorisation of CR actions against the scenario's grants. */
import { ApiFailure } from './gateway.js';
import type { Principal } from './identities.js';
import { principalKey, type GrantScenario, type Scenario } from './scenario.js';

function actionMatches(granted: string, action: string): boolean {
  if (granted === '*' || granted === action) return true;
  return granted.endsWith(':*') && action.startsWith(granted.slice(0, -1));
}

/**
 * What a CR action acts on: one Enterprise instance, the account as a whole (ListInstance),
 * or the Personal Edition registry. Grants restricted to instances cover the first two only:
 * a Personal Edition registry is not one of the instances.
 */
export type CrResource = { instanceId: string } | 'account' | 'personal';

function grantCovers(grant: GrantScenario, resource: CrResource): boolean {
  if (grant.instanceIds === undefined || resource === 'account') return true;
  return resource !== 'personal' && grant.instanceIds.includes(resource.instanceId);
}

/** Whether the principal may perform `action` (e.g. 'cr:GetAuthorizationToken') on `resource`. The account's root key may do everything. */
export function isAllowed(scenario: Scenario, principal: Principal, action: string, resource: CrResource = 'account'): boolean {
  if (principal.kind === 'root') return true;
  return (scenario.grants[principalKey(principal.id)] ?? []).some(
    (grant) => grant.actions.some((granted) => actionMatches(granted, action)) && grantCovers(grant, resource),
  );
}

export function forbidden(principal: Principal, action: string): ApiFailure {
  return new ApiFailure(403, 'Forbidden.RAM', "User not authorized to operate on the specified resource, or this API doesn't support RAM.", {
    AccessDeniedDetail: {
      PolicyType: 'AccountLevelIdentityBasedPolicy',
      AuthPrincipalOwnerId: principal.accountId,
      AuthPrincipalType: principal.kind === 'role' ? 'AssumedRoleUser' : 'SubUser',
      AuthPrincipalDisplayName: principal.id,
      NoPermissionType: 'ImplicitDeny',
      AuthAction: action,
    },
  });
}
