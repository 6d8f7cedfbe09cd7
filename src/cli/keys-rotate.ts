import type { FlagValues } from './flags.js';
export async function runRotate(flags: FlagValues): Promise<void> {
  void flags;
}
