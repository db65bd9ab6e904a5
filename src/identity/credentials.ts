/** Alibaba Cloud credentials as the API clients need them, with what they act as. */
export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** Present for STS credentials (RAM roles); absent for a plain AccessKey pair. */
  securityToken?: string;
  /** Epoch ms after which the credentials stop working; absent for an AccessKey pair. */
  expiresAtMs?: number;
  /** Who these credentials act as, in words for messages: `the node's RAM role "…"`. */
  principal: string;
}
