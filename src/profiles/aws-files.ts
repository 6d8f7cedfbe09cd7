/**
 * Where the shared files are and what they say.
 *
 * Values are read the way the AWS SDK reads them, with @smithy/shared-ini-file-loader (the
 * package the SDK itself uses; @aws-sdk/shared-ini-file-loader is a frozen shim over it).
 * Each file is first parsed by our own lossless engine too, so that a malformed file fails
 * with its name and line instead of silently reading as empty.
 */
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { IniDocument } from './ini-document.js';
import { readFileText } from './file-store.js';
import type { Profile } from './session.js';
import { currentPlatform, type Platform } from '../platform/platform.js';

export interface AwsFilePaths {
  credentials: string;
  config: string;
}

export function awsFilePaths(
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = currentPlatform(),
): AwsFilePaths {
  // One home rule, botocore's: on Windows USERPROFILE (HOME is ignored there), elsewhere HOME.
  const home = platform.home(env);
  const expand = (p: string) => (/^~[\\/]/.test(p) ? join(home, p.slice(2)) : p);
  return {
    credentials: expand(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')),
    config: expand(env.AWS_CONFIG_FILE || join(home, '.aws', 'config')),
  };
}

/** The config file's section header for a profile name. */
export function configSectionName(profile: string): string {
  return profile === 'default' ? 'default' : `profile ${profile}`;
}

export interface AwsFiles {
  paths: AwsFilePaths;
  /** Profiles of the credentials file, by name. */
  credentials: Record<string, Profile>;
  /** Profiles of the config file, by name (without the `profile ` prefix). */
  config: Record<string, Profile>;
}

export async function loadAwsFiles(paths: AwsFilePaths): Promise<AwsFiles> {
  // Validation only: throws IniParseError naming file and line.
  await Promise.all(
    [paths.credentials, paths.config].map(async (file) => {
      const text = await readFileText(file);
      if (text !== undefined) IniDocument.parse(text, { file });
    }),
  );
  const { credentialsFile, configFile } = await loadSharedConfigFiles({
    filepath: paths.credentials,
    configFilepath: paths.config,
    ignoreCache: true,
  });
  return {
    paths,
    credentials: credentialsFile as Record<string, Profile>,
    config: configFile as Record<string, Profile>,
  };
}

/** A profile as the SDK sees it: config values, overridden by the credentials file. */
export function mergedProfile(files: AwsFiles, name: string): Profile | undefined {
  const fromConfig = files.config[name];
  const fromCredentials = files.credentials[name];
  if (!fromConfig && !fromCredentials) return undefined;
  return { ...fromConfig, ...fromCredentials };
}
