import type { ProviderConfig } from '../config/config.js';
import type { CredentialProviderResponse } from '../kubelet/response.js';
import { encodeResponse } from '../kubelet/response.js';
import { serve } from '../serve.js';
import type { CommandLine } from './args.js';
import { print } from './output.js';

/** `get-credentials IMAGE`: the kubelet's path for IMAGE, printed for a person. */
export async function getCredentials(line: CommandLine, config: ProviderConfig): Promise<number> {
  const image = line.operand as string;
  const response = await serve({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image }, config, process.env);
  return print(`${JSON.stringify(line.showSecret ? JSON.parse(encodeResponse(response)) : redacted(response), null, 2)}\n`);
}

function redacted(response: CredentialProviderResponse): unknown {
  const shown = JSON.parse(encodeResponse(response)) as { auth: Record<string, { password: string }> };
  for (const entry of Object.values(shown.auth)) entry.password = `<redacted, ${entry.password.length} characters; --show-secret prints it>`;
  return shown;
}
