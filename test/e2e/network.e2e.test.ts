/**
 * The network around AWS: proxies from the environment, and a clock that is off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Emulator } from '../emulator/index.js';
import { sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { startTlsFront, type TlsFront } from './tls.js';

let emulator: Emulator;
let s: Sandbox;
const servers: Server[] = [];
const sockets = new Set<Socket>();
const fronts: TlsFront[] = [];
const { sandbox } = emulatorSuite((e) => (emulator = e));
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  // The proxies and TLS front of this file; the emulator and sandbox go with the suite.
  for (const sock of sockets) sock.destroy();
  await Promise.all([...servers.map((srv) => new Promise((r) => srv.close(r))), ...fronts.map((f) => f.close())]);
});

function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', (sock) => sockets.add(sock));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

/** A loopback proxy: forwards plain-HTTP requests (HTTP_PROXY) and tunnels CONNECT (HTTPS_PROXY). */
async function startProxy() {
  const seen: string[] = [];
  const proxy = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  proxy.on('connect', (req, client, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
  });
  const port = await listen(proxy);
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('proxies from the environment', () => {
  it('sends HTTPS through HTTPS_PROXY (CONNECT), HTTP through HTTP_PROXY, and honours NO_PROXY', async () => {
    const proxy = await startProxy();
    const tls = await startTlsFront(emulator.url, s.home);
    fronts.push(tls);
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));

    const viaHttps = await s.run(
      ['--force', '--serial-number', serial, '--code', emulator.lastingCode(serial), '--endpoint-url', tls.url],
      {
        env: { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: tls.caFile },
      },
    );
    expect(viaHttps.stderr).toBe('');
    expect(viaHttps.code).toBe(0);
    expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${new URL(tls.url).port}`]);

    const viaHttp = await s.run(['--force', '--serial-number', serial, '--code', emulator.lastingCode(serial)], {
      env: { HTTP_PROXY: proxy.url },
    });
    expect(viaHttp.code).toBe(0);
    expect(proxy.seen[1]).toBe(`POST ${emulator.url}/`);

    const direct = await s.run(['--force', '--serial-number', serial, '--code', emulator.lastingCode(serial)], {
      env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
    });
    expect(direct.code).toBe(0);
    expect(proxy.seen).toHaveLength(2);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_session_token).toBeTruthy();
  });

  it('fails with exit 6 naming the proxy trouble when the proxy is down', async () => {
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const before = await s.readCredentials();
    const r = await s.run(['--serial-number', serial, '--code', '123456'], {
      env: { HTTP_PROXY: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/connection refused by the proxy http:\/\/127\.0\.0\.1:9 \(HTTP_PROXY\)/);
    expect(await s.readCredentials()).toBe(before);
  });
});

describe('a clock that is off', () => {
  it('still refreshes (the SDK re-signs with AWS time) and says by how much the clock is off', async () => {
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    emulator.setFaults({ clockSkewSeconds: 900 });
    try {
      const r = await s.run(['--force', '--serial-number', serial, '--code', emulator.lastingCode(serial)]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /^warning: your clock is (89\d|90\d) s behind AWS's \(from its Date header\); .*timedatectl set-ntp true/,
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      emulator.setFaults({});
    }
  });
});
