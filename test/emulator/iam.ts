/** IAM actions: GetUser, ListMFADevices, and the access-key actions a key rotation uses. */
import { ApiError, MSG, checkString, constraint, validationError } from './errors.js';
import {
  newLongTermKeyId,
  newSecret,
  wholeSeconds,
  type AccessKeyState,
  type Caller,
  type UserState,
  type World,
} from './state.js';
import type { XmlObject } from './xml.js';

type Params = Record<string, string>;

const USER_NAME = { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' };
const KEY_ID = { min: 16, max: 128, pattern: /^[\w]+$/, patternText: '[\\w]+' };

function noSuchUser(userName: string): ApiError {
  return new ApiError(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);
}

function noSuchKey(accessKeyId: string): ApiError {
  return new ApiError(404, 'NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
}

function findUser(world: World, accountId: string, userName: string): UserState {
  const user = world.usersByName.get(`${accountId}/${userName}`);
  if (!user) throw noSuchUser(userName);
  return user;
}

/** UserName, or the calling IAM user; role sessions must name the user, as on AWS. */
function targetUser(world: World, caller: Caller, userName: string | undefined): UserState {
  if (userName !== undefined) {
    const problems: string[] = [];
    checkString(problems, userName, 'userName', USER_NAME);
    if (problems.length > 0) throw validationError(problems);
    return findUser(world, caller.accountId, userName);
  }
  if (!caller.user) throw new ApiError(400, 'ValidationError', MSG.needUserName);
  return caller.user;
}

function userKey(world: World, caller: Caller, p: Params): { user: UserState; key: AccessKeyState } {
  const problems: string[] = [];
  checkString(problems, p.AccessKeyId, 'accessKeyId', { required: true, ...KEY_ID });
  if (problems.length > 0) throw validationError(problems);
  const user = targetUser(world, caller, p.UserName);
  const key = user.keys.find((k) => k.accessKeyId === p.AccessKeyId);
  if (!key) throw noSuchKey(p.AccessKeyId!);
  return { user, key };
}

/** MaxItems/Marker paging as IAM's List* actions do it. */
function page<T>(items: T[], p: Params): { items: T[]; truncated: boolean; marker?: string } {
  let maxItems = 100;
  if (p.MaxItems !== undefined) {
    maxItems = Number(p.MaxItems);
    if (!/^\d+$/.test(p.MaxItems) || maxItems < 1)
      throw validationError([constraint(p.MaxItems, 'maxItems', 'have value greater than or equal to 1')]);
    if (maxItems > 1000)
      throw validationError([constraint(p.MaxItems, 'maxItems', 'have value less than or equal to 1000')]);
  }
  let start = 0;
  if (p.Marker !== undefined) {
    const decoded = /^m(\d+)$/.exec(Buffer.from(p.Marker, 'base64').toString('latin1'));
    if (!decoded) throw new ApiError(400, 'InvalidInput', 'Invalid Marker.');
    start = Number(decoded[1]);
  }
  const truncated = start + maxItems < items.length;
  return {
    items: items.slice(start, start + maxItems),
    truncated,
    ...(truncated && { marker: Buffer.from(`m${start + maxItems}`).toString('base64') }),
  };
}

export function getUser(world: World, caller: Caller, p: Params): XmlObject {
  const user = targetUser(world, caller, p.UserName);
  return {
    User: { Path: user.path, UserName: user.userName, UserId: user.userId, Arn: user.arn, CreateDate: user.createDate },
  };
}

export function listMfaDevices(world: World, caller: Caller, p: Params): XmlObject {
  if (p.UserName === undefined && world.faults.requireUserName)
    throw new ApiError(400, 'ValidationError', MSG.needUserName);
  if (world.faults.denyListMfaDevices) {
    const targetName = p.UserName ?? caller.user?.userName ?? '';
    throw new ApiError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: iam:ListMFADevices on resource: user ${targetName} ` +
        'because no identity-based policy allows the iam:ListMFADevices action',
    );
  }
  const user = targetUser(world, caller, p.UserName);
  const { items, truncated, marker } = page(user.devices, p);
  return {
    MFADevices: items.map((d) => ({ UserName: user.userName, SerialNumber: d.serialNumber, EnableDate: d.enableDate })),
    IsTruncated: truncated,
    Marker: marker,
  };
}

export function createAccessKey(world: World, caller: Caller, p: Params): XmlObject {
  const user = targetUser(world, caller, p.UserName);
  if (user.keys.length >= 2) throw new ApiError(409, 'LimitExceeded', MSG.keyQuota);
  const key = world.addKey(user, newLongTermKeyId(), newSecret(), wholeSeconds(world.now()), true);
  return {
    AccessKey: {
      UserName: user.userName,
      AccessKeyId: key.accessKeyId,
      Status: key.status,
      SecretAccessKey: key.secretAccessKey,
      CreateDate: key.createDate,
    },
  };
}

export function deleteAccessKey(world: World, caller: Caller, p: Params): null {
  const { key } = userKey(world, caller, p);
  world.removeKey(key.accessKeyId);
  return null;
}

export function updateAccessKey(world: World, caller: Caller, p: Params): null {
  const problems: string[] = [];
  if (p.Status === undefined) problems.push(constraint(null, 'status', 'not be null'));
  else if (!['Active', 'Inactive', 'Expired'].includes(p.Status)) {
    problems.push(constraint(p.Status, 'status', 'satisfy enum value set: [Active, Inactive, Expired]'));
  }
  if (problems.length > 0) throw validationError(problems);
  if (p.Status === 'Expired') throw new ApiError(400, 'InvalidInput', 'Status Expired cannot be set.');
  const { key } = userKey(world, caller, p);
  key.status = p.Status as 'Active' | 'Inactive';
  return null;
}

export function listAccessKeys(world: World, caller: Caller, p: Params): XmlObject {
  const user = targetUser(world, caller, p.UserName);
  const { items, truncated, marker } = page(user.keys, p);
  return {
    UserName: user.userName,
    AccessKeyMetadata: items.map((k) => ({
      UserName: user.userName,
      AccessKeyId: k.accessKeyId,
      Status: k.status,
      CreateDate: k.createDate,
    })),
    IsTruncated: truncated,
    Marker: marker,
  };
}

export function getAccessKeyLastUsed(world: World, caller: Caller, p: Params): XmlObject {
  const problems: string[] = [];
  checkString(problems, p.AccessKeyId, 'accessKeyId', { required: true, ...KEY_ID });
  if (problems.length > 0) throw validationError(problems);
  const key = world.keysById.get(p.AccessKeyId!);
  if (!key || key.user.accountId !== caller.accountId) throw noSuchKey(p.AccessKeyId!);
  const used = key.lastUsed;
  return {
    UserName: key.user.userName,
    AccessKeyLastUsed: used
      ? { LastUsedDate: used.date, ServiceName: used.service, Region: used.region }
      : { ServiceName: 'N/A', Region: 'N/A' },
  };
}
