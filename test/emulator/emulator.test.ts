/**
 * Drives the emulator with the real AWS SDK v3 clients (and, where the SDK cannot express a
 * request, with requests signed by the SDK's own SigV4 signer) so the wire behaviour is checked
 * end to end.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { request as httpRequest } from 'node:http';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient, type GetSessionTokenCommandInput } from '@aws-sdk/client-sts';
import { GetUserCommand, IAMClient, ListMFADevicesCommand } from '@aws-sdk/client-iam';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { startEmulator, totp, randomSeed, base32Encode, base32Decode, type Emulator, type UserSpec } from './index.js';
import { totpAtStep, totpStep } from './totp.js';
import { canonicalQuery, formatAmzDate, headerMap, parseAuthorization, uriEncode, verifySignature, sha256Hex } from './sigv4.js';
import { escapeXml } from './xml.js';

// --- fixtures ------------------------------------------------------------------------------------

const ACCOUNT = '123456789012';
const ALICE_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/alice`;
const ALICE_SERIAL_2 = `arn:aws:iam::${ACCOUNT}:mfa/alice-backup`;
const BOB_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/bob`;
const alice: UserSpec = {
  userName: 'alice',
  accessKeyId: 'AKIAALICE00000000001',
  secretAccessKey: 'aliceSecretKey/+aaaaaaaaaaaaaaaaaaaaaaaaaa'.slice(0, 40),
  devices: [
    { serialNumber: ALICE_SERIAL, seed: randomSeed(), enableDate: new Date('2024-05-06T07:08:09Z') },
    { serialNumber: ALICE_SERIAL_2, seed: randomSeed() },
  ],
};
const bob: UserSpec = {
  userName: 'bob',
  path: '/eng/',
  accountId: '210987654321',
  accessKeyId: 'AKIABOB0000000000001',
  secretAccessKey: 'b'.repeat(40),
  devices: [{ serialNumber: BOB_SERIAL, seed: randomSeed() }],
};

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
const keysOf = (u: UserSpec): Creds => ({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey });

let emu: Emulator;

function sts(creds: Creds, extra: Record<string, unknown> = {}): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: emu.url, credentials: creds, maxAttempts: 1, ...extra });
}
function iam(creds: Creds, extra: Record<string, unknown> = {}): IAMClient {
  return new IAMClient({ region: 'us-east-1', endpoint: emu.url, credentials: creds, maxAttempts: 1, ...extra });
}

/** Awaits a promise expected to reject and returns the error. */
async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; $fault?: string; $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

/** Puts the server clock 10 s into a TOTP step, so step arithmetic in a test cannot straddle a boundary. */
function pinMidStep(): void {
  const into = Date.now() % 30_000;
  emu.setFaults({ clockSkewSeconds: (10_000 - into) / 1000 });
}

let userCount = 0;
/**
 * A new user with one MFA device. Each device only has three codes per 30 s window (and a used
 * code is refused), so tests that mint sessions get their own device.
 */
function freshUser(): UserSpec & { serial: string; devices: { serialNumber: string; seed: string }[] } {
  userCount += 1;
  const n = String(userCount).padStart(4, '0');
  const serial = `arn:aws:iam::${ACCOUNT}:mfa/user${n}`;
  const spec = {
    userName: `user${n}`,
    accessKeyId: `AKIATESTUSER0000${n}`,
    secretAccessKey: `secret${n}`.padEnd(40, 'x'),
    devices: [{ serialNumber: serial, seed: randomSeed() }],
  };
  emu.addUser(spec);
  return { ...spec, serial };
}

async function mfaSession(durationSeconds = 900): Promise<Creds> {
  const user = freshUser();
  const out = await sts(keysOf(user)).send(
    new GetSessionTokenCommand({ SerialNumber: user.serial, TokenCode: emu.freshCode(user.serial), DurationSeconds: durationSeconds }),
  );
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** SHA-256 for the SDK's SignatureV4 signer, on node:crypto. */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}
function toBytes(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawPost(path: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  const u = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST signed by the SDK's own SigV4 signer, for requests the typed clients cannot make. */
async function signedPost(
  body: string,
  opts: { creds?: Creds; service?: string; path?: string; query?: Record<string, string>; signingDate?: Date } = {},
): Promise<RawResponse> {
  const u = new URL(emu.url);
  const signer = new SignatureV4({
    credentials: opts.creds ?? keysOf(alice),
    region: 'us-east-1',
    service: opts.service ?? 'sts',
    sha256: NodeSha256 as never,
    uriEscapePath: true,
  });
  const path = opts.path ?? '/';
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path,
      query: opts.query ?? {},
      headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    },
    { signingDate: opts.signingDate ?? new Date() },
  );
  const qs = Object.entries(opts.query ?? {})
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  return rawPost(qs ? `${path}?${qs}` : path, signed.headers as Record<string, string>, body);
}

beforeAll(async () => {
  emu = await startEmulator({ users: [alice, bob] });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.setFaults({});
});

// --- TOTP ----------------------------------------------------------------------------------------

describe('totp', () => {
  // RFC 6238 appendix B, SHA-1, seed "12345678901234567890" (ASCII).
  const rfcSeed = base32Encode(Buffer.from('12345678901234567890', 'ascii'));
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('RFC 6238 SHA-1 vector at T=%i', (seconds, expected) => {
    expect(totp(rfcSeed, seconds * 1000, { digits: 8 })).toBe(expected);
    // 6-digit codes are the same truncated value mod 10^6.
    expect(totp(rfcSeed, seconds * 1000)).toBe(expected.slice(2));
  });

  it('base32 round-trips and matches RFC 4648 vectors', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZ1')).toThrow(/invalid base32/);
    const seed = randomSeed();
    expect(seed).toMatch(/^[A-Z2-7]{64}$/);
    expect(base32Encode(base32Decode(seed))).toBe(seed);
  });
});

// --- SigV4 verifier against the SDK's signer -----------------------------------------------------

describe('sigv4 verifier', () => {
  it('accepts what @smithy/signature-v4 signs, including odd paths, queries and headers, and rejects tampering', async () => {
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const signer = new SignatureV4({ credentials: creds, region: 'eu-west-1', service: 'iam', sha256: NodeSha256 as never, uriEscapePath: true });
    const body = 'Action=GetUser&Version=2010-05-08';
    const query = { 'b key': 'v/1', a: 'x y*', Zed: '' };
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: 'example.test',
        path: '/a%20b/c%25d', // the SDK's request path is the on-the-wire (encoded) path
        query,
        headers: { host: 'example.test', 'x-custom': '  spaced   out  value ', 'content-type': 'application/x-www-form-urlencoded' },
        body,
      },
      { signingDate: new Date('2026-11-27T19:01:23Z') },
    );
    const headers = signed.headers as Record<string, string>;
    const auth = parseAuthorization(headers.authorization!);
    if ('code' in auth) throw new Error(auth.message);
    expect(auth).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', date: '20261127', region: 'eu-west-1', service: 'iam' });
    const rawHeaders = Object.entries(headers).flat();
    // On the wire the path is percent-encoded once; the verifier encodes it a second time.
    const wirePath = '/a%20b/c%25d';
    const wireQuery = Object.entries(query)
      .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
      .join('&');
    const base = {
      method: 'POST',
      rawPath: wirePath,
      rawQuery: wireQuery,
      headers: headerMap(rawHeaders),
      payloadHash: sha256Hex(body),
      auth,
      amzDate: '20261127T190123Z',
      secretAccessKey: creds.secretAccessKey,
    };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, secretAccessKey: 'x' + creds.secretAccessKey.slice(1) })).toBe(false);
    expect(verifySignature({ ...base, payloadHash: sha256Hex(body + 'x') })).toBe(false);
    expect(verifySignature({ ...base, rawQuery: wireQuery + '&extra=1' })).toBe(false);
    expect(canonicalQuery('b=2&a=2&a=1')).toBe('a=1&a=2&b=2');
    expect(formatAmzDate(Date.UTC(2026, 10, 27, 19, 1, 23))).toBe('20261127T190123Z');
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });

  it('the server accepts SDK-signed requests with a non-root path and a query string', async () => {
    const res = await signedPost('Action=GetCallerIdentity&Version=2011-06-15', { path: '/some%20path/x.y', query: { 'q 1': 'a/b', z: '' } });
    expect(res.status).toBe(200);
    expect(res.body).toContain(`<Arn>arn:aws:iam::${ACCOUNT}:user/alice</Arn>`);
  });
});

// --- the happy path ------------------------------------------------------------------------------

describe('GetSessionToken and session credentials', () => {
  it('issues MFA session credentials that work for GetCallerIdentity and IAM', async () => {
    const before = emu.requests.length;
    const code = emu.freshCode(ALICE_SERIAL);
    const started = emu.now();
    const out = await sts(keysOf(alice)).send(
      new GetSessionTokenCommand({ SerialNumber: ALICE_SERIAL, TokenCode: code, DurationSeconds: 3600 }),
    );
    expect(emu.freshCode(ALICE_SERIAL)).not.toBe(code);
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(c.SessionToken!.length).toBeGreaterThan(300);
    expect(c.Expiration).toBeInstanceOf(Date);
    expect(Math.abs(c.Expiration!.getTime() - (started + 3600_000))).toBeLessThan(2000);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const issued = emu.sessions.at(-1)!;
    expect(issued).toEqual({
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      userName: 'alice',
      serialNumber: ALICE_SERIAL,
    });
    const rec = emu.requests[before]!;
    expect(rec).toMatchObject({ service: 'sts', action: 'GetSessionToken', accessKeyId: alice.accessKeyId, status: 200 });
    expect(rec.params).toMatchObject({ SerialNumber: ALICE_SERIAL, TokenCode: code, DurationSeconds: '3600', Version: '2011-06-15' });
    expect(typeof rec.receivedHr).toBe('bigint');
    expect(Math.abs(rec.receivedAt - Date.now())).toBeLessThan(5000);

    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const longTermId = await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}));
    const id = await sts(session).send(new GetCallerIdentityCommand({}));
    // GetSessionToken sessions act as the IAM user: same ARN and user id as the long-term keys.
    expect(id.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(id.Account).toBe(ACCOUNT);
    expect(id.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(id.UserId).toBe(longTermId.UserId);
    expect(emu.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', accessKeyId: c.AccessKeyId, status: 200 });

    const user = await iam(session).send(new GetUserCommand({}));
    expect(user.User).toMatchObject({ UserName: 'alice', Path: '/', Arn: id.Arn, UserId: id.UserId });
    expect(user.User!.CreateDate).toBeInstanceOf(Date);
  });

  it('defaults DurationSeconds to 43200 and works without MFA (but IAM refuses such sessions)', async () => {
    const started = emu.now();
    const out = await sts(keysOf(alice)).send(new GetSessionTokenCommand({}));
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (started + 43_200_000))).toBeLessThan(2000);
    expect(emu.sessions.at(-1)!.serialNumber).toBe('');
    const c = out.Credentials!;
    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    expect((await sts(session).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    const err = await failure(iam(session).send(new GetUserCommand({})));
    expect(err.name).toBe('InvalidClientTokenId');
  });

  it('reports user paths and other accounts in ARNs', async () => {
    const id = await sts(keysOf(bob)).send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe('arn:aws:iam::210987654321:user/eng/bob');
    expect(id.Account).toBe('210987654321');
    const user = await iam(keysOf(bob)).send(new GetUserCommand({}));
    expect(user.User).toMatchObject({ Path: '/eng/', UserName: 'bob', Arn: id.Arn });
  });

  it('lists MFA devices (with and without UserName, paginated with MaxItems/Marker)', async () => {
    const all = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(all.IsTruncated).toBe(false);
    expect(all.MFADevices).toEqual([
      { UserName: 'alice', SerialNumber: ALICE_SERIAL, EnableDate: new Date('2024-05-06T07:08:09Z') },
      { UserName: 'alice', SerialNumber: ALICE_SERIAL_2, EnableDate: expect.any(Date) },
    ]);
    const implicit = await iam(keysOf(alice)).send(new ListMFADevicesCommand({}));
    expect(implicit.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL, ALICE_SERIAL_2]);
    expect(emu.requests.at(-1)).toMatchObject({ service: 'iam', action: 'ListMFADevices', status: 200 });

    const page1 = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ MaxItems: 1 }));
    expect(page1.IsTruncated).toBe(true);
    expect(page1.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL]);
    const page2 = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ MaxItems: 1, Marker: page1.Marker! }));
    expect(page2.IsTruncated).toBe(false);
    expect(page2.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL_2]);

    const missing = await failure(iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'nobody' })));
    // The wire code is NoSuchEntity; the IAM SDK maps it to its modelled NoSuchEntityException.
    expect(missing.name).toBe('NoSuchEntityException');
    expect((missing as unknown as { Error: { Code: string } }).Error.Code).toBe('NoSuchEntity');
    expect(missing.message).toBe('The user with name nobody cannot be found.');
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('is reachable through AWS_ENDPOINT_URL without an explicit endpoint', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = emu.url;
    try {
      const s = new STSClient({ region: 'us-east-1', credentials: keysOf(alice), maxAttempts: 1 });
      const i = new IAMClient({ region: 'us-east-1', credentials: keysOf(alice), maxAttempts: 1 });
      expect((await s.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
      expect((await i.send(new GetUserCommand({}))).User!.UserName).toBe('alice');
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('answers with AWS wire headers and XML shapes', async () => {
    const ok = await signedPost('Action=GetCallerIdentity&Version=2011-06-15');
    expect(ok.headers['content-type']).toBe('text/xml');
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.body).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(ok.body).toContain(`<RequestId>${ok.headers['x-amzn-requestid']}</RequestId>`);

    const iamErr = await signedPost('Action=Nope&Version=2010-05-08', { service: 'iam' });
    expect(iamErr.status).toBe(400);
    expect(iamErr.body).toMatch(/^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">/);
    expect(iamErr.body).toMatch(/<Error>\s*<Type>Sender<\/Type>\s*<Code>InvalidAction<\/Code>\s*<Message>Could not find operation Nope for version 2010-05-08<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>/);

    const unsigned = await rawPost('/', { 'content-type': 'application/x-www-form-urlencoded' }, 'Action=GetCallerIdentity&Version=2011-06-15');
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('<Code>MissingAuthenticationToken</Code>');

    emu.setFaults({ clockSkewSeconds: -3600 });
    const skewed = await signedPost('Action=GetCallerIdentity&Version=2011-06-15', { signingDate: new Date(Date.now() - 3600_000) });
    expect(skewed.status).toBe(200);
    expect(Math.abs(Date.parse(String(skewed.headers.date)) - (Date.now() - 3600_000))).toBeLessThan(3000);
  });
});

// --- authentication errors -----------------------------------------------------------------------

describe('authentication errors', () => {
  it('unknown access key → InvalidClientTokenId', async () => {
    const err = await failure(sts({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('InvalidClientTokenId');
    expect(err.message).toBe('The security token included in the request is invalid.');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.$fault).toBe('client');
    expect(emu.requests.at(-1)).toMatchObject({ accessKeyId: 'AKIANOBODY0000000000', status: 403 });
  });

  it('wrong secret → SignatureDoesNotMatch', async () => {
    const err = await failure(iam({ ...keysOf(alice), secretAccessKey: 'y'.repeat(40) }).send(new GetUserCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toBe(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('server clock far ahead → Signature expired (AWS wording); the SDK then corrects its clock from the Date header', async () => {
    emu.setFaults({ clockSkewSeconds: 600 });
    const client = sts(keysOf(alice));
    const err = await failure(client.send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    const [, sent, limit, serverNow] = /(\S+) is now earlier than (\S+) \((\S+) - 5 min/.exec(err.message)!;
    const t = (s: string) => Date.parse(s.replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/, '$1-$2-$3T$4:$5:$6Z'));
    expect(t(serverNow!) - t(limit!)).toBe(300_000);
    expect(Math.abs(t(serverNow!) - t(sent!) - 600_000)).toBeLessThan(3000);
    // Like against AWS, the SDK picks up the server time from the Date header and the retry signs right.
    expect((await client.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('server clock far behind → Signature not yet current', async () => {
    emu.setFaults({ clockSkewSeconds: -600 });
    const err = await failure(sts(keysOf(alice)).send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
  });

  it('small skew is tolerated', async () => {
    emu.setFaults({ clockSkewSeconds: 240 });
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    expect(Math.abs(emu.now() - Date.now() - 240_000)).toBeLessThan(50);
  });

  it('session token: wrong or missing token → InvalidClientTokenId; expired → ExpiredToken', async () => {
    const session = await mfaSession();
    const wrong = await failure(sts({ ...session, sessionToken: session.sessionToken!.slice(0, -4) + 'AAAA' }).send(new GetCallerIdentityCommand({})));
    expect(wrong.name).toBe('InvalidClientTokenId');
    const missing = await failure(sts({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }).send(new GetCallerIdentityCommand({})));
    expect(missing.name).toBe('InvalidClientTokenId');
    const onLongTerm = await failure(sts({ ...keysOf(alice), sessionToken: session.sessionToken! }).send(new GetCallerIdentityCommand({})));
    expect(onLongTerm.name).toBe('InvalidClientTokenId');

    // Expire it by moving the server clock past its 900 s lifetime.
    emu.setFaults({ clockSkewSeconds: 901 });
    const expired = await failure(sts(session).send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
    expect(expired.message).toBe('The security token included in the request is expired');
    expect(expired.$metadata.httpStatusCode).toBe(403);
    emu.setFaults({});
    expect((await sts(session).send(new GetCallerIdentityCommand({}))).Arn).toMatch(/:user\/user\d{4}$/);
  });

  it('deleteAccessKey → later calls get InvalidClientTokenId', async () => {
    const spec: UserSpec = { userName: 'carol', accessKeyId: 'AKIACAROL00000000001', secretAccessKey: 'c'.repeat(40) };
    emu.addUser(spec);
    expect((await sts(keysOf(spec)).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/carol`);
    emu.deleteAccessKey(spec.accessKeyId);
    expect((await failure(sts(keysOf(spec)).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    expect(() => emu.addUser({ ...spec, accessKeyId: 'AKIACAROL00000000002' })).toThrow(/already exists/);
  });
});

// --- GetSessionToken errors ----------------------------------------------------------------------

describe('GetSessionToken errors', () => {
  const gst = (input: GetSessionTokenCommandInput, creds: Creds = keysOf(alice)) =>
    failure(sts(creds).send(new GetSessionTokenCommand(input)));

  it('with session credentials → AccessDenied', async () => {
    const session = await mfaSession();
    const owner = emu.sessions.find((s) => s.accessKeyId === session.accessKeyId)!;
    const err = await gst({ SerialNumber: owner.serialNumber, TokenCode: emu.freshCode(owner.serialNumber) }, session);
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toBe('Cannot call GetSessionToken with session credentials');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('DurationSeconds out of range → ValidationError', async () => {
    const low = await gst({ DurationSeconds: 10 });
    expect(low.name).toBe('ValidationError');
    expect(low.message).toBe(
      "1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    expect(low.$metadata.httpStatusCode).toBe(400);
    const high = await gst({ DurationSeconds: 129_601 });
    expect(high.message).toBe(
      "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
    );
  });

  it('TokenCode not 6 digits → ValidationError', async () => {
    const short = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '12345' });
    expect(short.name).toBe('ValidationError');
    expect(short.message).toBe(
      "1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
    );
    const letters = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: 'abcdef' });
    expect(letters.message).toBe(
      "1 validation error detected: Value 'abcdef' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*",
    );
    const long = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '1234567' });
    expect(long.message).toMatch(/Member must have length less than or equal to 6$/);
    const both = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '12a', DurationSeconds: 5 });
    expect(both.message).toMatch(/^3 validation errors detected: Value '5' at 'durationSeconds'.*; Value '12a' at 'tokenCode'.*; Value '12a' at 'tokenCode'/);
  });

  it('serial number not a device of this user → AccessDenied (unable to validate)', async () => {
    const message =
      'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.';
    for (const serial of [BOB_SERIAL, `arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:mfa/nobody`]) {
      const err = await gst({ SerialNumber: serial, TokenCode: '123456' });
      expect(err.name).toBe('AccessDenied');
      expect(err.message).toBe(message);
      expect(err.$metadata.httpStatusCode).toBe(403);
    }
  });

  it('wrong code and reused code → AccessDenied (invalid one time pass code)', async () => {
    pinMidStep();
    const user = freshUser();
    const seed = user.devices[0]!.seed;
    const message = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';
    const t = totpStep(emu.now());
    const valid = new Set([t - 1, t, t + 1].map((s) => totpAtStep(seed, s)));
    let wrong = '000000';
    while (valid.has(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
    const bad = await gst({ SerialNumber: user.serial, TokenCode: wrong }, keysOf(user));
    expect(bad.name).toBe('AccessDenied');
    expect(bad.message).toBe(message);

    const code = emu.freshCode(user.serial);
    expect(code).toBe(totpAtStep(seed, t));
    await sts(keysOf(user)).send(new GetSessionTokenCommand({ SerialNumber: user.serial, TokenCode: code }));
    const reused = await gst({ SerialNumber: user.serial, TokenCode: code }, keysOf(user));
    expect(reused.name).toBe('AccessDenied');
    expect(reused.message).toBe(message);
    // Another user's valid code is no good either.
    const other = freshUser();
    const foreignCode = emu.freshCode(other.serial);
    if (!valid.has(foreignCode)) {
      expect((await gst({ SerialNumber: user.serial, TokenCode: foreignCode }, keysOf(user))).message).toBe(message);
    }
    expect(emu.freshCode(user.serial)).toBe(totpAtStep(seed, t + 1));
  });

  it('accepts codes from steps t-1 and t+1, rejects t-2 and t+2', async () => {
    pinMidStep();
    const device = alice.devices![1]!; // a device no other test consumes codes of
    const at = (deltaSteps: number) => totp(device.seed, emu.now() + deltaSteps * 30_000);
    for (const delta of [-2, 2]) {
      const code = at(delta);
      if ([-1, 0, 1].some((d) => at(d) === code)) continue; // a 1-in-10^6 collision would make this meaningless
      const err = await gst({ SerialNumber: device.serialNumber, TokenCode: code });
      expect(err.name, `step ${delta}`).toBe('AccessDenied');
    }
    for (const delta of [-1, 1, 0]) {
      const out = await sts(keysOf(alice)).send(new GetSessionTokenCommand({ SerialNumber: device.serialNumber, TokenCode: at(delta) }));
      expect(out.Credentials!.AccessKeyId, `step ${delta}`).toMatch(/^ASIA/);
    }
    // All three steps of the window are now used.
    expect(() => emu.freshCode(device.serialNumber)).toThrow(/used/);
    expect(() => emu.freshCode('arn:aws:iam::123456789012:mfa/unknown')).toThrow(/no MFA device/);
  });

  it('uses the server clock for TOTP (clock skew shifts the accepted codes)', async () => {
    pinMidStep();
    const skewSeconds = 10 - (Date.now() % 30_000) / 1000 + 120; // 4 steps ahead, still within the 5-minute signing window
    emu.setFaults({ clockSkewSeconds: skewSeconds });
    const localCode = totp(bob.devices![0]!.seed, Date.now());
    const serverCode = emu.freshCode(BOB_SERIAL);
    expect(serverCode).toBe(totp(bob.devices![0]!.seed, emu.now()));
    if (localCode !== serverCode) {
      const err = await gst({ SerialNumber: BOB_SERIAL, TokenCode: localCode }, keysOf(bob));
      expect(err.name).toBe('AccessDenied');
    }
    const ok = await sts(keysOf(bob)).send(new GetSessionTokenCommand({ SerialNumber: BOB_SERIAL, TokenCode: serverCode }));
    expect(ok.Credentials!.Expiration!.getTime() - emu.now()).toBeGreaterThan(43_200_000 - 3000);
  });
});

// --- IAM errors ----------------------------------------------------------------------------------

describe('IAM faults', () => {
  it('denyListMfaDevices → AccessDenied naming the caller and the user', async () => {
    emu.setFaults({ denyListMfaDevices: true });
    const err = await failure(iam(keysOf(bob)).send(new ListMFADevicesCommand({ UserName: 'bob' })));
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toMatch(
      /^User: arn:aws:iam::210987654321:user\/eng\/bob is not authorized to perform: iam:ListMFADevices on resource: user bob\b/,
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
    // GetUser is unaffected.
    expect((await iam(keysOf(bob)).send(new GetUserCommand({}))).User!.UserName).toBe('bob');
  });

  it('requireUserName → ValidationError without UserName, fine with it', async () => {
    emu.setFaults({ requireUserName: true });
    const err = await failure(iam(keysOf(alice)).send(new ListMFADevicesCommand({})));
    expect(err.name).toBe('ValidationError');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const ok = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(ok.MFADevices).toHaveLength(2);
  });
});

// --- transport faults ----------------------------------------------------------------------------

describe('transport faults', () => {
  it('throttle: the next N requests get Throttling, then calls succeed', async () => {
    emu.setFaults({ throttle: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await failure(sts(keysOf(alice)).send(new GetCallerIdentityCommand({})));
      expect(err.name).toBe('Throttling');
      expect(err.message).toBe('Rate exceeded');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(emu.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 400 });
    }
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('serverError: 500 InternalFailure; the SDK retries through it', async () => {
    emu.setFaults({ serverError: 1 });
    const err = await failure(iam(keysOf(alice)).send(new GetUserCommand({})));
    expect(err.name).toBe('InternalFailure');
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(err.$fault).toBe('server');

    emu.setFaults({ serverError: 1 });
    const before = emu.requests.length;
    const out = await sts(keysOf(alice), { maxAttempts: 2 }).send(new GetCallerIdentityCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(emu.requests.slice(before).map((r) => r.status)).toEqual([500, 200]);
  });

  it('hang: the client times out, and close() still returns promptly', async () => {
    const own = await startEmulator({ users: [alice], faults: { hang: true } });
    try {
      const client = new STSClient({
        region: 'us-east-1',
        endpoint: own.url,
        credentials: keysOf(alice),
        maxAttempts: 1,
        // With this SDK version requestTimeout alone only logs a warning; it throws only when asked to.
        requestHandler: new NodeHttpHandler({ requestTimeout: 500, throwOnRequestTimeout: true }),
      });
      const started = Date.now();
      const err = await failure(client.send(new GetCallerIdentityCommand({})));
      expect(err.name).toBe('TimeoutError');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(own.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 0 });

      // Leave a hung request open while closing.
      const pending = client.send(new GetCallerIdentityCommand({}), { requestTimeout: 60_000 } as never).catch((e: Error) => e);
      await new Promise((r) => setTimeout(r, 100));
      const closing = Date.now();
      await own.close();
      expect(Date.now() - closing).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await own.close();
    }
  });

  it('hang: an abort signal ends the wait even without a request timeout', async () => {
    emu.setFaults({ hang: true });
    const started = Date.now();
    const err = await failure(sts(keysOf(alice)).send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(300) }));
    expect(err.name).toMatch(/AbortError|TimeoutError/);
    expect(Date.now() - started).toBeLessThan(2000);
    emu.setFaults({});
    // The server is still healthy for everyone else.
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('listens on 127.0.0.1 with an ephemeral port by default', () => {
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    expect(emu.port).toBeGreaterThan(0);
  });
});
