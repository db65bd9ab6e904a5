/** Writes all of `text` to stdout before the process exits; resolves to exit code 0. */
export function print(text: string): Promise<number> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve(0))));
}
