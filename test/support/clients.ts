/** Runs the fake cloud's test clients (test/fake-cloud/clients/*: the real Alibaba SDKs) inside its namespace. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiCallSpec } from '../fake-cloud/clients/api-call.js';
import type { RpcOutcome } from '../fake-cloud/clients/rpc-sdk.js';
import type { FakeCloud } from './cloud.js';

const CLIENTS = fileURLToPath(new URL('../fake-cloud/clients/', import.meta.url));

/** Runs a client script inside the namespace with `input` on stdin; returns its JSON output. */
export async function runClient<T>(target: FakeCloud, script: string, input: unknown): Promise<T> {
  const result = await target.run([process.execPath, '--import', 'tsx', join(CLIENTS, script)], { stdin: JSON.stringify(input) });
  if (result.code !== 0) throw new Error(`${script} exited ${result.code ?? result.signal}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Makes API calls in order with the real SDK; returns their outcomes. */
export const apiCalls = (target: FakeCloud, spec: ApiCallSpec) => runClient<RpcOutcome[]>(target, 'api-call.ts', spec);
