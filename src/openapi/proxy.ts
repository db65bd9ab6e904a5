import https from 'node:https';

/**
 * Sends the API calls through HTTPS_PROXY / HTTP_PROXY (honouring NO_PROXY) when the
 * environment names one, as set through `env` in the kubelet's CredentialProviderConfig.
 *
 * The SDK's HTTP layer (httpx) has no proxy support and creates its https.Agent when it is
 * loaded, so this module replaces the Agent class before that (call-api.ts imports it ahead
 * of the SDK) with one that reads the proxy from the environment (Node's proxyEnv).
 */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

if (PROXY_VARIABLES.some((name) => process.env[name])) {
  const Base = https.Agent;
  https.Agent = class ProxyAgent extends Base {
    constructor(options: https.AgentOptions = {}) {
      super({ ...options, proxyEnv: process.env } as https.AgentOptions);
    }
  } as typeof https.Agent;
}
