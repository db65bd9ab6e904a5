// Every config the README and examples/ show is one the kubelet and the provider accept.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CACHE_KEYS, INSTANCE_KEYS, parseConfig, RRSA_KEYS, TOP_LEVEL_KEYS } from '../../src/config/config.js';
import { ROLE_ARN_ANNOTATION } from '../../src/identity/plan.js';
import { providerMatchesImage, validateCredentialProviderConfig } from '../support/kubelet-rules.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => dedent(match[1] as string));

/** Blocks inside numbered list items are indented as a whole. */
function dedent(block: string): string {
  const indent = Math.min(...block.split('\n').filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0));
  return block.replace(new RegExp(`^ {${indent}}`, 'gm'), '');
}

describe('kubelet CredentialProviderConfig examples', () => {
  const configs = [read('examples/credential-provider-config.yaml'), ...yamlBlocks.filter((block) => block.includes('kind: CredentialProviderConfig'))];

  it('the README shows them', () => expect(configs.length).toBeGreaterThan(2));

  it.each(configs.map((text, index) => [index, text]))('#%i passes the kubelet validation and matches ACR images only', (_index, text) => {
    const result = validateCredentialProviderConfig(text as string);
    if (!result.ok) throw new Error(result.error);
    const provider = result.config.providers[0];
    if (!provider) throw new Error('no provider');
    expect(provider.name).toBe('aliyun-acr-credential-provider');
    const images = ['acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app', 'acme-registry-vpc.ap-southeast-1.cr.aliyuncs.com/a/b'];
    if (provider.matchImages.includes('registry.acme.example')) images.push('registry.acme.example/team/app');
    for (const image of images) expect(providerMatchesImage(provider, image), image).toBe(true);
    for (const image of ['docker.io/library/nginx', 'cr.aliyuncs.com/x', 'registry.example.com/team/app', 'acme-registry.cn-hangzhou.cr.aliyuncs.com.evil.example/x']) {
      expect(providerMatchesImage(provider, image), image).toBe(false);
    }
    if (provider.tokenAttributes) {
      expect(provider.tokenAttributes.optionalServiceAccountAnnotationKeys).toContain(ROLE_ARN_ANNOTATION);
    }
  });
});

describe('provider config examples', () => {
  const providerConfigs = yamlBlocks.filter((block) => !block.includes('kind:') && /^(instances|rrsa|expiringThreshold):/m.test(block));

  it('the README shows one per identity method', () => expect(providerConfigs.length).toBeGreaterThanOrEqual(4));

  it('examples/provider-config.yaml is valid', async () => {
    const config = await parseConfig(read('examples/provider-config.yaml'), 'examples/provider-config.yaml');
    expect(config.instances).toHaveLength(1);
  });

  it.each(providerConfigs.map((text, index) => [index, text]))('README block #%i is valid', async (_index, text) => {
    await expect(parseConfig(text as string, 'README.md')).resolves.toBeDefined();
  });

  it('the README documents every config key and no other', () => {
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## How an image is served'));
    const documented = [...section.matchAll(/^\| `([a-zA-Z]+(?:(?:\[\])?\.[a-zA-Z]+)?)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...TOP_LEVEL_KEYS, ...RRSA_KEYS.map((key) => `rrsa.${key}`), ...CACHE_KEYS.map((key) => `cache.${key}`), ...INSTANCE_KEYS.map((key) => `instances[].${key}`)].sort());
  });
});
