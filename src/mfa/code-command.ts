/**
 * A code from a command (`--code-command` or `mfa_process` in ~/.aws/config, the aws-vault
 * convention): ykman, 1Password, pass-otp… The command runs through the shell; the first line
 * of its stdout is the code. Its stderr stays on ours, so "touch your key" prompts are seen.
 *
 * It runs in our process group, not a new session: it keeps the controlling terminal, which tools
 * that prompt on /dev/tty need. At the timeout (--input-timeout, the one wait for a code) the
 * command and every process it started are ended by walking the tree (Platform.killTree).
 */
import { spawn } from 'node:child_process';
import { ExitCode, UserError } from '../errors.js';
import { normaliseCode } from '../config/values.js';
import { currentPlatform, type Platform } from '../platform/platform.js';

export function runCodeCommand(
  command: string,
  source: string,
  timeoutMs: number,
  platform: Platform = currentPlatform(),
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['inherit', 'pipe', 'inherit'] });
    let stdout = '';
    const timer = setTimeout(async () => {
      if (child.pid !== undefined) await platform.killTree(child.pid);
      // A process we could not end must not keep us alive through the pipe it holds.
      child.stdout.destroy();
      child.unref();
      reject(
        new UserError(
          `${source} gave no code within ${Math.round(timeoutMs / 1000)} s.`,
          ExitCode.InputNeeded,
          'Check that it runs on its own, or pass --code.',
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(
        new UserError(
          `${source} could not be started: ${e.message}.`,
          ExitCode.InputNeeded,
          'Check the command, or pass --code.',
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(
          new UserError(
            `${source} failed (${signal ? `signal ${signal}` : `exit ${code}`}).`,
            ExitCode.InputNeeded,
            'Run it yourself to see why, or pass --code.',
          ),
        );
        return;
      }
      const first = stdout.split(/\r?\n/)[0] ?? '';
      const normalised = normaliseCode(first);
      if (!normalised) {
        reject(
          new UserError(
            `${source} printed something other than a 6-digit code on its first line.`,
            ExitCode.InputNeeded,
            'Make it print only the code, or pass --code.',
          ),
        );
        return;
      }
      resolve(normalised);
    });
  });
}
