import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ProviderConfig } from '../config/config.js';
import { ROLE_ARN_ANNOTATION } from '../identity/plan.js';
import { providerMatchesImage, validateCredentialProviderConfig, type CredentialProvider } from '../kubelet/rules.js';
import { fail, ok, skip, warn, type CheckResult } from './check.js';

const CONFIG_FLAG = '--image-credential-provider-config';
const BIN_DIR_FLAG = '--image-credential-provider-bin-dir';
/** Where node setups put the kubelet's flags: ACK, Debian and RHEL kubeadm packages, systemd drop-ins. */
const FLAG_FILES = ['/etc/kubernetes/kubelet-customized-args.conf', '/etc/default/kubelet', '/etc/sysconfig/kubelet'];
const DROP_IN_DIR = '/etc/systemd/system/kubelet.service.d';
/** The name the install steps and node-setup give the binary. */
const PROVIDER_NAME = 'aliyun-acr-credential-provider';

export interface KubeletLocations {
  configPath?: string;
  binDir?: string;
}

/**
 * The kubelet's CredentialProviderConfig and flags: found, strictly valid, a provider named
 * like this binary and present in the bin dir, and matchImages that cover every configured
 * domain (and the Enterprise Edition domains of the node's region).
 */
export async function kubeletChecks(given: KubeletLocations, config: ProviderConfig, domains: string[], regionId: string | undefined): Promise<CheckResult[]> {
  const found = { ...(await discoverFlags()), ...definedOnly(given) };
  if (!found.configPath) {
    return [fail('kubelet flags', `the kubelet is not started with ${CONFIG_FLAG}`, `add ${CONFIG_FLAG} and ${BIN_DIR_FLAG} to the kubelet's flags (node-setup does it), or pass --kubelet-config`)];
  }
  const results: CheckResult[] = [ok('kubelet flags', `${CONFIG_FLAG}=${found.configPath}${found.binDir ? ` ${BIN_DIR_FLAG}=${found.binDir}` : ''}`)];
  const providers: CredentialProvider[] = [];
  for (const file of await configFiles(found.configPath)) {
    const validation = validateCredentialProviderConfig(await readFile(file, 'utf8'));
    if (!validation.ok) {
      results.push(fail('kubelet config', `${file} would be rejected by the kubelet (which then exits): ${validation.error}`, 'fix the file; the kubelet decodes it strictly'));
      return results;
    }
    providers.push(...validation.config.providers);
  }
  results.push(ok('kubelet config', `${found.configPath} is a valid CredentialProviderConfig with ${providers.length} provider(s)`));

  const provider = (await providerRunningThisBinary(providers, found.binDir)) ?? providers.find((candidate) => candidate.name === PROVIDER_NAME);
  if (!provider) {
    results.push(
      fail('provider entry', `no provider runs this binary or is named ${PROVIDER_NAME} (found: ${providers.map((p) => p.name).join(', ') || 'none'})`, `the provider name must equal the binary's file name in the bin dir`),
    );
    return results;
  }
  results.push(await binaryCheck(found.binDir, provider.name));
  if (provider.tokenAttributes && config.rrsa.oidcProviderArn === undefined && !config.instances.some((entry) => entry.rrsaOIDCProviderRoleARN)) {
    results.push(warn('provider entry', 'the kubelet sends service account tokens (tokenAttributes), but no OIDC provider is configured', 'set rrsa.oidcProviderArn in the provider config, or drop tokenAttributes'));
  }
  if (provider.tokenAttributes && !provider.tokenAttributes.optionalServiceAccountAnnotationKeys.includes(ROLE_ARN_ANNOTATION) && !provider.tokenAttributes.requiredServiceAccountAnnotationKeys.includes(ROLE_ARN_ANNOTATION)) {
    results.push(warn('provider entry', `tokenAttributes does not pass the ${ROLE_ARN_ANNOTATION} annotation`, `add it to optionalServiceAccountAnnotationKeys`));
  }

  const wanted = [...domains];
  if (regionId) wanted.push(`example-registry.${regionId}.cr.aliyuncs.com`, `example-registry-vpc.${regionId}.cr.aliyuncs.com`);
  const uncovered = wanted.filter((domain) => !providerMatchesImage(provider, `${domain}/team/app`));
  results.push(
    uncovered.length === 0
      ? ok('matchImages', `${provider.matchImages.join(', ')} cover${wanted.length ? ` ${wanted.join(', ')}` : ''}`)
      : fail(
          'matchImages',
          `matchImages ${JSON.stringify(provider.matchImages)} never match ${uncovered.join(', ')}, so the kubelet will not ask the provider for them`,
          'globs match one domain label per "*" ("*.*.cr.aliyuncs.com"), ports must be equal, and a path is a literal prefix: never write "host/*"',
        ),
  );
  return results;
}

/** The provider entry whose <bin dir>/<name> is this very file (the name may differ from ours). */
async function providerRunningThisBinary(providers: CredentialProvider[], binDir: string | undefined): Promise<CredentialProvider | undefined> {
  if (!binDir) return undefined;
  const self = await stat(process.execPath);
  for (const provider of providers) {
    const info = await stat(join(binDir, provider.name)).catch(() => undefined);
    if (info && info.ino === self.ino && info.dev === self.dev) return provider;
  }
  return undefined;
}

async function binaryCheck(binDir: string | undefined, name: string): Promise<CheckResult> {
  if (!binDir) return skip('provider binary', `${BIN_DIR_FLAG} not found; cannot check the binary`);
  const path = join(binDir, name);
  try {
    await access(path, constants.X_OK);
    return ok('provider binary', `${path} is executable`);
  } catch {
    return fail('provider binary', `${path} is missing or not executable; the kubelet exits at start when it is`, `install the binary there with mode 0755`);
  }
}

/** The flags of a running kubelet, else those written in the usual files. */
async function discoverFlags(): Promise<KubeletLocations> {
  const sources: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (basename(argv[0] ?? '') === 'kubelet') sources.push(argv.join(' '));
  }
  const dropIns = await readdir(DROP_IN_DIR).catch(() => [] as string[]);
  for (const file of [...FLAG_FILES, ...dropIns.map((entry) => join(DROP_IN_DIR, entry))]) sources.push(await readFile(file, 'utf8').catch(() => ''));
  const flag = (name: string) => {
    for (const text of sources) {
      const match = new RegExp(`${name}[= ]("?)([^\\s"]+)\\1`).exec(text);
      if (match) return match[2];
    }
    return undefined;
  };
  return definedOnly({ configPath: flag(CONFIG_FLAG), binDir: flag(BIN_DIR_FLAG) });
}

/** The flag names a file, or (kubelet 1.34+) a directory of *.json, *.yaml and *.yml files. */
async function configFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  return (await readdir(path))
    .filter((entry) => /\.(json|ya?ml)$/.test(entry))
    .sort()
    .map((entry) => join(path, entry));
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
