import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
// @ts-expect-error: a build-time JavaScript module without types
import { ReadableStream, crypto } from '../../scripts/sdk-globals.mjs';

describe('the stand-ins the SDK bundle gets for two globals', () => {
  it('ReadableStream: instanceof says yes for web streams only, without needing them loaded; new makes a real one', () => {
    const made = new ReadableStream({ start: (c: ReadableStreamDefaultController) => c.close() });
    expect(made).toBeInstanceOf(WebReadableStream);
    expect(made instanceof ReadableStream).toBe(true);
    const derived = Object.create(new WebReadableStream()) as object; // a subclass's instance, as far as the chain goes
    expect(derived instanceof ReadableStream).toBe(true);
    for (const other of [Readable.from(['x']), 'body', new Uint8Array(1), null, undefined, {}, 42])
      expect(other instanceof ReadableStream).toBe(false);
    expect(ReadableStream.name).toBe('ReadableStream'); // the SDK also compares constructor names
  });

  it('crypto: randomUUID as the SDK calls it', () => {
    expect(typeof crypto.randomUUID).toBe('function');
    expect(crypto.randomUUID()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
