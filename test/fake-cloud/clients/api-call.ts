/**
 * Test client: reads an ApiCallSpec as JSON on stdin, makes the calls in order with the
 * real SDK and prints the outcomes as a JSON array. Runs inside the fake cloud's namespace.
 */
import { credentialFor, readStdinJson, type ClientCredential } from './common.js';
import { callAll, rpcClient, type RpcCall, type RpcClientOptions } from './rpc-sdk.js';

export interface ApiCallSpec extends RpcClientOptions {
  credential: ClientCredential;
  calls: RpcCall[];
}

const spec = await readStdinJson<ApiCallSpec>();
process.stdout.write(JSON.stringify(await callAll(rpcClient(credentialFor(spec.credential), spec), spec.calls)));
