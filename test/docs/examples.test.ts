// Every config the README and examples/ show is one the kubelet and the provider accept.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INSTANCE_KEYS, parseConfig, TOP_LEVEL_KEYS } from '../../src/config/config.js';
import { providerMatchesImage, validateCredentialProviderConfig } from '../support/kubelet-rules.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => (match[1] as string).replace(/^ {3}/gm, ''));

describe('kubelet CredentialProviderConfig examples', () => {
  const configs = [read('examples/credential-provider-config.yaml'), ...yamlBlocks.filter((block) => block.includes('kind: CredentialProviderConfig'))];

  it('the README shows one', () => expect(configs.length).toBeGreaterThan(1));

  it.each(configs.map((text, index) => [index, text]))('#%i passes the kubelet validation and matches ACR images only', (_index, text) => {
    const result = validateCredentialProviderConfig(text as string);
    if (!result.ok) throw new Error(result.error);
    const provider = result.config.providers[0];
    expect(provider?.name).toBe('aliyun-acr-credential-provider');
    for (const image of ['acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app', 'acme-registry-vpc.ap-southeast-1.cr.aliyuncs.com/a/b', 'registry.acme.example/team/app']) {
      expect(providerMatchesImage(provider, image), image).toBe(true);
    }
    for (const image of ['docker.io/library/nginx', 'cr.aliyuncs.com/x', 'registry.example.com/team/app', 'acme-registry.cn-hangzhou.cr.aliyuncs.com.evil.example/x']) {
      expect(providerMatchesImage(provider, image), image).toBe(false);
    }
  });
});

describe('provider config examples', () => {
  it('examples/provider-config.yaml is valid', async () => {
    const config = await parseConfig(read('examples/provider-config.yaml'), 'examples/provider-config.yaml');
    expect(config.instances).toHaveLength(1);
  });

  it('the README documents every config key and no other', () => {
    const documented = [...readme.matchAll(/^\| `([a-zA-Z]+(?:\[\]\.[a-zA-Z]+)?)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...TOP_LEVEL_KEYS, ...INSTANCE_KEYS.map((key) => `instances[].${key}`)].sort());
  });
});
