/**
 * Secrets appear only where the user asked for them (env's stdout, exec's child environment,
 * credential-process's stdout): never in --debug output, state files, argv or a child's environment.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emulator } from '../emulator/index.js';
import { sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
let s: Sandbox;
const { sandbox } = emulatorSuite((e) => (emulator = e));
beforeAll(async () => {
  s = await sandbox();
});

async function stateFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await stateFiles(p)));
    else if (e.isFile() && e.name !== 'credentials' && !e.name.startsWith('code'))
      out.push(await readFile(p, 'latin1')); // not the probe's own files
  }
  return out;
}

describe('no leaked secrets', () => {
  it('refresh, status, devices and completion with --debug never print a secret, the code, or put one in argv or a child env', async () => {
    const user = newUser(emulator, 2);
    const [a, b] = user.devices!;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const probe = join(s.home, 'code.sh');
    // The code command records its own argv and environment so we can look for secrets there.
    await writeFile(
      probe,
      `#!/bin/sh\nps -o args= -p $$ > "$HOME/code-argv.txt"\nenv > "$HOME/code-env.txt"\necho "$CODE"\n`,
      { mode: 0o700 },
    );
    const code = emulator.lastingCode(b!.serialNumber);
    const outputs: string[] = [];
    const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await s.run(args, { env });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect(
      (await run(['--debug', '--serial-number', b!.serialNumber, '--code-command', probe], { CODE: code })).code,
    ).toBe(0);
    const session = sectionOf(await s.readCredentials(), 'default')!;
    expect((await run(['--debug'])).code).toBe(0); // still valid
    await run(['status', '--all', '--json']);
    await run(['devices', '--debug']);
    await run(['completion', '--list-profiles']);
    await run([
      '--debug',
      '--force',
      '--serial-number',
      a!.serialNumber,
      '--code',
      emulator.lastingCode(a!.serialNumber),
      '--json',
    ]);
    const second = sectionOf(await s.readCredentials(), 'default')!;

    const secrets = [
      user.secretAccessKey,
      session.aws_secret_access_key!,
      session.aws_session_token!,
      second.aws_secret_access_key!,
      second.aws_session_token!,
    ];
    const texts = [...outputs, ...(await stateFiles(s.home))];
    for (const text of texts) {
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
      expect(text.includes(code)).toBe(false); // the TOTP code is not logged or stored either
    }
    const argv = await readFile(join(s.home, 'code-argv.txt'), 'utf8');
    const env = await readFile(join(s.home, 'code-env.txt'), 'utf8');
    expect(argv).toContain('code.sh');
    for (const secret of secrets) {
      expect(argv.includes(secret)).toBe(false);
      expect(env.includes(secret)).toBe(false);
    }
    expect(env).not.toMatch(/^AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN)=/m);
  });

  it('env and credential-process print the session only on stdout, as asked; exec puts it in the child env, not argv', async () => {
    const session = sectionOf(await s.readCredentials(), 'default')!;
    const env = await s.run(['env', '--format', 'json', '--debug']);
    expect(JSON.parse(env.stdout).AWS_SESSION_TOKEN).toBe(session.aws_session_token);
    expect(env.stderr.includes(session.aws_session_token!)).toBe(false);
    const cp = await s.run(['credential-process', '--debug']);
    expect(JSON.parse(cp.stdout).SessionToken).toBe(session.aws_session_token);
    expect(cp.stderr.includes(session.aws_session_token!)).toBe(false);
    const ex = await s.run(['exec', '--debug', '--', 'sh', '-c', 'ps -o args= -p $$; echo "token=$AWS_SESSION_TOKEN"']);
    expect(ex.code).toBe(0);
    const [argv, token] = ex.stdout.split('\n');
    expect(argv!.includes(session.aws_session_token!)).toBe(false);
    expect(token).toBe(`token=${session.aws_session_token}`);
    expect(ex.stderr.includes(session.aws_session_token!)).toBe(false);
  });
});
