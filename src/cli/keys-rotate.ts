/** `keys rotate`: prints each step; a failure says which key works (see src/usecases/rotate.ts). */
import type { FlagValues } from './flags.js';
import { makeDebug, paint, warn } from './output.js';

export async function runRotate(flags: FlagValues): Promise<void> {
  const { rotateKey } = await import('../usecases/rotate.js');
  const { systemDeps } = await import('../usecases/deps.js');
  const { maskKeyId } = await import('../keys/key-store.js');
  const human = flags.json ? process.stderr : process.stdout;
  const result = await rotateKey(
    { flags },
    {
      debug: makeDebug(Boolean(flags.debug)),
      warn,
      step: (line) => human.write(`  ${line}\n`),
    },
    systemDeps(),
  );
  human.write(
    `${paint(human as NodeJS.WriteStream, 32, '✔')} Profile [${result.sourceProfile}] now uses key ${maskKeyId(result.newAccessKeyId)} (in ${result.location}); the old key ${maskKeyId(result.oldAccessKeyId)} is deleted.\n`,
  );
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        profile: result.sourceProfile,
        user: result.userArn,
        oldAccessKeyId: maskKeyId(result.oldAccessKeyId),
        newAccessKeyId: maskKeyId(result.newAccessKeyId),
        location: result.location,
        verifyAttempts: result.verifyAttempts,
      })}\n`,
    );
  }
}
