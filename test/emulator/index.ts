/**
 * Public entry point of the loopback STS + IAM emulator used by the tests.
 *
 *   const emu = await startEmulator({
 *     users: [{ userName: 'alice', accessKeyId, secretAccessKey, devices: [{ serialNumber, seed }] }],
 *     roles: [{ roleName: 'Admin', trustPolicy: trustPolicy('123456789012', { mfa: true }) }],
 *   });
 *   emu.addRole({ roleName: 'Ops', accountId: '210987654321', trustPolicy: trustPolicy('123456789012'), maxSessionDuration: 7200 });
 *   emu.setFaults({ roleSessionSeconds: 5, keyPropagationRequests: 2 });
 *   emu.countRequests('AssumeRole', { status: 200 }); emu.roleSessions; emu.accessKeys('alice');
 */
export { startEmulator, type Emulator, type RecordedRequest, type RequestFilter, type StartOptions } from './server.js';
export type {
  AccessKeyInfo,
  ActionFailure,
  Faults,
  IssuedRoleSession,
  IssuedSession,
  MfaDeviceSpec,
  RoleSpec,
  UserSpec,
} from './state.js';
export { trustPolicy, parseTrustPolicy, evaluate, type RequestContext, type TrustPolicy } from './policy.js';
export { totp, randomSeed, base32Encode, base32Decode, totpAtStep, totpStep } from './totp.js';
