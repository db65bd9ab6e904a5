/** RAM authorisation of CR actions against the scenario's grants. */
import { ApiFailure } from './gateway.js';
import type { Principal } from './identities.js';
import { principalKey, type Scenario } from './scenario.js';

function actionMatches(granted: string, action: string): boolean {
  if (granted === '*' || granted === action) return true;
  return granted.endsWith(':*') && action.startsWith(granted.slice(0, -1));
}

/**
 * Whether the principal may perform `action` (e.g. 'cr:GetAuthorizationToken'), on
 * `instanceId` when the action targets one. The account's root key may do everything.
 */
export function isAllowed(scenario: Scenario, principal: Principal, action: string, instanceId?: string): boolean {
  if (principal.kind === 'root') return true;
  return (scenario.grants[principalKey(principal.id)] ?? []).some(
    (grant) =>
      grant.actions.some((granted) => actionMatches(granted, action)) &&
      (instanceId === undefined || grant.instanceIds === undefined || grant.instanceIds.includes(instanceId)),
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
