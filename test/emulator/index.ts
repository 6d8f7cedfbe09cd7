/** Public entry point of the loopback STS + IAM emulator used by the tests. */
export { startEmulator, type Emulator, type RecordedRequest, type RequestFilter, type StartOptions } from './server.js';
export type {
  AccessKeyInfo,
  Faults,
  IssuedRoleSession,
  IssuedSession,
  MfaDeviceSpec,
  RoleSpec,
  UserSpec,
} from './state.js';
export { trustPolicy, parseTrustPolicy, evaluate, type RequestContext, type TrustPolicy } from './policy.js';
export { totp, randomSeed, base32Encode, base32Decode, totpAtStep, totpStep } from './totp.js';
