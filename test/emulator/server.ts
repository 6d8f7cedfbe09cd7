/**
 * A loopback STS + IAM endpoint that answers the AWS Query protocol the way AWS does on the wire:
 * SigV4 verification, session credentials, MFA (TOTP) checks, AWS error codes and messages, and
 * injectable faults. Both services share one port; the credential scope says which one is meant.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  checkRequestTime,
  checkScope,
  headerMap,
  isAuthFailure,
  parseAuthorization,
  requestAmzDate,
  sha256Hex,
  SIGNATURE_MISMATCH_MESSAGE,
  verifySignature,
  type AuthFailure,
  type ParsedAuthorization,
} from './sigv4.js';
import { base32Decode, totpAtStep, totpStep } from './totp.js';
import { errorXml, IAM_NAMESPACE, STS_NAMESPACE, successXml, type ErrorType, type XmlObject } from './xml.js';

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
}

export interface RecordedRequest {
  service: 'sts' | 'iam';
  action: string;
  accessKeyId?: string;
  params: Record<string, string>;
  /** Date.now() when the request arrived */
  receivedAt: number;
  /** process.hrtime.bigint() when the request arrived */
  receivedHr: bigint;
  /** HTTP status answered; 0 while unanswered (e.g. the hang fault) */
  status: number;
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

export interface Emulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  requests: RecordedRequest[];
  sessions: IssuedSession[];
  addUser(u: UserSpec): void;
  /** Later calls signed with this key → InvalidClientTokenId. Also works for session key ids. */
  deleteAccessKey(accessKeyId: string): void;
  /** Replaces the faults. */
  setFaults(f: Faults): void;
  /** A valid code (steps t-1, t, t+1 of the server clock) not used yet; throws if none left. */
  freshCode(serialNumber: string): string;
  /** Server clock in ms. */
  now(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  users?: UserSpec[];
  faults?: Faults;
  port?: number;
  host?: string;
}

// ---------------------------------------------------------------------------------------------

const STS_VERSION = '2011-06-15';
const IAM_VERSION = '2010-05-08';
const DEFAULT_ACCOUNT = '123456789012';
const MAX_BODY_BYTES = 1024 * 1024;

const MSG = {
  invalidToken: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
  missingAuth: 'Request is missing Authentication Token',
  sessionGst: 'Cannot call GetSessionToken with session credentials',
  badSerial:
    'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
  badCode: 'MultiFactorAuthentication failed with invalid MFA one time pass code.',
  throttled: 'Rate exceeded',
  internal: 'The request processing has failed because of an unknown error, exception or failure.',
} as const;

type Service = 'sts' | 'iam';

interface DeviceState {
  serialNumber: string;
  seed: string;
  enableDate: Date;
  /** TOTP step → code accepted for it (AWS refuses a code twice). */
  used: Map<number, string>;
}

interface UserState {
  userName: string;
  path: string;
  accountId: string;
  userId: string;
  arn: string;
  createDate: Date;
  devices: DeviceState[];
}

interface SessionState {
  session: IssuedSession;
  user: UserState;
  mfa: boolean;
}

interface Caller {
  accessKeyId: string;
  user: UserState;
  session?: SessionState;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: ErrorType = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function normalizePath(path: string | undefined): string {
  if (!path || path === '/') return '/';
  let p = path.startsWith('/') ? path : `/${path}`;
  if (!p.endsWith('/')) p += '/';
  return p;
}

function validationError(problems: string[]): ApiError {
  const n = problems.length;
  return new ApiError(400, 'ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
}

function constraint(value: string, member: string, rule: string): string {
  return `Value '${value}' at '${member}' failed to satisfy constraint: Member must ${rule}`;
}

function parseForm(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) params[k] = v;
  return params;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------

export async function startEmulator(opts: StartOptions = {}): Promise<Emulator> {
  const usersByKey = new Map<string, { user: UserState; secretAccessKey: string }>();
  const usersByName = new Map<string, UserState>(); // `${accountId}/${userName}`
  const devicesBySerial = new Map<string, DeviceState>();
  const sessionsByKey = new Map<string, SessionState>();
  const requests: RecordedRequest[] = [];
  const sessions: IssuedSession[] = [];
  let faults: Faults = { ...opts.faults };
  const sockets = new Set<Socket>();
  let closed = false;

  const now = (): number => Date.now() + (faults.clockSkewSeconds ?? 0) * 1000;

  function addUser(u: UserSpec): void {
    const accountId = u.accountId ?? DEFAULT_ACCOUNT;
    const path = normalizePath(u.path);
    const nameKey = `${accountId}/${u.userName}`;
    if (usersByName.has(nameKey)) throw new Error(`emulator: user ${u.userName} already exists in ${accountId}`);
    if (usersByKey.has(u.accessKeyId)) throw new Error(`emulator: access key ${u.accessKeyId} already in use`);
    const devices: DeviceState[] = [];
    for (const d of u.devices ?? []) {
      if (devicesBySerial.has(d.serialNumber)) throw new Error(`emulator: MFA device ${d.serialNumber} already assigned`);
      base32Decode(d.seed); // throws on a malformed seed
      const device: DeviceState = {
        serialNumber: d.serialNumber,
        seed: d.seed,
        enableDate: d.enableDate ?? new Date(Math.floor(now() / 1000) * 1000),
        used: new Map(),
      };
      devices.push(device);
    }
    const user: UserState = {
      userName: u.userName,
      path,
      accountId,
      userId: `AIDA${randomString(BASE32_ALPHABET, 17)}`,
      arn: `arn:aws:iam::${accountId}:user${path}${u.userName}`,
      createDate: new Date(Math.floor(now() / 1000) * 1000 - 400 * 86_400_000),
      devices,
    };
    for (const d of devices) devicesBySerial.set(d.serialNumber, d);
    usersByName.set(nameKey, user);
    usersByKey.set(u.accessKeyId, { user, secretAccessKey: u.secretAccessKey });
  }

  for (const u of opts.users ?? []) addUser(u);

  // --- MFA -----------------------------------------------------------------------------------

  /** The steps a code may come from, in the order freshCode prefers them. */
  const windowSteps = (): number[] => {
    const t = totpStep(now());
    return [t, t + 1, t - 1];
  };

  function pruneUsed(device: DeviceState): void {
    const oldest = totpStep(now()) - 2;
    for (const step of device.used.keys()) if (step < oldest) device.used.delete(step);
  }

  function codeIsFresh(device: DeviceState, step: number, code: string): boolean {
    if (device.used.has(step)) return false;
    for (const usedCode of device.used.values()) if (usedCode === code) return false;
    return true;
  }

  /** Accepts `code` for `device` once; false if wrong, out of window, or already used. */
  function consumeCode(device: DeviceState, code: string): boolean {
    pruneUsed(device);
    for (const step of windowSteps()) {
      if (totpAtStep(device.seed, step) === code && codeIsFresh(device, step, code)) {
        device.used.set(step, code);
        return true;
      }
    }
    return false;
  }

  function freshCode(serialNumber: string): string {
    const device = devicesBySerial.get(serialNumber);
    if (!device) throw new Error(`emulator: no MFA device ${serialNumber}`);
    pruneUsed(device);
    for (const step of windowSteps()) {
      const code = totpAtStep(device.seed, step);
      if (codeIsFresh(device, step, code)) return code;
    }
    throw new Error(`emulator: every code in the current window of ${serialNumber} is used; wait for the next 30 s step`);
  }

  // --- authentication ------------------------------------------------------------------------

  function authenticate(
    req: IncomingMessage,
    headers: Map<string, string>,
    auth: ParsedAuthorization | AuthFailure | undefined,
    body: Buffer,
    rawPath: string,
    rawQuery: string,
  ): Caller {
    const failWith = (f: AuthFailure): never => {
      throw new ApiError(f.status, f.code, f.message);
    };
    if (auth === undefined) throw new ApiError(403, 'MissingAuthenticationToken', MSG.missingAuth);
    if (isAuthFailure(auth)) return failWith(auth);
    if (auth.service !== 'sts' && auth.service !== 'iam') {
      throw new ApiError(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'sts'. `);
    }
    const amzDate = requestAmzDate(headers);
    if (isAuthFailure(amzDate)) return failWith(amzDate);
    const scopeProblem = checkScope(auth, amzDate);
    if (scopeProblem) failWith(scopeProblem);

    const token = headers.get('x-amz-security-token');
    let secretAccessKey: string;
    let caller: Caller;
    const longTerm = usersByKey.get(auth.accessKeyId);
    if (longTerm) {
      if (token !== undefined) throw new ApiError(403, 'InvalidClientTokenId', MSG.invalidToken);
      secretAccessKey = longTerm.secretAccessKey;
      caller = { accessKeyId: auth.accessKeyId, user: longTerm.user };
    } else {
      const session = sessionsByKey.get(auth.accessKeyId);
      if (!session || token !== session.session.sessionToken) {
        throw new ApiError(403, 'InvalidClientTokenId', MSG.invalidToken);
      }
      if (now() >= session.session.expiration.getTime()) throw new ApiError(403, 'ExpiredToken', MSG.expiredToken);
      // IAM refuses GetSessionToken credentials that were obtained without MFA.
      if (auth.service === 'iam' && !session.mfa) throw new ApiError(403, 'InvalidClientTokenId', MSG.invalidToken);
      secretAccessKey = session.session.secretAccessKey;
      caller = { accessKeyId: auth.accessKeyId, user: session.user, session };
    }

    const ok = verifySignature({
      method: req.method ?? 'POST',
      rawPath,
      rawQuery,
      headers,
      payloadHash: sha256Hex(body),
      auth,
      amzDate,
      secretAccessKey,
    });
    if (!ok) throw new ApiError(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE);
    const timeProblem = checkRequestTime(amzDate, now());
    if (timeProblem) failWith(timeProblem);
    return caller;
  }

  // --- actions -------------------------------------------------------------------------------

  function findUser(accountId: string, userName: string): UserState {
    const user = usersByName.get(`${accountId}/${userName}`);
    if (!user) throw new ApiError(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);
    return user;
  }

  function getSessionToken(caller: Caller, p: Record<string, string>): XmlObject {
    const problems: string[] = [];
    let duration = 43_200;
    if (p.DurationSeconds !== undefined) {
      duration = Number(p.DurationSeconds);
      if (!/^-?\d+$/.test(p.DurationSeconds)) {
        throw new ApiError(400, 'MalformedInput', `Invalid value for parameter DurationSeconds: ${p.DurationSeconds}`);
      }
      if (duration < 900) problems.push(constraint(p.DurationSeconds, 'durationSeconds', 'have value greater than or equal to 900'));
      if (duration > 129_600) problems.push(constraint(p.DurationSeconds, 'durationSeconds', 'have value less than or equal to 129600'));
    }
    const serial = p.SerialNumber;
    if (serial !== undefined) {
      if (!/^[\w+=/:,.@-]*$/.test(serial)) problems.push(constraint(serial, 'serialNumber', 'satisfy regular expression pattern: [\\w+=/:,.@-]*'));
      if (serial.length < 9) problems.push(constraint(serial, 'serialNumber', 'have length greater than or equal to 9'));
      if (serial.length > 256) problems.push(constraint(serial, 'serialNumber', 'have length less than or equal to 256'));
    }
    const code = p.TokenCode;
    if (code !== undefined) {
      if (!/^\d*$/.test(code)) problems.push(constraint(code, 'tokenCode', 'satisfy regular expression pattern: [\\d]*'));
      if (code.length < 6) problems.push(constraint(code, 'tokenCode', 'have length greater than or equal to 6'));
      if (code.length > 6) problems.push(constraint(code, 'tokenCode', 'have length less than or equal to 6'));
    }
    if (problems.length > 0) throw validationError(problems);
    if (caller.session) throw new ApiError(403, 'AccessDenied', MSG.sessionGst);

    let mfaSerial = '';
    if (serial !== undefined || code !== undefined) {
      const device = serial === undefined ? undefined : caller.user.devices.find((d) => d.serialNumber === serial);
      if (!device) throw new ApiError(403, 'AccessDenied', MSG.badSerial);
      if (code === undefined || !consumeCode(device, code)) throw new ApiError(403, 'AccessDenied', MSG.badCode);
      mfaSerial = device.serialNumber;
    }

    const session: IssuedSession = {
      accessKeyId: `ASIA${randomString(UPPER_ALNUM, 16)}`,
      secretAccessKey: randomString(SECRET_ALPHABET, 40),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(330).toString('base64')}`,
      expiration: new Date(Math.floor(now() / 1000) * 1000 + duration * 1000),
      userName: caller.user.userName,
      serialNumber: mfaSerial,
    };
    sessionsByKey.set(session.accessKeyId, { session, user: caller.user, mfa: mfaSerial !== '' });
    sessions.push(session);
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: session.expiration,
      },
    };
  }

  function getCallerIdentity(caller: Caller): XmlObject {
    // GetSessionToken sessions act as the IAM user itself: same ARN and user id.
    return { Arn: caller.user.arn, UserId: caller.user.userId, Account: caller.user.accountId };
  }

  function getUser(caller: Caller, p: Record<string, string>): XmlObject {
    const user = p.UserName ? findUser(caller.user.accountId, p.UserName) : caller.user;
    return {
      User: { Path: user.path, UserName: user.userName, UserId: user.userId, Arn: user.arn, CreateDate: user.createDate },
    };
  }

  function listMfaDevices(caller: Caller, p: Record<string, string>): XmlObject {
    if (p.UserName === undefined && faults.requireUserName) {
      throw new ApiError(400, 'ValidationError', 'Must specify userName when calling with non-User credentials');
    }
    const targetName = p.UserName ?? caller.user.userName;
    if (faults.denyListMfaDevices) {
      throw new ApiError(
        403,
        'AccessDenied',
        `User: ${caller.user.arn} is not authorized to perform: iam:ListMFADevices on resource: user ${targetName} ` +
          'because no identity-based policy allows the iam:ListMFADevices action',
      );
    }
    const user = p.UserName === undefined ? caller.user : findUser(caller.user.accountId, p.UserName);
    let maxItems = 100;
    if (p.MaxItems !== undefined) {
      maxItems = Number(p.MaxItems);
      if (!/^\d+$/.test(p.MaxItems) || maxItems < 1) throw validationError([constraint(p.MaxItems, 'maxItems', 'have value greater than or equal to 1')]);
      if (maxItems > 1000) throw validationError([constraint(p.MaxItems, 'maxItems', 'have value less than or equal to 1000')]);
    }
    let start = 0;
    if (p.Marker !== undefined) {
      const decoded = /^m(\d+)$/.exec(Buffer.from(p.Marker, 'base64').toString('latin1'));
      if (!decoded) throw new ApiError(400, 'InvalidInput', 'Invalid Marker.');
      start = Number(decoded[1]);
    }
    const page = user.devices.slice(start, start + maxItems);
    const truncated = start + maxItems < user.devices.length;
    return {
      MFADevices: page.map((d) => ({ UserName: user.userName, SerialNumber: d.serialNumber, EnableDate: d.enableDate })),
      IsTruncated: truncated,
      Marker: truncated ? Buffer.from(`m${start + maxItems}`).toString('base64') : undefined,
    };
  }

  // --- HTTP ----------------------------------------------------------------------------------

  function send(res: ServerResponse, record: RecordedRequest | undefined, status: number, body: string, requestId: string): void {
    if (record) record.status = status;
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      'x-amzn-RequestId': requestId,
      'Content-Type': 'text/xml',
      'Content-Length': String(bytes.length),
      Date: new Date(now()).toUTCString(),
    });
    res.end(bytes);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const receivedHr = process.hrtime.bigint();
    const requestId = randomUUID();
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    // AWS Query accepts parameters in the query string and in a form-encoded POST body.
    const params = { ...parseForm(rawQuery), ...(req.method === 'POST' ? parseForm(body.toString('utf8')) : {}) };
    const headers = headerMap(req.rawHeaders);
    const authHeader = headers.get('authorization');
    const auth = authHeader === undefined ? undefined : parseAuthorization(authHeader);
    const scoped = auth && !isAuthFailure(auth) ? auth : undefined;
    const service: Service =
      scoped?.service === 'iam' || (scoped?.service !== 'sts' && params.Version === IAM_VERSION) ? 'iam' : 'sts';
    const namespace = service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE;
    const record: RecordedRequest = {
      service,
      action: params.Action ?? '',
      ...(scoped && { accessKeyId: scoped.accessKeyId }),
      params,
      receivedAt,
      receivedHr,
      status: 0,
    };
    requests.push(record);

    const fail = (e: ApiError) => send(res, record, e.status, errorXml(namespace, e.type, e.code, e.message, requestId), requestId);

    if ((faults.throttle ?? 0) > 0) {
      faults.throttle! -= 1;
      return fail(new ApiError(400, 'Throttling', MSG.throttled));
    }
    if ((faults.serverError ?? 0) > 0) {
      faults.serverError! -= 1;
      return fail(new ApiError(500, 'InternalFailure', MSG.internal));
    }
    if (faults.hang) return; // never answer; close() destroys the socket

    try {
      const caller = authenticate(req, headers, auth, body, rawPath, rawQuery);
      const action = params.Action;
      const version = params.Version ?? '';
      if (action === undefined || action === '') throw new ApiError(400, 'MissingAction', 'Missing Action');
      let result: XmlObject | undefined;
      if (service === 'sts' && version === STS_VERSION) {
        if (action === 'GetSessionToken') result = getSessionToken(caller, params);
        else if (action === 'GetCallerIdentity') result = getCallerIdentity(caller);
      } else if (service === 'iam' && version === IAM_VERSION) {
        if (action === 'GetUser') result = getUser(caller, params);
        else if (action === 'ListMFADevices') result = listMfaDevices(caller, params);
      }
      if (!result) throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
      send(res, record, 200, successXml(namespace, action, result, requestId), requestId);
    } catch (error) {
      fail(error instanceof ApiError ? error : new ApiError(500, 'InternalFailure', MSG.internal));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    sessions,
    addUser,
    deleteAccessKey(accessKeyId) {
      usersByKey.delete(accessKeyId);
      sessionsByKey.delete(accessKeyId);
    },
    setFaults(f) {
      faults = { ...f };
    },
    freshCode,
    now,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        server.closeAllConnections();
      });
    },
  };
}
