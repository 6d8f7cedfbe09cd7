/**
 * Injected into dist/vendor/aws-sdk.cjs (esbuild `inject`) in place of two globals the SDK mostly
 * only tests for. Node creates each on first access, at a cost paid in every refresh: `ReadableStream`
 * loads the web streams (1.5–2 ms), `crypto` the Web Crypto API.
 */
import nodeCrypto from 'node:crypto';

/** The SDK takes crypto.randomUUID() for request ids: the same function from node:crypto, already loaded for https. */
export { nodeCrypto as crypto };

/**
 * The SDK asks whether a body is a web stream (it never is here: the HTTP handler gives Node
 * streams). `instanceof` is answered by the constructor names on the prototype chain, the SDK's own
 * test next to it, so that the web streams are not loaded to say no; constructing one makes the real thing.
 */
export class ReadableStream {
  constructor(...args) {
    return new globalThis.ReadableStream(...args);
  }

  static [Symbol.hasInstance](value) {
    for (let p = value == null ? null : Object.getPrototypeOf(Object(value)); p; p = Object.getPrototypeOf(p))
      if (p.constructor?.name === 'ReadableStream') return true;
    return false;
  }
}
