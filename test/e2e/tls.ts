/**
 * A loopback HTTPS front for the emulator whose certificate is signed by a throw-away CA: what a
 * TLS-inspecting corporate proxy looks like to a client (aws-cli-env), and the HTTPS endpoint behind
 * an HTTPS_PROXY (network). Made with openssl; nothing is trusted system-wide.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The CA's certificate (PEM): the bundle a client must trust. */
  caFile: string;
  close(): Promise<void>;
}

/** A CA, and a certificate for 127.0.0.1 signed by it, in `dir`. */
export function makeCa(dir: string): { caFile: string; keyFile: string; certFile: string } {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Throw-away Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.pem'),
  );
  return { caFile: f('ca.pem'), keyFile: f('server.key'), certFile: f('server.pem') };
}

/** An HTTPS server on 127.0.0.1 forwarding every request to `upstream` (the emulator's http URL). */
export async function startTlsFront(upstream: string, dir: string): Promise<TlsFront> {
  const { caFile, keyFile, certFile } = makeCa(dir);
  const target = new URL(upstream);
  const sockets = new Set<{ destroy(): void }>();
  const front = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const up = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  });
  front.on('connection', (s) => sockets.add(s));
  const port = await new Promise<number>((r) =>
    front.listen(0, '127.0.0.1', () => r((front.address() as AddressInfo).port)),
  );
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        (front as unknown as Server).close(() => r());
      }),
  };
}
