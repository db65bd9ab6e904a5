import type { ProviderConfig } from '../config/config.js';
import { ProviderError } from '../errors.js';
import { log } from '../log.js';
import { serve } from '../serve.js';
import { VERSION } from '../version.js';
import type { CommandLine } from './args.js';
import { print } from './output.js';
import { readStdin } from './stdin.js';

/** What Docker and the containers tools look for to treat an answer as "no credentials here". */
const NOT_FOUND = 'credentials not found in native keychain';

/**
 * The Docker credential-helper protocol (docker-credential-helpers): `get` reads a server
 * URL on stdin and prints {"ServerURL","Username","Secret"}; failures are a message on
 * stdout and exit 1. Credentials are issued on demand, so the helper is read-only: `store`
 * and `erase` are not implemented (as in other cloud registry helpers), and `list` is empty.
 */
export async function dockerCredential(line: CommandLine, config: ProviderConfig): Promise<number> {
  try {
    switch (line.operand) {
      case 'get':
        return await get(config);
      case 'list':
        return await print('{}\n');
      case 'store':
      case 'erase':
        await readStdin(1024 * 1024);
        return fail('not implemented: ACR credentials are issued on demand by the provider, no login is needed');
      case 'version':
        return await print(`${VERSION}\n`);
      default:
        throw new ProviderError(`unknown credential helper action ${JSON.stringify(line.operand)}`, { hint: 'use get, list, store, erase or version' });
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    log.error(error.oneLine());
    return fail(error.message);
  }
}

async function get(config: ProviderConfig): Promise<number> {
  const serverUrl = (await readStdin(64 * 1024)).trim();
  const host = registryHostOf(serverUrl);
  const response = await serve({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: `${host}/library` }, config, process.env);
  const credential = response.auth[host];
  if (!credential) return fail(NOT_FOUND);
  return print(`${JSON.stringify({ ServerURL: serverUrl, Username: credential.username, Secret: credential.password })}\n`);
}

/** The host[:port] of a server URL as Docker and the containers tools pass it ("host", "https://host/v2/"). */
function registryHostOf(serverUrl: string): string {
  if (serverUrl === '') throw new ProviderError('expected a registry server URL on stdin');
  const withoutScheme = serverUrl.replace(/^[a-z]+:\/\//i, '');
  return (withoutScheme.split('/')[0] ?? '').toLowerCase();
}

async function fail(message: string): Promise<number> {
  await print(`${message}\n`);
  return 1;
}
