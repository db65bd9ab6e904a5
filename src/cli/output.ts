import { writeSync } from 'node:fs';

/**
 * Writes all of `text` to stdout before the process exits; resolves to exit code 0. A
 * blocking write to fd 1 spares a run building process.stdout; a non-blocking stdout
 * (EAGAIN) gets the rest through the stream.
 */
export async function print(text: string): Promise<number> {
  let rest = Buffer.from(text, 'utf8');
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(1, rest));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    await new Promise<void>((resolve, reject) => process.stdout.write(rest, (failure) => (failure ? reject(failure) : resolve())));
  }
  return 0;
}
