/**
 * A loopback STS + IAM endpoint that answers the AWS Query protocol the way AWS does on the wire:
 * SigV4 verification, session and role credentials, MFA (TOTP) checks, trust policies, AWS error
 * codes and messages, and injectable faults. Both services share one port; the credential scope
 * says which one is meant. The actions live in sts.ts and iam.ts, the account state in state.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
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
import { ApiError, MSG } from './errors.js';
import { parseTrustPolicy } from './policy.js';
import {
  DEFAULT_ACCOUNT,
  World,
  wholeSeconds,
  type AccessKeyInfo,
  type Caller,
  type Faults,
  type IssuedRoleSession,
  type IssuedSession,
  type RoleSpec,
  type UserSpec,
} from './state.js';
import { assumeRole, getCallerIdentity, getSessionToken } from './sts.js';
import {
  createAccessKey,
  deleteAccessKey,
  getAccessKeyLastUsed,
  getUser,
  listAccessKeys,
  listMfaDevices,
  updateAccessKey,
} from './iam.js';
import { errorXml, IAM_NAMESPACE, STS_NAMESPACE, successXml, type XmlObject } from './xml.js';

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

export interface RequestFilter {
  /** only requests answered with this HTTP status (200: the successful ones) */
  status?: number;
  /** only requests signed with this access key id */
  accessKeyId?: string;
  /** only requests that arrived at or after this Date.now() */
  since?: number;
}

export interface Emulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** GetSessionToken results, in order */
  sessions: IssuedSession[];
  /** AssumeRole results, in order */
  roleSessions: IssuedRoleSession[];
  addUser(u: UserSpec): void;
  /** Adds a role with its trust policy; returns its ARN and role id (AROA…). */
  addRole(r: RoleSpec): { arn: string; roleId: string };
  /** Replaces a role's trust policy (as iam:UpdateAssumeRolePolicy would). */
  setTrustPolicy(roleName: string, policy: string | object, accountId?: string): void;
  /** The access keys a user holds now (as iam:ListAccessKeys would list them). */
  accessKeys(userName: string, accountId?: string): AccessKeyInfo[];
  /** Later calls signed with this key → InvalidClientTokenId. Also works for session key ids. */
  deleteAccessKey(accessKeyId: string): void;
  /** How many requests of this action arrived (e.g. 'AssumeRole', 'GetSessionToken'), optionally filtered. */
  countRequests(action: string, filter?: RequestFilter): number;
  /** Replaces the faults. */
  setFaults(f: Faults): void;
  /**
   * A valid code (steps t-1, t, t+1 of the server clock) not used yet, the current step's first; throws if none left.
   * For codes the test spends itself at once; a code handed to the CLI takes lastingCode.
   */
  freshCode(serialNumber: string): string;
  /**
   * Like freshCode, but the unused code that stays accepted longest (the next step's first): what tests hand to the
   * CLI (--code, stdin, a code command, a prompt), so a 30 s step passing on a loaded machine does not reject it.
   */
  lastingCode(serialNumber: string): string;
  /** Server clock in ms. */
  now(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  users?: UserSpec[];
  roles?: RoleSpec[];
  faults?: Faults;
  port?: number;
  host?: string;
}

// ---------------------------------------------------------------------------------------------

const STS_VERSION = '2011-06-15';
const IAM_VERSION = '2010-05-08';
const MAX_BODY_BYTES = 1024 * 1024;

type Service = 'sts' | 'iam';
type Action = (world: World, caller: Caller, params: Record<string, string>) => XmlObject | null;

const ACTIONS: Record<Service, Record<string, Action>> = {
  sts: {
    GetSessionToken: getSessionToken,
    GetCallerIdentity: (_world, caller) => getCallerIdentity(caller),
    AssumeRole: assumeRole,
  },
  iam: {
    GetUser: getUser,
    ListMFADevices: listMfaDevices,
    CreateAccessKey: createAccessKey,
    DeleteAccessKey: deleteAccessKey,
    UpdateAccessKey: updateAccessKey,
    ListAccessKeys: listAccessKeys,
    GetAccessKeyLastUsed: getAccessKeyLastUsed,
  },
};

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

const invalidToken = (): ApiError => new ApiError(403, 'InvalidClientTokenId', MSG.invalidToken);

/** Resolves the key id of a request to its secret and the caller it stands for, as AWS would refuse it. */
function identify(
  world: World,
  service: Service,
  accessKeyId: string,
  token: string | undefined,
): { secret: string; caller: Caller } {
  const key = world.keysById.get(accessKeyId);
  if (key) {
    if (token !== undefined || key.status !== 'Active') throw invalidToken();
    // A key IAM has not propagated yet is unknown to the signature check.
    const propagating = key.rejectsLeft > 0 || world.now() < key.rejectUntil;
    if (key.rejectsLeft > 0) key.rejectsLeft -= 1;
    if (propagating) throw invalidToken();
    const { user } = key;
    return {
      secret: key.secretAccessKey,
      caller: { accessKeyId, accountId: user.accountId, arn: user.arn, userId: user.userId, user, key },
    };
  }
  const session = world.sessionsByKey.get(accessKeyId);
  if (!session || token !== session.sessionToken) throw invalidToken();
  if (world.now() >= session.expiration.getTime()) throw new ApiError(403, 'ExpiredToken', MSG.expiredToken);
  if (session.user) {
    // IAM refuses GetSessionToken credentials that were obtained without MFA.
    if (service === 'iam' && !session.mfa.present) throw invalidToken();
    const { user } = session;
    return {
      secret: session.secretAccessKey,
      caller: { accessKeyId, accountId: user.accountId, arn: user.arn, userId: user.userId, user, session },
    };
  }
  const { role, sessionName } = session.role!;
  return {
    secret: session.secretAccessKey,
    caller: {
      accessKeyId,
      accountId: role.accountId,
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`,
      userId: `${role.roleId}:${sessionName}`,
      role: session.role,
      session,
    },
  };
}

export async function startEmulator(opts: StartOptions = {}): Promise<Emulator> {
  const world = new World();
  world.faults = structuredClone(opts.faults ?? {});
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closed = false;

  for (const u of opts.users ?? []) world.addUser(u);
  for (const r of opts.roles ?? []) world.addRole(r);

  function authenticate(
    req: IncomingMessage,
    service: Service,
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

    const { secret, caller } = identify(world, service, auth.accessKeyId, headers.get('x-amz-security-token'));
    const ok = verifySignature({
      method: req.method ?? 'POST',
      rawPath,
      rawQuery,
      headers,
      payloadHash: sha256Hex(body),
      auth,
      amzDate,
      secretAccessKey: secret,
    });
    if (!ok) throw new ApiError(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE);
    const timeProblem = checkRequestTime(amzDate, world.now());
    if (timeProblem) failWith(timeProblem);
    if (caller.key)
      caller.key.lastUsed = { date: wholeSeconds(world.now()), service: auth.service, region: auth.region };
    return caller;
  }

  /** The failActions fault: throws the configured error for this action while it has times left. */
  function injectedFailure(service: Service, action: string, caller: Caller): void {
    const failure = world.faults.failActions?.[action];
    if (!failure || (failure.times !== undefined && failure.times <= 0)) return;
    if (failure.times !== undefined) failure.times -= 1;
    const permission = `${service}:${action}`;
    throw new ApiError(
      failure.status ?? 403,
      failure.code ?? 'AccessDenied',
      failure.message ??
        `User: ${caller.arn} is not authorized to perform: ${permission} because no identity-based policy allows the ${permission} action`,
    );
  }

  function send(
    res: ServerResponse,
    record: RecordedRequest | undefined,
    status: number,
    body: string,
    requestId: string,
  ): void {
    if (record) record.status = status;
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      'x-amzn-RequestId': requestId,
      'Content-Type': 'text/xml',
      'Content-Length': String(bytes.length),
      Date: new Date(world.now()).toUTCString(),
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

    const fail = (e: ApiError) =>
      send(res, record, e.status, errorXml(namespace, e.type, e.code, e.message, requestId), requestId);
    const { faults } = world;
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
      const caller = authenticate(req, service, headers, auth, body, rawPath, rawQuery);
      const action = params.Action;
      const version = params.Version ?? '';
      if (action === undefined || action === '') throw new ApiError(400, 'MissingAction', 'Missing Action');
      const expectedVersion = service === 'iam' ? IAM_VERSION : STS_VERSION;
      const run =
        version === expectedVersion && Object.hasOwn(ACTIONS[service], action) ? ACTIONS[service][action] : undefined;
      if (!run) throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
      injectedFailure(service, action, caller);
      const result = run(world, caller, params);
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
    sessions: world.sessions,
    roleSessions: world.roleSessions,
    addUser: (u) => world.addUser(u),
    addRole: (r) => world.addRole(r),
    setTrustPolicy(roleName, policy, accountId = DEFAULT_ACCOUNT) {
      world.findRole(roleName, accountId).trust = parseTrustPolicy(policy);
    },
    accessKeys: (userName, accountId) =>
      world
        .userNamed(userName, accountId)
        .keys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createDate: k.createDate })),
    deleteAccessKey(accessKeyId) {
      world.removeKey(accessKeyId);
      world.sessionsByKey.delete(accessKeyId);
    },
    countRequests: (action, filter = {}) =>
      requests.filter(
        (r) =>
          r.action === action &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.accessKeyId === undefined || r.accessKeyId === filter.accessKeyId) &&
          (filter.since === undefined || r.receivedAt >= filter.since),
      ).length,
    setFaults(f) {
      world.faults = structuredClone(f); // counters count down on the copy, not on the caller's object
    },
    freshCode: (serial) => world.freshCode(serial),
    lastingCode: (serial) => world.lastingCode(serial),
    now: () => world.now(),
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
