/** What a fake service answers, before it is written to the socket. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Error code the reply carries, for the request log. */
  errorCode?: string;
}

export function jsonReply(status: number, body: unknown, errorCode?: string): Reply {
  const reply: Reply = { status, headers: { 'content-type': 'application/json;charset=utf-8' }, body: JSON.stringify(body) };
  if (errorCode !== undefined) reply.errorCode = errorCode;
  return reply;
}

export function textReply(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
