/** Registry passwords handed out by GetAuthorizationToken, and who got them. */

export interface IssuedToken {
  instanceId: string;
  username: string;
  password: string;
  /** Role ARN or AccessKey id that called GetAuthorizationToken. */
  principal: string;
  accountId: string;
  issuedAtMs: number;
  expireTimeMs: number;
}

export class IssuedTokens {
  private readonly tokens: IssuedToken[] = [];

  add(token: IssuedToken): void {
    this.tokens.push(token);
  }

  list(): IssuedToken[] {
    return this.tokens;
  }
}
