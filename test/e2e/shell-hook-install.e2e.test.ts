/** `init SHELL --install` and the rewrite of installed hooks by a newer tool, through the built CLI. */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, makeSandbox, modulesLoadedBy, type Sandbox } from './harness.js';

const VERSION = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string;
const sandboxes: Sandbox[] = [];
afterAll(() => Promise.all(sandboxes.map((s) => s.cleanup())));

async function box(): Promise<Sandbox> {
  const s = await makeSandbox();
  sandboxes.push(s);
  return s;
}

function header(text: string): Record<string, unknown> {
  const first = text.split('\n')[0]!;
  expect(first).toMatch(/^# aws-mfa-refresh-hook \{/);
  return JSON.parse(first.slice('# aws-mfa-refresh-hook '.length));
}

const validSession = (profile: string) =>
  `[${profile}]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = c2VjcmV0\naws_session_token = dG9rZW4\n` +
  `expiration = ${new Date(Date.now() + 6 * 3600_000).toISOString()}\nmfa_issued = ${new Date(Date.now() - 3600_000).toISOString()}\n`;

describe('init --install', () => {
  it('writes the hook under the XDG data directory and prints the one line that sources it', async () => {
    const s = await box();
    const r = await s.run(['init', 'bash', '--install']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('source ~/.local/share/aws-mfa-refresh/hook.bash\n');
    expect(r.stderr).toContain('Add this line to ~/.bashrc');
    const text = await readFile(join(s.home, '.local/share/aws-mfa-refresh/hook.bash'), 'utf8');
    expect(header(text)).toEqual({ version: VERSION, shell: 'bash', profile: null, wrapAws: false, warnWithin: 900 });
    // What `init bash` prints is what was installed.
    expect((await s.run(['init', 'bash'])).stdout).toBe(text);

    const ps = await s.run(['init', 'powershell', '--install']);
    expect(ps.stdout).toBe('. "$HOME/.local/share/aws-mfa-refresh/hook.ps1"\n');
    expect(ps.stderr).toContain('$PROFILE');
  });

  it('quotes a data directory with spaces, and the printed line sources the hook in bash, zsh and fish', async () => {
    const s = await box();
    const data = join(s.home, "my data's dir");
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = await s.run(['init', shell, '--install', '--profile', 'work'], { env: { XDG_DATA_HOME: data } });
      expect(r.code).toBe(0);
      const line = r.stdout.trim();
      expect(line).toContain('my data');
      const quiet = { bash: ['--norc', '--noprofile'], zsh: ['-f'], fish: ['--no-config'] }[shell];
      const check = spawnSync(shell, [...quiet, '-c', `${line}\naws_mfa_prompt`], {
        env: { PATH: process.env.PATH, HOME: s.home },
        encoding: 'utf8',
      });
      expect(check.stderr).toBe('');
      expect(check.stdout).toBe('work ?'); // the hook is loaded; no stamp yet, so only status could tell
    }
  });

  it('refuses an unknown shell or a bad value in one line, exit 2', async () => {
    const s = await box();
    for (const args of [
      ['init', 'tcsh'],
      ['init'],
      ['init', 'bash', '--warn-within', 'soon'],
      ['init', 'zsh', '--profile', 'a b'],
    ]) {
      const r = await s.run(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^aws-mfa-refresh: /);
      expect(r.stdout).toBe('');
    }
  });
});

describe('installed hooks follow the tool', () => {
  it('a refresh rewrites hooks written by an older version, keeping their options; newer and hand-made ones stay', async () => {
    const s = await box();
    expect(
      (await s.run(['init', 'fish', '--install', '--wrap-aws', '--profile', 'work', '--warn-within', '5m'])).code,
    ).toBe(0);
    expect((await s.run(['init', 'zsh', '--install'])).code).toBe(0);
    const dir = join(s.home, '.local/share/aws-mfa-refresh');
    const fish = join(dir, 'hook.fish');
    const zsh = join(dir, 'hook.zsh');
    const bash = join(dir, 'hook.bash');
    const old = (await readFile(fish, 'utf8'))
      .replace(`"version":"${VERSION}"`, '"version":"0.0.1"')
      .replace('function aws --wraps aws', 'function aws --wraps aws # OLD');
    await writeFile(fish, old);
    const newer = (await readFile(zsh, 'utf8')).replace(`"version":"${VERSION}"`, '"version":"99.0.0"');
    await writeFile(zsh, newer);
    await mkdir(dir, { recursive: true });
    await writeFile(bash, '# my own hook\n');

    await s.writeCredentials(validSession('work'));
    const r = await s.run(['--profile', 'work']); // still valid: nothing to refresh, but the hooks are checked
    expect(r.stdout).toContain('still valid');
    expect(r.code).toBe(0);

    const rewritten = await readFile(fish, 'utf8');
    expect(header(rewritten)).toEqual({
      version: VERSION,
      shell: 'fish',
      profile: 'work',
      wrapAws: true,
      warnWithin: 300,
    });
    expect(rewritten).not.toContain('# OLD');
    expect(rewritten).toContain('function aws --wraps aws');
    expect(await readFile(zsh, 'utf8')).toBe(newer);
    expect(await readFile(bash, 'utf8')).toBe('# my own hook\n');
    // The refresh also stamped the session for the hooks.
    expect(await readFile(join(s.home, '.local/state/aws-mfa-refresh/stamps/work'), 'utf8')).toMatch(
      new RegExp(`^1 \\d+ \\d+ \\d+ ${s.credentials}\\n$`),
    );
  });

  it('status stamps without loading the hook scripts (a hot command stays light)', async () => {
    const s = await box();
    await s.writeCredentials(validSession('default'));
    const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<
      string,
      string[]
    >;
    const loaded = new Set(
      (await modulesLoadedBy(['status'], s.env)).flatMap((m) => contents[m.replace(/.*\/dist\//, '')] ?? []),
    );
    expect(loaded).toContain('src/shell/stamp.ts');
    expect(loaded).not.toContain('src/shell/hook.ts');
    expect(loaded).not.toContain('src/shell/install.ts');
  });
});
