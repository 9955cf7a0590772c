/** How the CLI writes (so tests can capture it) and its exit codes. */
export const EXIT = { pass: 0, violation: 1, usage: 2, inconclusive: 3 } as const;

export interface Out {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

export const nodeOut: Out = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  isTTY: Boolean(process.stdout.isTTY),
};

/**
 * A closed pipe (`mmcheck check | head`) is not an error worth a stack trace:
 * stop quietly with the exit code computed so far.
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
}
