/**
 * A real file system without hard links: ~/.aws on a vfat loop mount (link() fails with EPERM, chmod
 * is refused), as on a FAT/exFAT USB stick or an SMB share. Root only (mount), skipped elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { sectionOf } from './harness.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

/** Mounts a fresh 4 MiB vfat image at `dir`; the reason when this system does not let us. */
function mountVfat(dir: string, image: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(image, Buffer.alloc(0));
    execFileSync('truncate', ['-s', '4M', image], { stdio: 'pipe' });
    execFileSync('mkfs.vfat', [image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop,umask=077', '-t', 'vfat', image, dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'mount failed';
  }
}

describe('~/.aws on vfat (no hard links) [linux, root]', () => {
  it('the lock falls back to O_EXCL: the refresh writes the session, nothing is left behind', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip('a vfat loop mount is a Linux test');
    const s = await sandbox();
    const awsDir = join(s.home, '.aws');
    const refused = mountVfat(awsDir, join(s.home, 'vfat.img'));
    if (refused) ctx.skip(`cannot mount vfat here (${refused}); needs root, loop devices and the vfat module`);
    try {
      writeFileSync(join(awsDir, 'probe'), '');
      expect(() => linkSync(join(awsDir, 'probe'), join(awsDir, 'probe2'))).toThrow(/EPERM|ENOTSUP|EOPNOTSUPP/);
      rmSync(join(awsDir, 'probe'));
      const user = newUser(emulator);
      const serial = user.devices![0]!.serialNumber;
      await s.writeCredentials(longTermSection('default-long-term', user));
      const r = await s.run(['--serial-number', serial, '--code', emulator.freshCode(serial)]);
      expect(r.stderr).not.toMatch(/Cannot|unexpected/);
      expect(r.code).toBe(0);
      expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA/);
      expect(readdirSync(awsDir).filter((n) => /\.lock|\.tmp$|\.new$|\.stale$/.test(n))).toEqual([]);
    } finally {
      execFileSync('umount', [awsDir], { stdio: 'pipe' });
    }
  }, 60_000);
});
