import { trackStream } from '../platform/early-exit.js';
import { processWide } from '../platform/process-wide.js';

/**
 * `aws-mfa-refresh --help | head -1`: the reader goes away and our next write fails with EPIPE
 * (Node ignores SIGPIPE, so the error arrives as an 'error' event, unhandled = a stack trace).
 * Nobody is left to read the rest: stop at once, quietly. The status is 0, as the reader got what
 * it asked for (and `set -o pipefail` scripts do not fail on `| head`).
 *
 * The handlers are attached when a stream is first used, not here: creating process.stdout loads
 * the stream machinery (and net for a pipe), which `status -q` and the shell hook never need.
 */
export function endQuietlyWhenOutputCloses(): void {
  // Once per process: after dist/hot.cjs hands a command line over, dist/cli.cjs comes here again.
  const guard = processWide('output-guard', () => ({ installed: false }));
  if (guard.installed) return;
  guard.installed = true;
  onFirstUse('stdout', (stream) =>
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      throw error;
    }),
  );
  // A closed stderr leaves nowhere to report anything; do not crash on it either.
  onFirstUse('stderr', (stream) => stream.on('error', () => {}));
}

/** Wraps Node's lazy getter of process.stdout/stderr so that `setup` runs once, when it first runs. */
function onFirstUse(name: 'stdout' | 'stderr', setup: (stream: NodeJS.WriteStream) => void): void {
  const original = Object.getOwnPropertyDescriptor(process, name);
  if (!original?.get || !original.configurable) {
    trackStream(process[name]);
    setup(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      const stream = original.get!.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, original);
      trackStream(stream);
      setup(stream);
      return stream;
    },
  });
}
