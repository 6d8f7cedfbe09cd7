/**
 * What a use case gets from its caller instead of reaching for globals: the environment, the
 * clock and the AWS client factory. The CLI passes systemDeps(); unit tests pass plain objects.
 */
import type { AwsFactory } from '../aws/client.js';
import { awsFilePaths, loadAwsFiles, type AwsFiles } from '../profiles/aws-files.js';
import { currentPlatform, type Platform } from '../platform/platform.js';

export interface Deps {
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. */
  now: () => number;
  openAws: AwsFactory;
  /**
   * Starts loading the AWS SDK (tens of milliseconds of CPU) without waiting: the checks that wait
   * on the disk before the first call then run meanwhile. Optional: tests need not.
   */
  preloadAws?: () => void;
  /** The OS's rules (home, file modes, locks, terminal, signals); default: this machine's. */
  platform?: Platform;
}

export function systemDeps(): Deps {
  return {
    env: process.env,
    now: () => Date.now(),
    platform: currentPlatform(),
    // Lazily: commands that never talk to AWS never load the SDK.
    openAws: (conn, debug, warn) => import('../aws/client.js').then((m) => m.openAws(conn, debug, warn)),
    preloadAws: () => void import('../aws/client.js').then((m) => m.loadSdk()).catch(() => {}),
  };
}

/** Both AWS files, from where the environment (and the platform's home rule) says they are. */
export function loadFiles(env: NodeJS.ProcessEnv, platform?: Platform): Promise<AwsFiles> {
  return loadAwsFiles(awsFilePaths(env, platform));
}
