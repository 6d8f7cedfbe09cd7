/** STS actions: GetSessionToken, GetCallerIdentity, AssumeRole (trust policy, MFA context, duration rules). */
import { ApiError, MSG, checkInteger, checkMfaParams, checkString, validationError } from './errors.js';
import { evaluate, type RequestContext } from './policy.js';
import {
  newSecret,
  newSessionKeyId,
  newSessionToken,
  wholeSeconds,
  type Caller,
  type IssuedRoleSession,
  type IssuedSession,
  type MfaContext,
  type SessionState,
  type World,
} from './state.js';
import type { XmlObject } from './xml.js';

type Params = Record<string, string>;

/** SerialNumber + TokenCode against the caller's own devices; undefined when neither was sent. */
function checkMfaCode(
  world: World,
  caller: Caller,
  serial: string | undefined,
  code: string | undefined,
): MfaContext | undefined {
  if (serial === undefined && code === undefined) return undefined;
  const device = serial === undefined ? undefined : caller.user?.devices.find((d) => d.serialNumber === serial);
  if (!device) throw new ApiError(403, 'AccessDenied', MSG.badSerial);
  if (code === undefined || !world.consumeCode(device, code)) throw new ApiError(403, 'AccessDenied', MSG.badCode);
  return { present: true, authTime: world.now() };
}

function credentialsXml(s: SessionState): XmlObject {
  return {
    AccessKeyId: s.accessKeyId,
    SecretAccessKey: s.secretAccessKey,
    SessionToken: s.sessionToken,
    Expiration: s.expiration,
  };
}

export function getSessionToken(world: World, caller: Caller, p: Params): XmlObject {
  const problems: string[] = [];
  const duration =
    checkInteger(problems, p.DurationSeconds, 'DurationSeconds', 'durationSeconds', 900, 129_600) ?? 43_200;
  checkMfaParams(problems, p.SerialNumber, p.TokenCode);
  if (problems.length > 0) throw validationError(problems);
  if (caller.session || !caller.user) throw new ApiError(403, 'AccessDenied', MSG.sessionGst);

  const mfa = checkMfaCode(world, caller, p.SerialNumber, p.TokenCode) ?? { present: false };
  const session: SessionState = {
    accessKeyId: newSessionKeyId(),
    secretAccessKey: newSecret(),
    sessionToken: newSessionToken(),
    expiration: wholeSeconds(world.now() + duration * 1000),
    mfa,
    user: caller.user,
  };
  world.sessionsByKey.set(session.accessKeyId, session);
  const issued: IssuedSession = {
    accessKeyId: session.accessKeyId,
    secretAccessKey: session.secretAccessKey,
    sessionToken: session.sessionToken,
    // Live: a test that moves the expiration (to expire a session early) changes what the emulator checks.
    get expiration() {
      return session.expiration;
    },
    set expiration(date: Date) {
      session.expiration = date;
    },
    userName: caller.user.userName,
    serialNumber: mfa.present ? p.SerialNumber! : '',
  };
  world.sessions.push(issued);
  return { Credentials: credentialsXml(session) };
}

export function getCallerIdentity(caller: Caller): XmlObject {
  // GetSessionToken sessions act as the IAM user itself: same ARN and user id.
  return { Arn: caller.arn, UserId: caller.userId, Account: caller.accountId };
}

/** The condition keys IAM puts into the request context of sts:AssumeRole. */
function requestContext(world: World, caller: Caller, mfa: MfaContext | undefined, p: Params): RequestContext {
  const keys: Record<string, string> = {
    'aws:principalaccount': caller.accountId,
    'aws:principalarn': caller.role ? caller.role.role.arn : caller.arn,
    'aws:principaltype': caller.role ? 'AssumedRole' : 'User',
    'aws:userid': caller.userId,
    'aws:epochtime': String(Math.floor(world.now() / 1000)),
    'aws:currenttime': new Date(world.now()).toISOString(),
    'sts:rolesessionname': p.RoleSessionName!,
  };
  if (caller.user && !caller.role) keys['aws:username'] = caller.user.userName;
  // Long-term keys carry no MFA key at all; temporary credentials say true or false.
  if (mfa) {
    keys['aws:multifactorauthpresent'] = String(mfa.present);
    if (mfa.present && mfa.authTime !== undefined) {
      keys['aws:multifactorauthage'] = String(Math.max(0, Math.floor((world.now() - mfa.authTime) / 1000)));
    }
  }
  if (p.ExternalId !== undefined) keys['sts:externalid'] = p.ExternalId;
  if (p.SourceIdentity !== undefined) keys['sts:sourceidentity'] = p.SourceIdentity;
  return {
    principalArn: caller.arn,
    principalAccount: caller.accountId,
    ...(caller.role && { roleArn: caller.role.role.arn }),
    action: 'sts:AssumeRole',
    keys,
  };
}

export function assumeRole(world: World, caller: Caller, p: Params): XmlObject {
  const problems: string[] = [];
  checkString(problems, p.RoleArn, 'roleArn', { required: true, min: 20, max: 2048 });
  checkString(problems, p.RoleSessionName, 'roleSessionName', {
    required: true,
    min: 2,
    max: 64,
    pattern: /^[\w+=,.@-]*$/,
    patternText: '[\\w+=,.@-]*',
  });
  const requested = checkInteger(problems, p.DurationSeconds, 'DurationSeconds', 'durationSeconds', 900, 43_200);
  checkString(problems, p.ExternalId, 'externalId', {
    min: 2,
    max: 1224,
    pattern: /^[\w+=,.@:/-]*$/,
    patternText: '[\\w+=,.@:\\/-]*',
  });
  checkString(problems, p.SourceIdentity, 'sourceIdentity', {
    min: 2,
    max: 64,
    pattern: /^[\w+=,.@-]*$/,
    patternText: '[\\w+=,.@-]*',
  });
  checkMfaParams(problems, p.SerialNumber, p.TokenCode);
  if (problems.length > 0) throw validationError(problems);
  const roleArn = p.RoleArn!;
  // AWS only refuses what does not look like an ARN at all; a mistyped one is a role that does not exist.
  if (!/^arn:[^:]+:[^:]*:[^:]*:.+$/.test(roleArn)) throw new ApiError(400, 'ValidationError', MSG.invalidArn);

  // A code on AssumeRole authenticates with MFA now; otherwise the caller's session context is inherited.
  const mfa = checkMfaCode(world, caller, p.SerialNumber, p.TokenCode) ?? caller.session?.mfa;
  const role = world.rolesByArn.get(roleArn);
  if (!role || evaluate(role.trust, requestContext(world, caller, mfa, p)) !== 'allow') {
    throw new ApiError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  }
  const duration = requested ?? 3600;
  if (caller.session && duration > 3600) throw new ApiError(400, 'ValidationError', MSG.roleChaining);
  if (duration > role.maxSessionDuration) throw new ApiError(400, 'ValidationError', MSG.maxSessionDuration);

  const sessionName = p.RoleSessionName!;
  const lifetime = world.faults.roleSessionSeconds ?? duration;
  const session: SessionState = {
    accessKeyId: newSessionKeyId(),
    secretAccessKey: newSecret(),
    sessionToken: newSessionToken(),
    expiration: wholeSeconds(world.now() + lifetime * 1000),
    mfa: mfa ?? { present: false },
    role: { role, sessionName },
  };
  world.sessionsByKey.set(session.accessKeyId, session);
  const assumedRoleArn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
  const assumedRoleId = `${role.roleId}:${sessionName}`;
  const issued: IssuedRoleSession = {
    accessKeyId: session.accessKeyId,
    secretAccessKey: session.secretAccessKey,
    sessionToken: session.sessionToken,
    expiration: session.expiration,
    roleArn: role.arn,
    roleSessionName: sessionName,
    assumedRoleArn,
    assumedRoleId,
    sourceAccessKeyId: caller.accessKeyId,
    mfa: session.mfa.present,
    ...(p.ExternalId !== undefined && { externalId: p.ExternalId }),
  };
  world.roleSessions.push(issued);
  return {
    Credentials: credentialsXml(session),
    AssumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: assumedRoleArn },
    ...(p.Policy !== undefined && { PackedPolicySize: Math.min(100, Math.ceil(p.Policy.length / 20)) }),
    SourceIdentity: p.SourceIdentity,
  };
}
