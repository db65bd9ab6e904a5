/**
 * A test CA, a server certificate for every API host the fake serves and every ACR
 * registry domain (a test's registry uses it too), and the key and self-signed certificate
 * the registry token service signs its JWTs with, made with the openssl CLI. They are cached (keyed by the host list) so that starting a fake cloud
 * does not pay for key generation, and regenerated when missing or about to expire.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CENTRAL_STS_HOST, TEST_REGIONS } from './regions.js';

const run = promisify(execFile);

export interface TlsMaterial {
  /** PEM of the test CA: what clients must trust (NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  certPath: string;
  keyPath: string;
  /** Signs the registry token service's JWTs; its certificate is the registry's `rootcertbundle`. */
  tokenCertPath: string;
  tokenKeyPath: string;
}

/** Bump to invalidate caches when the way certificates are made changes. */
const FORMAT = 'v2';
const MIN_REMAINING_MS = 7 * 24 * 3600 * 1000;

/**
 * The DNS names on the server certificate. A wildcard covers one label only, hence one per
 * region: API hosts `*.<region>.aliyuncs.com`, registry domains `*.<region>.cr.aliyuncs.com`.
 */
function certificateHostNames(): string[] {
  return [CENTRAL_STS_HOST, '*.aliyuncs.com', ...TEST_REGIONS.flatMap((region) => [`*.${region}.aliyuncs.com`, `*.${region}.cr.aliyuncs.com`])];
}

function paths(dir: string): TlsMaterial {
  return {
    caCertPath: join(dir, 'ca.pem'),
    certPath: join(dir, 'server.pem'),
    keyPath: join(dir, 'server-key.pem'),
    tokenCertPath: join(dir, 'token-signer.pem'),
    tokenKeyPath: join(dir, 'token-signer-key.pem'),
  };
}

async function usable(material: TlsMaterial): Promise<boolean> {
  try {
    const deadline = Date.now() + MIN_REMAINING_MS;
    for (const file of [material.caCertPath, material.certPath, material.tokenCertPath]) {
      if (Date.parse(new X509Certificate(await readFile(file)).validTo) < deadline) return false;
    }
    await Promise.all([readFile(material.keyPath), readFile(material.tokenKeyPath)]);
    return true;
  } catch {
    return false;
  }
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function generate(dir: string, hostNames: string[]): Promise<void> {
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=fake-cloud test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=aliyuncs.com',
  ]);
  await writeFile(
    join(dir, 'server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${hostNames.map((name) => `DNS:${name}`).join(',')}`,
      '',
    ].join('\n'),
  );
  await openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial',
    '-days', '825', '-sha256', '-extfile', 'server.ext', '-out', 'server.pem',
  ]);
  // Self-signed: the registry trusts exactly this certificate (ES256 tokens carry it in x5c).
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'token-signer-key.pem', '-out', 'token-signer.pem', '-days', '825', '-subj', '/CN=fake-cloud registry token signer',
    '-addext', 'keyUsage=critical,digitalSignature',
  ]);
}

/**
 * Moves a fresh set into place. If the directory exists, another test file either just
 * made a fresh set (keep it: it may be in use) or it holds an unusable one (replace it).
 */
async function install(scratch: string, dir: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await rename(scratch, dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    if (await usable(paths(dir))) return;
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error(`could not install TLS material in ${dir}`);
}

/** Returns cached TLS material under `cacheRoot`, generating it first if needed. */
export async function ensureTlsMaterial(cacheRoot: string): Promise<TlsMaterial> {
  const hostNames = certificateHostNames();
  const key = createHash('sha256').update(`${FORMAT}\n${hostNames.join('\n')}`).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, key);
  if (await usable(paths(dir))) return paths(dir);

  // Generate aside and rename into place, so parallel test files never see half a set.
  await mkdir(cacheRoot, { recursive: true });
  const scratch = await mkdtemp(join(cacheRoot, `tmp-${key}-`));
  try {
    await generate(scratch, hostNames);
    await install(scratch, dir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return paths(dir);
}

