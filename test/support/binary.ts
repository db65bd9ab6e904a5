import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** The built single-file executable for this machine (`npm run build` makes it). */
export const providerBinary = fileURLToPath(new URL(`../../dist/aliyun-acr-credential-provider-linux-${ARCH[process.arch] ?? process.arch}`, import.meta.url));

if (!existsSync(providerBinary)) {
  throw new Error(`${providerBinary} is missing: run \`npm run build\` first (npm test does)`);
}

/** A CredentialProviderRequest exactly as the kubelet writes it: compact JSON and a newline. */
export function kubeletRequest(image: string, apiVersion = 'credentialprovider.kubelet.k8s.io/v1', extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion, image, ...extra })}\n`;
}
