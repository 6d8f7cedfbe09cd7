/**
 * The AWS container-credentials protocol on loopback: what `exec` offers its child so the AWS CLI
 * and every SDK fetch fresh role credentials by themselves when a role session (at most 1 h) ends.
 * AWS_CONTAINER_CREDENTIALS_FULL_URI = http://127.0.0.1:PORT/<random path>; every request must
 * carry AWS_CONTAINER_AUTHORIZATION_TOKEN (random) in its Authorization header.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatTimestamp } from '../profiles/session.js';

export interface ServedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface CredentialsServer {
  /** The variables the child gets. */
  env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: string; AWS_CONTAINER_AUTHORIZATION_TOKEN: string };
  close(): Promise<void>;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function serveCredentials(
  provide: () => Promise<ServedCredentials>,
  onError: (error: unknown) => void = () => {},
): Promise<CredentialsServer> {
  const path = `/${randomBytes(16).toString('hex')}`;
  const token = randomBytes(32).toString('base64url');
  // One fetch at a time: parallel requests of the child share it (one AssumeRole, not many).
  let inFlight: Promise<ServedCredentials> | undefined;
  const fetchOnce = () => {
    inFlight ??= provide().finally(() => (inFlight = undefined));
    return inFlight;
  };
  const answer = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || req.url !== path) return answer(res, 404, { message: 'Not found' });
    if (!sameSecret(req.headers.authorization, token)) return answer(res, 403, { message: 'Forbidden' });
    fetchOnce().then(
      (c) =>
        answer(res, 200, {
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.sessionToken,
          Expiration: formatTimestamp(c.expiration),
        }),
      (error: unknown) => {
        onError(error);
        answer(res, 500, { code: 'CredentialsUnavailable', message: (error as Error)?.message ?? String(error) });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    env: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}${path}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
