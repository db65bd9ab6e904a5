import { ProviderError } from '../errors.js';

/** Reads stdin to EOF as UTF-8, refusing more than `limit` bytes. */
export async function readStdin(limit: number): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ProviderError('expected a CredentialProviderRequest on stdin, but stdin is a terminal', {
      hint: 'pipe a request in, e.g. echo \'{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"…"}\' | aliyun-acr-credential-provider',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ProviderError(`the request on stdin is larger than ${limit} bytes; a CredentialProviderRequest is a few hundred`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
