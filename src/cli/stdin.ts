import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { ProviderError } from '../errors.js';

/**
 * Reads stdin to EOF as UTF-8, refusing more than `limit` bytes. The kubelet writes a few
 * hundred bytes into a pipe and closes it, so a blocking read is the quickest; a stdin that
 * is non-blocking (EAGAIN) is read as a stream instead.
 */
export async function readStdin(limit: number): Promise<string> {
  // isatty, not process.stdin.isTTY: building the stdin stream costs a run time it rarely needs.
  if (isatty(0)) {
    throw new ProviderError('expected a CredentialProviderRequest on stdin, but stdin is a terminal', {
      hint: 'pipe a request in, e.g. echo \'{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"…"}\' | aliyun-acr-credential-provider',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const take = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) throw new ProviderError(`the request on stdin is larger than ${limit} bytes; a CredentialProviderRequest is a few hundred`);
    chunks.push(chunk);
  };
  try {
    const buffer = Buffer.alloc(64 * 1024);
    for (let read; (read = readSync(0, buffer)) > 0; ) take(Buffer.from(buffer.subarray(0, read)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) take(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
