/** Assertions on what the node-setup scripts did to a scratch node. */
import { expect } from 'vitest';
import { validateCredentialProviderConfig, type CredentialProvider } from '../support/kubelet-rules.js';
import type { ScratchNode, RunResult } from './scratch-node.js';
import { PATHS } from './scenarios.js';

/** The systemctl calls of one kubelet restart. */
export const RESTART = ['daemon-reload', 'restart kubelet'];

export function expectSuccess(result: RunResult): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

export const nodeText = (node: ScratchNode, path: string): string => node.read(path).toString('utf8');

/** The one provider of the node's kubelet config, after the kubelet's own checks. */
export function kubeletProvider(node: ScratchNode): CredentialProvider {
  const result = validateCredentialProviderConfig(nodeText(node, PATHS.kubeletConfig));
  if (!result.ok) throw new Error(result.error);
  expect(result.config.providers).toHaveLength(1);
  const [provider] = result.config.providers;
  if (!provider) throw new Error('no provider');
  expect(provider.name).toBe('aliyun-acr-credential-provider');
  expect(provider.args).toEqual(['--config=/etc/aliyun-acr-credential-provider/config.yaml']);
  return provider;
}
