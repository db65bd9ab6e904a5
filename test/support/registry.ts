/**
 * A real registry for an ACR domain inside a fake cloud's namespace, and a real client for it:
 * Debian's docker-registry (distribution 2.8) with token auth through the fake's registry
 * token service, and skopeo. Both come from scripts/setup-machine.sh.
 *
 *   const cloud = await startFakeCloud({ extraHosts: { [domain]: REGISTRY_ADDRESS } });
 *   const registry = await startRegistry(cloud, { domain, instanceId, regionId, dir });
 *   await skopeo(cloud, dir, ['copy', '--dest-creds', 'user:pass', `oci:${image.layout}:v1`, `docker://${domain}/team/app:v1`]);
 *   await registry.stop();
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { REGISTRY_TOKEN_ISSUER } from '../fake-cloud/registry-token.js';
import type { BackgroundProcess, FakeCloud, RunResult } from './cloud.js';

export const SKOPEO = '/usr/bin/skopeo';
export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
/** The fake cloud's APIs hold 127.0.0.1:443; a registry gets an address of its own (all of 127/8 is local). */
export const REGISTRY_ADDRESS = '127.0.0.2';

export interface RegistryOptions {
  /** The ACR domain it serves, e.g. acme-registry.cn-hangzhou.cr.aliyuncs.com: map it to REGISTRY_ADDRESS with the scenario's extraHosts. */
  domain: string;
  /** The instance the domain belongs to: the token service only accepts passwords issued for it. */
  instanceId: string;
  regionId: string;
  /** Scratch directory for its config and storage. */
  dir: string;
}

/** Starts the registry on REGISTRY_ADDRESS:443 with the fake's server certificate; resolves once it listens. */
export async function startRegistry(cloud: FakeCloud, options: RegistryOptions): Promise<BackgroundProcess> {
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'text' },
    storage: { filesystem: { rootdirectory: join(options.dir, 'storage') } },
    http: { addr: `${REGISTRY_ADDRESS}:443`, secret: 'fake-cloud-test-registry', tls: { certificate: cloud.tls.certPath, key: cloud.tls.keyPath } },
    auth: {
      token: {
        realm: `https://dockerauth-ee.${options.regionId}.aliyuncs.com/auth`,
        // The fake's token service takes the instance id as the service name.
        service: options.instanceId,
        issuer: REGISTRY_TOKEN_ISSUER,
        rootcertbundle: cloud.tls.tokenCertPath,
      },
    },
  };
  const configPath = join(options.dir, 'registry.yml');
  // JSON is YAML: the registry reads it as is.
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return cloud.start([DOCKER_REGISTRY, 'serve', configPath], { ready: /listening on .*, tls/ });
}

/**
 * Runs `skopeo <args>` inside the namespace, trusting the test CA, with an accept-anything
 * signature policy and a HOME in `dir` (nothing of the machine's containers config is used).
 */
export async function skopeo(cloud: FakeCloud, dir: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const policy = join(dir, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  return cloud.run([SKOPEO, '--policy', policy, ...args], { env: { SSL_CERT_FILE: cloud.caCertPath, HOME: home, ...env }, timeoutMs: 20_000 });
}

export interface OciImage {
  /** The layout directory, for `oci:<layout>:<tag>`. */
  layout: string;
  /** The layer blob exactly as stored (gzipped tar), to compare with what a pull brings back. */
  layer: Buffer;
  layerDigest: string;
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * Writes a one-layer image as an OCI image layout in `dir`, tagged `tag`: the files go into a
 * gzipped tar (already compressed, so no copy re-compresses it and the bytes stay comparable).
 */
export async function writeOciImage(dir: string, tag: string, files: Record<string, string>): Promise<OciImage> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(rootfs, name), content);
  const tar = (await promisify(execFile)('tar', ['-cf', '-', '--owner=0', '--group=0', '-C', rootfs, ...Object.keys(files)], { encoding: 'buffer' })).stdout;
  const layer = gzipSync(tar);

  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const blob = async (mediaType: string, data: Buffer | string) => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice('sha256:'.length)), data);
    return { mediaType, digest, size: Buffer.byteLength(data) };
  };
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await blob('application/vnd.oci.image.config.v1+json', config),
    layers: [await blob('application/vnd.oci.image.layer.v1.tar+gzip', layer)],
  });
  const index = {
    schemaVersion: 2,
    manifests: [{ ...(await blob('application/vnd.oci.image.manifest.v1+json', manifest)), annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { layout, layer, layerDigest: sha256(layer) };
}
