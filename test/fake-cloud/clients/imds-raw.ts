/**
 * Test client: plain HTTP requests to the metadata service (100.100.100.200), in order.
 * Reads ImdsStep[] as JSON on stdin and prints [{ status, body }].
 */
import http from 'node:http';
import { readStdinJson } from './common.js';

export interface ImdsStep {
  method: 'GET' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  /** Send the body of that earlier step (a session token) as X-aliyun-ecs-metadata-token. */
  tokenFromStep?: number;
}

export interface ImdsResult {
  status: number;
  body: string;
}

function request(step: ImdsStep, token: string | undefined): Promise<ImdsResult> {
  const headers = { ...step.headers, ...(token === undefined ? {} : { 'X-aliyun-ecs-metadata-token': token }) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '100.100.100.200', port: 80, method: step.method, path: step.path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const steps = await readStdinJson<ImdsStep[]>();
const results: ImdsResult[] = [];
for (const step of steps) {
  results.push(await request(step, step.tokenFromStep === undefined ? undefined : results[step.tokenFromStep]?.body));
}
process.stdout.write(JSON.stringify(results));
