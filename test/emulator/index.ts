/** Public entry point of the loopback STS + IAM emulator used by the tests. */
export {
  startEmulator,
  type Emulator,
  type Faults,
  type IssuedSession,
  type MfaDeviceSpec,
  type RecordedRequest,
  type StartOptions,
  type UserSpec,
} from './server.js';
export { totp, randomSeed, base32Encode, base32Decode, totpAtStep, totpStep } from './totp.js';
