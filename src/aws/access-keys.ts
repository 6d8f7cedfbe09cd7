/**
 * The IAM access-key calls of `keys rotate`, made with the MFA session (the policy's Deny exempts
 * none of them, so they need fresh MFA). Loaded only by rotate.
 */
import { iamRegion, quietly, requestHandler } from './client.js';
import { mapAwsError, type AwsCall } from './errors.js';
import type { AwsConnection } from './types.js';

export interface AccessKeyMeta {
  accessKeyId: string;
  status: string;
  createDate?: Date;
}

export interface AccessKeysApi {
  list(userName: string): Promise<AccessKeyMeta[]>;
  create(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string; createDate?: Date }>;
  delete(userName: string, accessKeyId: string): Promise<void>;
}

export async function openAccessKeys(
  conn: AwsConnection,
  debug: (line: string) => void = () => {},
): Promise<AccessKeysApi> {
  const env = process.env;
  const url = conn.endpoint ?? env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL ?? 'https://iam.amazonaws.com';
  // Through the SDK bundle (as discovery does), which shares the SDK's core with STS.
  const [iam, route] = await Promise.all([
    import('./sdk.js').then((sdk) => sdk.loadIam()),
    requestHandler(conn, url, debug),
  ]);
  const client = quietly(
    () =>
      new iam.IAMClient({
        region: iamRegion(conn.region),
        credentials: conn.credentials,
        ...(conn.endpoint && { endpoint: conn.endpoint }),
        requestHandler: route.handler,
      }),
  );
  async function call<T>(name: AwsCall, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(conn.timeoutMs);
    try {
      const out = await run(signal);
      debug(`${name} ok`);
      return out;
    } catch (error) {
      debug(`${name} failed: ${(error as Error).name}`);
      throw mapAwsError(signal.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : error, {
        call: name,
        profileName: conn.profileName,
        accessKeyId: conn.credentials.accessKeyId,
        endpoint: url,
        timeoutMs: conn.timeoutMs,
      });
    }
  }
  return {
    async list(userName) {
      const out = await call('ListAccessKeys', (abortSignal) =>
        client.send(new iam.ListAccessKeysCommand({ UserName: userName }), { abortSignal }),
      );
      return (out.AccessKeyMetadata ?? []).flatMap((k) =>
        k.AccessKeyId
          ? [
              {
                accessKeyId: k.AccessKeyId,
                status: k.Status ?? 'Active',
                ...(k.CreateDate && { createDate: k.CreateDate }),
              },
            ]
          : [],
      );
    },
    async create(userName) {
      const out = await call('CreateAccessKey', (abortSignal) =>
        client.send(new iam.CreateAccessKeyCommand({ UserName: userName }), { abortSignal }),
      );
      const k = out.AccessKey;
      if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
      return {
        accessKeyId: k.AccessKeyId,
        secretAccessKey: k.SecretAccessKey,
        ...(k.CreateDate && { createDate: k.CreateDate }),
      };
    },
    async delete(userName, accessKeyId) {
      await call('DeleteAccessKey', (abortSignal) =>
        client.send(new iam.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }), { abortSignal }),
      );
    },
  };
}
