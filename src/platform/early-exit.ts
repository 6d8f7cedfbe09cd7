/**
 * Whether a finished command may end the process with process.exit(), skipping Node's teardown of a
 * heap it is about to throw away (1.5 ms after a `status`, 4 ms after a refresh). Not while anything
 * written may still wait in a stream, nor once something that should end the Node way was opened:
 * a terminal of our own (its writes are asynchronous on Windows), the keychain's native module.
 *
 * The state is process-wide: after dist/hot.cjs hands a command over, the streams may have been
 * created by either bundle.
 */
import { processWide } from './process-wide.js';

interface EarlyExitState {
  streams: NodeJS.WriteStream[];
  holds: number;
}

function state(): EarlyExitState {
  return processWide<EarlyExitState>('early-exit', () => ({ streams: [], holds: 0 }));
}

/** A stream our output goes through (process.stdout or stderr, once created). */
export function trackStream(stream: NodeJS.WriteStream): void {
  state().streams.push(stream);
}

/** Something was opened that the process should end the Node way. */
export function holdNodeExit(): void {
  state().holds += 1;
}

/** Nothing held, and nothing written waits in a stream. */
export function mayEndAtOnce(): boolean {
  const { streams, holds } = state();
  return holds === 0 && streams.every((stream) => stream.writableLength === 0);
}
