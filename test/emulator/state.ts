/**
 * What the emulated AWS account(s) hold: IAM users with access keys and MFA devices, roles with
 * trust policies, and the temporary credentials STS has issued. The STS and IAM actions read and
 * change it; the HTTP layer only authenticates against it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { base32Decode, totpAtStep, totpStep } from './totp.js';
import { parseTrustPolicy, type TrustPolicy } from './policy.js';

export interface MfaDeviceSpec {
  serialNumber: string;
  /** base32 */
  seed: string;
  enableDate?: Date;
}

export interface UserSpec {
  userName: string;
  /** default '/' */
  path?: string;
  /** default '123456789012' */
  accountId?: string;
  accessKeyId: string;
  secretAccessKey: string;
  devices?: MfaDeviceSpec[];
}

export interface RoleSpec {
  roleName: string;
  /** default '123456789012' */
  accountId?: string;
  /** default '/' */
  path?: string;
  /** The AssumeRolePolicyDocument: JSON text or an object (see trustPolicy() for the usual shapes). */
  trustPolicy: string | object;
  /** seconds, 3600..43200; default 3600 as in IAM */
  maxSessionDuration?: number;
}

export interface Faults {
  /** The server's clock = real clock + skew (Date header, signature time check, expirations, TOTP). */
  clockSkewSeconds?: number;
  /** The next N requests get 400 Throttling ("Rate exceeded"). */
  throttle?: number;
  /** The next N requests get 500 InternalFailure. */
  serverError?: number;
  /** Accept the connection and the request, never answer (until close()). */
  hang?: boolean;
  /** iam:ListMFADevices → 403 AccessDenied. */
  denyListMfaDevices?: boolean;
  /** ListMFADevices without UserName → 400 ValidationError. */
  requireUserName?: boolean;
  /** Role sessions issued from now on expire after this many seconds, whatever DurationSeconds asked. */
  roleSessionSeconds?: number;
  /** Keys made by iam:CreateAccessKey from now on are refused (InvalidClientTokenId) for their first N requests… */
  keyPropagationRequests?: number;
  /** …and/or for this many ms (server clock) after creation, as IAM's eventual consistency does. */
  keyPropagationMs?: number;
  /**
   * Authenticated requests of these actions fail, e.g. { DeleteAccessKey: {} } (every time) or
   * { CreateAccessKey: { times: 1, status: 500, code: 'ServiceFailure', message: '…' } }.
   * Default error: 403 AccessDenied in AWS's "is not authorized to perform" wording.
   */
  failActions?: Record<string, ActionFailure>;
}

export interface ActionFailure {
  /** how many requests fail; default every one */
  times?: number;
  status?: number;
  code?: string;
  message?: string;
}

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  userName: string;
  /** '' when GetSessionToken was called without MFA */
  serialNumber: string;
}

export interface IssuedRoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  roleSessionName: string;
  /** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  assumedRoleArn: string;
  /** ROLEID:SESSION */
  assumedRoleId: string;
  /** the key id that signed the AssumeRole call (long-term, session or role) */
  sourceAccessKeyId: string;
  /** the MFA context of the role session (inherited or from SerialNumber/TokenCode) */
  mfa: boolean;
  externalId?: string;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
}

// ---------------------------------------------------------------------------------------------

export const DEFAULT_ACCOUNT = '123456789012';

export interface DeviceState {
  serialNumber: string;
  seed: string;
  enableDate: Date;
  /** TOTP step → code accepted for it (AWS refuses a code twice). */
  used: Map<number, string>;
}

export interface AccessKeyState {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  user: UserState;
  lastUsed?: { date: Date; service: string; region: string };
  /** propagation delay: refused while requests are left or before this server time (ms) */
  rejectsLeft: number;
  rejectUntil: number;
}

export interface UserState {
  userName: string;
  path: string;
  accountId: string;
  userId: string;
  arn: string;
  createDate: Date;
  devices: DeviceState[];
  keys: AccessKeyState[];
}

export interface RoleState {
  roleName: string;
  path: string;
  accountId: string;
  roleId: string;
  arn: string;
  createDate: Date;
  trust: TrustPolicy;
  maxSessionDuration: number;
}

/** The MFA context temporary credentials carry into later requests. */
export interface MfaContext {
  present: boolean;
  /** server ms of the MFA authentication (present only) */
  authTime?: number;
}

export interface SessionState {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  mfa: MfaContext;
  /** GetSessionToken: the IAM user it acts as */
  user?: UserState;
  /** AssumeRole: the role and session name */
  role?: { role: RoleState; sessionName: string };
}

/** Who signed a request. */
export interface Caller {
  accessKeyId: string;
  accountId: string;
  /** user ARN (also for GetSessionToken sessions) or assumed-role ARN */
  arn: string;
  /** AIDA… for users, AROA…:SESSION for role sessions */
  userId: string;
  user?: UserState;
  role?: { role: RoleState; sessionName: string };
  /** set for temporary credentials */
  session?: SessionState;
  /** set for long-term keys */
  key?: AccessKeyState;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const newSecret = (): string => randomString(SECRET_ALPHABET, 40);
export const newSessionKeyId = (): string => `ASIA${randomString(UPPER_ALNUM, 16)}`;
export const newLongTermKeyId = (): string => `AKIA${randomString(UPPER_ALNUM, 16)}`;
export const newSessionToken = (): string => `IQoJb3JpZ2luX2VjE${randomBytes(330).toString('base64')}`;

function normalizePath(path: string | undefined): string {
  if (!path || path === '/') return '/';
  let p = path.startsWith('/') ? path : `/${path}`;
  if (!p.endsWith('/')) p += '/';
  return p;
}

/** Whole seconds, as AWS reports times. */
export const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

export class World {
  readonly keysById = new Map<string, AccessKeyState>();
  readonly usersByName = new Map<string, UserState>(); // `${accountId}/${userName}`
  readonly devicesBySerial = new Map<string, DeviceState>();
  readonly rolesByArn = new Map<string, RoleState>();
  readonly sessionsByKey = new Map<string, SessionState>();
  readonly sessions: IssuedSession[] = [];
  readonly roleSessions: IssuedRoleSession[] = [];
  faults: Faults = {};

  now = (): number => Date.now() + (this.faults.clockSkewSeconds ?? 0) * 1000;

  addUser(u: UserSpec): void {
    const accountId = u.accountId ?? DEFAULT_ACCOUNT;
    const path = normalizePath(u.path);
    const nameKey = `${accountId}/${u.userName}`;
    if (this.usersByName.has(nameKey)) throw new Error(`emulator: user ${u.userName} already exists in ${accountId}`);
    if (this.keysById.has(u.accessKeyId)) throw new Error(`emulator: access key ${u.accessKeyId} already in use`);
    const devices: DeviceState[] = [];
    for (const d of u.devices ?? []) {
      if (this.devicesBySerial.has(d.serialNumber))
        throw new Error(`emulator: MFA device ${d.serialNumber} already assigned`);
      base32Decode(d.seed); // throws on a malformed seed
      devices.push({
        serialNumber: d.serialNumber,
        seed: d.seed,
        enableDate: d.enableDate ?? wholeSeconds(this.now()),
        used: new Map(),
      });
    }
    const user: UserState = {
      userName: u.userName,
      path,
      accountId,
      userId: `AIDA${randomString(BASE32_ALPHABET, 17)}`,
      arn: `arn:aws:iam::${accountId}:user${path}${u.userName}`,
      createDate: wholeSeconds(this.now() - 400 * 86_400_000),
      devices,
      keys: [],
    };
    for (const d of devices) this.devicesBySerial.set(d.serialNumber, d);
    this.usersByName.set(nameKey, user);
    this.addKey(user, u.accessKeyId, u.secretAccessKey, user.createDate, false);
  }

  addKey(
    user: UserState,
    accessKeyId: string,
    secretAccessKey: string,
    createDate: Date,
    propagates: boolean,
  ): AccessKeyState {
    const key: AccessKeyState = {
      accessKeyId,
      secretAccessKey,
      status: 'Active',
      createDate,
      user,
      rejectsLeft: propagates ? (this.faults.keyPropagationRequests ?? 0) : 0,
      rejectUntil: propagates ? this.now() + (this.faults.keyPropagationMs ?? 0) : 0,
    };
    user.keys.push(key);
    this.keysById.set(accessKeyId, key);
    return key;
  }

  removeKey(accessKeyId: string): void {
    const key = this.keysById.get(accessKeyId);
    if (!key) return;
    this.keysById.delete(accessKeyId);
    key.user.keys = key.user.keys.filter((k) => k !== key);
  }

  addRole(r: RoleSpec): { arn: string; roleId: string } {
    const accountId = r.accountId ?? DEFAULT_ACCOUNT;
    const path = normalizePath(r.path);
    const arn = `arn:aws:iam::${accountId}:role${path}${r.roleName}`;
    if (!/^[\w+=,.@-]{1,64}$/.test(r.roleName)) throw new Error(`emulator: invalid role name ${r.roleName}`);
    for (const existing of this.rolesByArn.values()) {
      if (existing.accountId === accountId && existing.roleName.toLowerCase() === r.roleName.toLowerCase()) {
        throw new Error(`emulator: role ${r.roleName} already exists in ${accountId}`);
      }
    }
    const maxSessionDuration = r.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43_200) {
      throw new Error(`emulator: maxSessionDuration must be 3600..43200, not ${maxSessionDuration}`);
    }
    const role: RoleState = {
      roleName: r.roleName,
      path,
      accountId,
      roleId: `AROA${randomString(BASE32_ALPHABET, 17)}`,
      arn,
      createDate: wholeSeconds(this.now() - 30 * 86_400_000),
      trust: parseTrustPolicy(r.trustPolicy),
      maxSessionDuration,
    };
    this.rolesByArn.set(arn, role);
    return { arn, roleId: role.roleId };
  }

  findRole(roleName: string, accountId = DEFAULT_ACCOUNT): RoleState {
    for (const role of this.rolesByArn.values())
      if (role.accountId === accountId && role.roleName === roleName) return role;
    throw new Error(`emulator: no role ${roleName} in ${accountId}`);
  }

  userNamed(userName: string, accountId = DEFAULT_ACCOUNT): UserState {
    const user = this.usersByName.get(`${accountId}/${userName}`);
    if (!user) throw new Error(`emulator: no user ${userName} in ${accountId}`);
    return user;
  }

  // --- MFA -----------------------------------------------------------------------------------

  /** The steps a code may come from, in the order freshCode prefers them. */
  private windowSteps(): number[] {
    const t = totpStep(this.now());
    return [t, t + 1, t - 1];
  }

  private pruneUsed(device: DeviceState): void {
    const oldest = totpStep(this.now()) - 2;
    for (const step of device.used.keys()) if (step < oldest) device.used.delete(step);
  }

  private static codeIsFresh(device: DeviceState, step: number, code: string): boolean {
    if (device.used.has(step)) return false;
    for (const usedCode of device.used.values()) if (usedCode === code) return false;
    return true;
  }

  /** Accepts `code` for `device` once; false if wrong, out of window, or already used. */
  consumeCode(device: DeviceState, code: string): boolean {
    this.pruneUsed(device);
    for (const step of this.windowSteps()) {
      if (totpAtStep(device.seed, step) === code && World.codeIsFresh(device, step, code)) {
        device.used.set(step, code);
        return true;
      }
    }
    return false;
  }

  freshCode(serialNumber: string): string {
    return this.unusedCode(serialNumber, this.windowSteps());
  }

  /**
   * An unused code that stays accepted longest: the next step's first (60-90 s), the previous
   * step's last. For tests that spend several codes of one device in slow child processes, where a
   * previous-step code may expire between asking for it and sending it.
   */
  lastingCode(serialNumber: string): string {
    const [now, next, previous] = this.windowSteps() as [number, number, number];
    return this.unusedCode(serialNumber, [next, now, previous]);
  }

  private unusedCode(serialNumber: string, steps: number[]): string {
    const device = this.devicesBySerial.get(serialNumber);
    if (!device) throw new Error(`emulator: no MFA device ${serialNumber}`);
    this.pruneUsed(device);
    for (const step of steps) {
      const code = totpAtStep(device.seed, step);
      if (World.codeIsFresh(device, step, code)) return code;
    }
    throw new Error(
      `emulator: every code in the current window of ${serialNumber} is used; wait for the next 30 s step`,
    );
  }
}
