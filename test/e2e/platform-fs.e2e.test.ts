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

/** A mounted FAT-family file system at `dir`, and how to unmount it; or why this system cannot. */
type Mounted = { unmount(): void } | { refused: string };

function sh(file: string, args: string[]): string {
  return execFileSync(file, args, { stdio: 'pipe', encoding: 'utf8' }).trim();
}

/** The kernel's vfat driver on a loop device. */
function mountVfat(dir: string, image: string): Mounted {
  try {
    sh('truncate', ['-s', '4M', image]);
    sh('mkfs.vfat', [image]);
    sh('mount', ['-o', 'loop,umask=077', '-t', 'vfat', image, dir]);
    return { unmount: () => sh('umount', [dir]) };
  } catch (error) {
    return { refused: String((error as { stderr?: string }).stderr || error).trim() };
  }
}

/** exFAT through FUSE (exfat-fuse) on a loop device: works where the kernel has no vfat module. */
function mountExfat(dir: string, image: string): Mounted {
  let loop: string | undefined;
  try {
    sh('truncate', ['-s', '8M', image]);
    sh('mkfs.exfat', [image]);
    loop = sh('losetup', ['-f', '--show', image]);
    sh('mount.exfat-fuse', ['-o', 'umask=077', loop, dir]);
    const device = loop;
    return {
      unmount: () => {
        sh('umount', [dir]);
        sh('losetup', ['-d', device]);
      },
    };
  } catch (error) {
    if (loop) execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
    return { refused: String((error as { stderr?: string }).stderr || error).trim() };
  }
}

describe('~/.aws on a FAT file system (no hard links) [linux, root]', () => {
  for (const [name, mount] of [
    ['vfat (kernel)', mountVfat],
    ['exFAT (FUSE)', mountExfat],
  ] as const) {
    it(`${name}: the lock falls back to O_EXCL; the refresh writes the session, nothing is left behind`, async (ctx) => {
      if (process.platform !== 'linux') ctx.skip('a loop mount is a Linux test');
      const s = await sandbox();
      const awsDir = join(s.home, '.aws');
      mkdirSync(awsDir, { recursive: true });
      const mounted = mount(awsDir, join(s.home, 'fs.img'));
      if ('refused' in mounted) ctx.skip(`cannot mount ${name} here (${mounted.refused}); needs root and loop devices`);
      try {
        // The premise: link() really fails here (Linux vfat and exfat-fuse: EPERM).
        writeFileSync(join(awsDir, 'probe'), '');
        expect(() => linkSync(join(awsDir, 'probe'), join(awsDir, 'probe2'))).toThrow(
          /EPERM|ENOTSUP|EOPNOTSUPP|ENOSYS/,
        );
        rmSync(join(awsDir, 'probe'));
        const user = newUser(emulator);
        const serial = user.devices![0]!.serialNumber;
        await s.writeCredentials(longTermSection('default-long-term', user));
        const r = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
        expect(r.stderr).not.toMatch(/Cannot|unexpected/);
        expect(r.code).toBe(0);
        expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA/);
        expect(readdirSync(awsDir).filter((n) => /\.lock|\.tmp$|\.new$|\.stale$/.test(n))).toEqual([]);
      } finally {
        if ('unmount' in mounted) mounted.unmount();
      }
    }, 60_000);
  }
});
