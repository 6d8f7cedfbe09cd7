import { beforeEach, describe, expect, it } from 'vitest';
import { holdNodeExit, mayEndAtOnce, trackStream } from '../../src/platform/early-exit.js';

const KEY = Symbol.for('aws-mfa-refresh.early-exit');
const stream = (writableLength: number) => ({ writableLength }) as NodeJS.WriteStream;

describe('ending a finished command at once', () => {
  beforeEach(() => {
    delete (process as unknown as Record<symbol, unknown>)[KEY];
  });

  it('is allowed while nothing is held and every stream has sent what it was given', () => {
    expect(mayEndAtOnce()).toBe(true);
    trackStream(stream(0));
    expect(mayEndAtOnce()).toBe(true);
  });

  it('waits for a stream with bytes still to send (a slow pipe, an asynchronous console)', () => {
    const pending = { writableLength: 12 } as { writableLength: number };
    trackStream(pending as NodeJS.WriteStream);
    expect(mayEndAtOnce()).toBe(false);
    pending.writableLength = 0;
    expect(mayEndAtOnce()).toBe(true);
  });

  it('is refused for good once a terminal of our own or a native module was opened', () => {
    holdNodeExit();
    expect(mayEndAtOnce()).toBe(false);
  });

  it('is one state for every bundle in the process (hot.cjs hands commands to cli.cjs)', () => {
    trackStream(stream(3));
    expect((process as unknown as Record<symbol, { streams: unknown[] }>)[KEY]?.streams).toHaveLength(1);
    expect(mayEndAtOnce()).toBe(false);
  });
});
