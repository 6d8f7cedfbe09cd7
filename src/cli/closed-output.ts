/**
 * `aws-mfa-refresh --help | head -1`: the reader goes away and our next write fails with EPIPE
 * (Node ignores SIGPIPE, so the error arrives as an 'error' event, unhandled = a stack trace).
 * Nobody is left to read the rest: stop at once, quietly. The status is 0, as the reader got what
 * it asked for (and `set -o pipefail` scripts do not fail on `| head`).
 */
export function endQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw error;
  });
  // A closed stderr leaves nowhere to report anything; do not crash on it either.
  process.stderr.on('error', () => {});
}
