/**
 * The three AWS calls this tool makes. The SDK is imported here only, lazily, so commands that
 * never talk to AWS (status, env on a usable session, --help) never pay for loading it.
 */
import { ExitCode, UserError } from '../errors.js';
import { mapAwsError, type AwsCall, type AwsErrorContext } from './errors.js';
import {
  deviceKind,
  type AwsConnection,
  type AssumeRoleParams,
  type CallerIdentity,
  type MfaDevice,
  type RoleCredentials,
  type SessionCredentials,
} from './types.js';

/** How use cases get an AwsApi: injected, so tests pass a plain object. */
export type AwsFactory = (
  conn: AwsConnection,
  debug?: (line: string) => void,
  warn?: (line: string) => void,
) => Promise<AwsApi>;

export interface AwsApi {
  callerIdentity(): Promise<CallerIdentity>;
  listMfaDevices(userName: string): Promise<MfaDevice[]>;
  /** Starts building the IAM client (a large part of the SDK) without waiting, e.g. while GetCallerIdentity is on the wire. */
  prepareIam?(): void;
  getSessionToken(serialNumber: string, code: string, durationSeconds: number): Promise<SessionCredentials>;
  /** sts:AssumeRole with the connection's credentials (never with an MFA code: the session carries the MFA context). */
  assumeRole(params: AssumeRoleParams): Promise<RoleCredentials>;
  /**
   * The Date header of every STS answer so far (each attempt, errors included), oldest first: the
   * first one shows the clock difference before the SDK corrects for it (`doctor`).
   */
  stsServerDates?(): readonly ServerDate[];
  /**
   * Runs what a GetSessionToken does before the network (endpoint rules, serialising, signing) on a
   * request that never leaves: for while a person types the code, so that Enter sends at once.
   */
  warmUp?(): Promise<void>;
}

/** An AWS answer's Date header and the local clock around the request. */
export interface ServerDate {
  /** The server's clock (1 s resolution). */
  date: Date;
  /** Local Date.now() when the attempt was sent and when its answer arrived. */
  sentAt: number;
  receivedAt: number;
  /** The HTTP status of that answer. */
  status: number;
}

/** The SDK bundle, loaded once (openAws awaits the same load). */
export const loadSdk = () => import('./sdk.js');

/** Builds the clients. Start it early: it loads the SDK while the user types their code. */
export async function openAws(
  conn: AwsConnection,
  debug: (line: string) => void = () => {},
  warn: (line: string) => void = () => {},
): Promise<AwsApi> {
  const env = process.env;
  const stsUrl =
    conn.endpoint ?? env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? `https://sts.${conn.region}.amazonaws.com`;
  const iamUrl = conn.endpoint ?? env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL ?? 'https://iam.amazonaws.com';
  const [sts, stsRoute] = await Promise.all([loadSdk(), requestHandler(conn, stsUrl, debug)]);
  const common = {
    region: conn.region,
    credentials: conn.credentials,
    ...(conn.endpoint && { endpoint: conn.endpoint }),
  };
  const stsClient = quietly(
    () =>
      new sts.STSClient({
        ...common,
        requestHandler: stsRoute.handler,
        ...(conn.useGlobalEndpoint && { useGlobalEndpoint: true }),
      }),
  );
  debug(`STS client ready (${stsUrl})`);
  const serverDates: ServerDate[] = [];
  // Innermost (right around the HTTP call): sees every attempt's raw answer, before retries and skew correction.
  stsClient.middlewareStack.add(
    (next) => async (args) => {
      const sentAt = Date.now();
      const out = await next(args);
      const response = out.response as { statusCode?: number; headers?: Record<string, string | undefined> };
      const date = Date.parse(response.headers?.date ?? '');
      if (!Number.isNaN(date))
        serverDates.push({ date: new Date(date), sentAt, receivedAt: Date.now(), status: response.statusCode ?? 0 });
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'amrServerDateMiddleware' },
  );
  // IAM is global: its endpoint lives in us-east-1 (aws), cn-north-1 or us-gov-west-1.
  // The IAM client is large and only needed to discover devices: load it on first use.
  let iamClient: Promise<{ iam: typeof import('./sdk-iam.js'); client: import('./sdk-iam.js').IAMClient }> | undefined;
  let iamRoute: Route | undefined;
  const openIam = () =>
    (iamClient ??= Promise.all([sts.loadIam(), requestHandler(conn, iamUrl, debug)]).then(([iam, route]) => {
      iamRoute = route;
      return {
        iam,
        client: quietly(
          () => new iam.IAMClient({ ...common, requestHandler: route.handler, region: iamRegion(conn.region) }),
        ),
      };
    }));
  let skewReported = false;
  /** The SDK corrects a skewed clock by itself after a failed signature; say so once, with the amount. */
  function reportSkew(offsetMs: number | undefined) {
    if (skewReported || offsetMs === undefined || Math.abs(offsetMs) < 60_000) return;
    skewReported = true;
    const seconds = Math.round(Math.abs(offsetMs) / 1000);
    warn(
      `your clock is ${seconds} s ${offsetMs > 0 ? 'behind' : 'ahead of'} AWS's (from its Date header); the request was re-signed with AWS's time, but fix the clock (e.g. timedatectl set-ntp true).`,
    );
  }

  /** What a failure message needs to name the right cause: the URL, its proxy, the token, the CA bundle. */
  function errorContext(name: AwsCall, route: Route | undefined): AwsErrorContext {
    const url = name === 'ListMFADevices' ? iamUrl : stsUrl;
    // AWS_ENDPOINT_URL_STS alone sends IAM to AWS itself: say so when that is what failed.
    const iamToAws =
      name === 'ListMFADevices' && !conn.endpoint && env.AWS_ENDPOINT_URL_STS && !env.AWS_ENDPOINT_URL_IAM;
    return {
      call: name,
      profileName: conn.profileName,
      accessKeyId: conn.credentials.accessKeyId,
      endpoint: url,
      timeoutMs: conn.timeoutMs,
      sessionToken: Boolean(conn.credentials.sessionToken),
      ...(route?.proxy && { proxy: route.proxy }),
      ...(conn.caBundle && { caBundle: conn.caBundle }),
      ...(iamToAws && {
        unreachableHint: `AWS_ENDPOINT_URL_STS applies to STS only: set AWS_ENDPOINT_URL_IAM${env.AWS_ENDPOINT_URL ? '' : ' (or AWS_ENDPOINT_URL)'} for IAM too.`,
      }),
    };
  }

  async function call<T>(name: AwsCall, run: (signal: AbortSignal) => Promise<T>, serialNumber?: string): Promise<T> {
    const started = Date.now();
    // One deadline for the call including the SDK's retries, so nothing waits forever.
    const signal = AbortSignal.timeout(conn.timeoutMs);
    const stopProgress = conn.progress ? showProgress(name) : () => {};
    try {
      const result = await run(signal);
      stopProgress();
      reportSkew(stsClient.config.systemClockOffset);
      debug(`${name} ok in ${Date.now() - started} ms`);
      return result;
    } catch (error) {
      const e = error as {
        name?: string;
        message?: string;
        $metadata?: { httpStatusCode?: number; attempts?: number };
      };
      debug(
        `${name} failed in ${Date.now() - started} ms: ${e.name ?? 'Error'} (HTTP ${e.$metadata?.httpStatusCode ?? '-'}, attempts ${e.$metadata?.attempts ?? '-'}): ${e.message ?? ''}`,
      );
      stopProgress();
      throw mapAwsError(
        signal.aborted && e.name !== 'TimeoutError'
          ? Object.assign(new Error('timeout'), { name: 'TimeoutError' })
          : error,
        {
          ...errorContext(name, name === 'ListMFADevices' ? iamRoute : stsRoute),
          ...(serialNumber && { serialNumber }),
        },
      );
    }
  }

  return {
    async warmUp() {
      // Aborted before it starts: the SDK's HTTP handler refuses it without opening a connection.
      const abortSignal = AbortSignal.abort();
      const warm = new sts.GetSessionTokenCommand({
        SerialNumber: 'arn:aws:iam::000000000000:mfa/warm-up',
        TokenCode: '000000',
        DurationSeconds: 900,
      });
      await stsClient.send(warm, { abortSignal }).catch(() => {});
    },
    async callerIdentity() {
      const out = await call('GetCallerIdentity', (abortSignal) =>
        stsClient.send(new sts.GetCallerIdentityCommand({}), { abortSignal }),
      );
      return { arn: out.Arn ?? '', account: out.Account ?? '', userId: out.UserId ?? '' };
    },
    prepareIam() {
      // After the current turn, so that a request just started is on the wire while this runs.
      setImmediate(() => void openIam().catch(() => {}));
    },
    async listMfaDevices(userName) {
      const { iam, client } = await openIam();
      const devices: MfaDevice[] = [];
      let marker: string | undefined;
      do {
        const out = await call('ListMFADevices', (abortSignal) =>
          client.send(new iam.ListMFADevicesCommand({ UserName: userName, ...(marker && { Marker: marker }) }), {
            abortSignal,
          }),
        );
        for (const d of out.MFADevices ?? []) {
          if (!d.SerialNumber) continue;
          devices.push({
            serialNumber: d.SerialNumber,
            ...(d.UserName && { userName: d.UserName }),
            ...(d.EnableDate && { enableDate: d.EnableDate }),
            kind: deviceKind(d.SerialNumber),
          });
        }
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
      return devices;
    },
    async getSessionToken(serialNumber, code, durationSeconds) {
      const out = await call(
        'GetSessionToken',
        (abortSignal) =>
          stsClient.send(
            new sts.GetSessionTokenCommand({
              SerialNumber: serialNumber,
              TokenCode: code,
              DurationSeconds: durationSeconds,
            }),
            { abortSignal },
          ),
        serialNumber,
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw mapAwsError(
          new Error('GetSessionToken returned no credentials'),
          errorContext('GetSessionToken', stsRoute),
        );
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    },
    async assumeRole(params) {
      const out = await call('AssumeRole', (abortSignal) =>
        stsClient.send(
          new sts.AssumeRoleCommand({
            RoleArn: params.roleArn,
            RoleSessionName: params.roleSessionName,
            DurationSeconds: params.durationSeconds,
            ...(params.externalId && { ExternalId: params.externalId }),
          }),
          { abortSignal },
        ),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new Error('AssumeRole returned no credentials');
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
        assumedRoleArn: out.AssumedRoleUser?.Arn ?? '',
      };
    },
    stsServerDates: () => serverDates,
  };
}

/** How requests to one URL are sent: the handler's options, and the proxy they go through. */
interface Route {
  handler: {
    connectionTimeout: number;
    requestTimeout: number;
    httpAgent?: import('node:http').Agent;
    httpsAgent?: import('node:https').Agent;
  };
  proxy?: { url: string; variable: string };
}

/** Timeouts, a proxy when the environment names one for this URL, and the CA bundle to trust. */
export async function requestHandler(conn: AwsConnection, url: string, debug: (line: string) => void): Promise<Route> {
  const base = { connectionTimeout: conn.timeoutMs, requestTimeout: conn.timeoutMs };
  const ca = conn.caBundle && url.startsWith('https:') ? await readCaBundle(conn.caBundle) : undefined;
  if (ca) debug(`${url}: trusting the CA bundle ${conn.caBundle!.path} (${conn.caBundle!.from})`);
  const { proxyConfigured, proxyAgentsFor, redactProxy } = await import('./proxy.js');
  const agents = proxyConfigured() ? await proxyAgentsFor(url, ca) : undefined;
  if (proxyConfigured())
    debug(agents ? `${url} through proxy ${redactProxy(agents.proxy)}` : `${url} directly (NO_PROXY)`);
  if (agents) {
    return {
      handler: {
        ...base,
        ...(agents.httpAgent && { httpAgent: agents.httpAgent }),
        ...(agents.httpsAgent && { httpsAgent: agents.httpsAgent }),
      },
      proxy: { url: agents.proxy, variable: agents.variable },
    };
  }
  if (!ca) return { handler: base };
  const { Agent } = await import('node:https');
  return { handler: { ...base, httpsAgent: new Agent({ keepAlive: true, ca }) } };
}

/** The PEM text of a CA bundle; a bundle that cannot be read is a usage error naming where it came from. */
async function readCaBundle(bundle: { path: string; from: string }): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    const text = await readFile(bundle.path, 'utf8');
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw Object.assign(new Error('no PEM certificate in it'));
    return text;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UserError(
      `The CA bundle ${bundle.path} (${bundle.from}) cannot be used: ${why}.`,
      ExitCode.Usage,
      'Point it at a PEM file of CA certificates, or unset it.',
    );
  }
}

/** After a moment without an answer, a line on stderr (never stdout), erased when the call ends. */
function showProgress(call: string): () => void {
  if (!process.stderr.isTTY) return () => {};
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    process.stderr.write(`Waiting for AWS (${call})…`);
  }, 700);
  return () => {
    clearTimeout(timer);
    if (shown) process.stderr.write('\r\x1b[K');
  };
}

/**
 * The SDK warns on Node 20 about its future support window when a client is built; that is noise
 * for our users. Its documented switch is read at construction, so set it only for that moment
 * (children of `exec` must not inherit it).
 */
export function quietly<T>(build: () => T): T {
  const key = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
  const before = process.env[key];
  process.env[key] = 'true';
  try {
    return build();
  } finally {
    if (before === undefined) delete process.env[key];
    else process.env[key] = before;
  }
}

export function iamRegion(region: string): string {
  if (region.startsWith('cn-')) return 'cn-north-1';
  if (region.startsWith('us-gov-')) return 'us-gov-west-1';
  return 'us-east-1';
}
