/**
 * Where the shared files are and what they say, read the way botocore (the AWS CLI) reads them
 * (botocore-ini.ts / ini-document.ts): the same reading is used for every value and every edit.
 *
 * A file botocore rejects fails here, before anything else happens, with IniParseError (exit 8).
 * A config path that is not a regular file (AWS_CONFIG_FILE=/dev/null) reads as empty, as in
 * botocore, and is flagged so that writers leave it alone.
 * Where the JS SDK would read a key we use differently, `divergences` says so (a warning, not an error).
 */
import { join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { IniDocument } from './ini-document.js';
import { NOT_A_FILE, readFileIfRegular, readFileText } from './file-store.js';
import { configProfileName, sdkSectionName } from './botocore-ini.js';
import { SESSION_PROFILE_KEYS, type Profile } from './session.js';
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

/** The config file's section header for a new profile section (an existing one: see IniDocument.configSectionOf). */
export function configSectionName(profile: string): string {
  return profile === 'default' ? 'default' : `profile ${profile}`;
}

/** A key we use that the JS SDK reads differently from botocore (the AWS CLI). */
export interface Divergence {
  file: string;
  /** 1-based */
  line: number;
  profile: string;
  key: string;
  /** What the SDK makes of it. */
  reason: string;
  /** Which readers differ from the AWS CLI. */
  readers: string;
  fix: string;
}

export interface AwsFiles {
  paths: AwsFilePaths;
  /** Profiles of the credentials file, by name, as botocore reads them ([DEFAULT] inherited, keys lower-case). */
  credentials: Record<string, Profile>;
  /** Profiles of the config file, by name (without the `profile ` prefix), as botocore reads them. */
  config: Record<string, Profile>;
  /** Set when the config path exists but is not a regular file (/dev/null, a FIFO...): read as empty, never written. */
  configNotAFile?: string;
  /** Keys we use that the JS SDK reads differently (warnings). */
  divergences: Divergence[];
  /** Where a value was read from: `where('config', 'work', 'mfa_serial')`. */
  where(kind: 'credentials' | 'config', profile: string, key: string): { file: string; line: number } | undefined;
}

/** Keys this tool reads or writes in a profile; divergences are reported for these only. */
export const USED_KEYS: ReadonlySet<string> = new Set([
  ...SESSION_PROFILE_KEYS,
  'mfa_serial',
  'aws_mfa_device',
  'source_profile',
  'region',
  'output',
  'role_arn',
  'credential_process',
  'sso_session',
  'sso_start_url',
  'duration_seconds',
  'ca_bundle',
  'login_session',
  'web_identity_token_file',
]);

const SDK_READERS = 'the JS SDK (and tools built on it, like the AWS CDK)';

const parsed = (path: string, text: string | undefined) =>
  text === undefined ? undefined : IniDocument.parse(text, { file: path });

export async function loadAwsFiles(paths: AwsFilePaths): Promise<AwsFiles> {
  // A config that is not a regular file (AWS_CONFIG_FILE=/dev/null) is no config.
  const [credentialsText, configText] = await Promise.all([
    readFileText(paths.credentials),
    readFileIfRegular(paths.config),
  ]);
  const configNotAFile = configText === NOT_A_FILE;
  const credDoc = parsed(paths.credentials, credentialsText);
  const configDoc = configNotAFile ? undefined : parsed(paths.config, configText);
  const credentials: Record<string, Profile> = Object.create(null);
  const config: Record<string, Profile> = Object.create(null);
  const configSection = new Map<string, string>();
  for (const name of credDoc?.sectionNames() ?? []) credentials[name] = { ...credDoc!.values(name) };
  for (const name of configDoc?.sectionNames() ?? []) {
    const profile = profileOf(configDoc!, name);
    if (profile === undefined) continue;
    config[profile] = { ...configDoc!.values(name) };
    configSection.set(profile, name);
  }
  const where: AwsFiles['where'] = (kind, profile, key) => {
    const doc = kind === 'credentials' ? credDoc : configDoc;
    const section = kind === 'credentials' ? profile : configSection.get(profile);
    const line = section === undefined ? undefined : doc?.lineOf(section, key.toLowerCase());
    return line === undefined ? undefined : { file: kind === 'credentials' ? paths.credentials : paths.config, line };
  };
  let divergences: Divergence[] | undefined;
  return {
    paths,
    credentials,
    config,
    // Worked out when first asked (a refresh and doctor warn with them): status and the hand-outs never ask.
    get divergences() {
      return (divergences ??= [
        ...(credDoc
          ? divergencesOf(credDoc, 'credentials', paths.credentials, new Map(credDoc.sectionNames().map((n) => [n, n])))
          : []),
        ...(configDoc ? divergencesOf(configDoc, 'config', paths.config, configSection) : []),
      ]);
    },
    where,
    ...(configNotAFile && { configNotAFile: `${paths.config} is not a regular file` }),
  };
}

/** The profile a config section is, when botocore reads that profile from exactly this section (the last one wins). */
function profileOf(doc: IniDocument, section: string): string | undefined {
  const profile = configProfileName(section);
  return profile !== undefined && doc.configSectionOf(profile) === section ? profile : undefined;
}

/**
 * Keys we use, in the sections botocore reads profiles from, that the JS SDK reads differently:
 * `key: value`, a lone CR, an inline ` #`/` ;` comment, a value inherited from [DEFAULT], a key not
 * in lower case, continuation lines, or a header the SDK maps to another name.
 */
function divergencesOf(
  doc: IniDocument,
  kind: 'credentials' | 'config',
  file: string,
  sections: Map<string, string>,
): Divergence[] {
  const out: Divergence[] = [];
  const add = (profile: string, key: string, line: number, reason: string, fix: string) =>
    out.push({ file, line, profile, key, reason, readers: SDK_READERS, fix });
  for (const [profile, section] of sections) {
    const headerLine = doc.lineOf(section)!;
    const header = doc.lineAt(headerLine - 1)!;
    const sdkName = sdkSectionName(header.text, kind);
    if (sdkName !== profile) {
      const wanted =
        kind === 'config' ? (profile === 'default' ? '[default]' : `[profile ${profile}]`) : `[${profile}]`;
      add(
        profile,
        '(section header)',
        headerLine,
        sdkName === undefined ? 'it does not read this section' : `it reads this section as profile "${sdkName}"`,
        `Write the header as ${wanted}.`,
      );
    }
    const values = doc.values(section);
    for (const key of Object.keys(values)) {
      if (!USED_KEYS.has(key)) continue;
      const lineNo = doc.lineOf(section, key)!;
      if (doc.inherited(section, key)) {
        add(
          profile,
          key,
          lineNo,
          'it does not inherit keys from [DEFAULT]',
          `Copy "${key}" into ${header.text.trim()}.`,
        );
        continue;
      }
      const line = doc.lineAt(lineNo - 1)!;
      const prev = doc.lineAt(lineNo - 2);
      const raw = line.text;
      const own = raw.slice(0, line.delimiter).trim();
      if (raw[line.delimiter] === ':')
        add(profile, key, lineNo, 'it knows only "=" between key and value', `Write "${key} = value".`);
      else if (own !== key)
        add(
          profile,
          key,
          lineNo,
          `its keys are case-sensitive: "${own}" is not "${key}"`,
          `Write the key as "${key}".`,
        );
      if (line.eol === '\r' || prev?.eol === '\r')
        add(
          profile,
          key,
          lineNo,
          'it does not split lines at a lone CR (old Mac line endings)',
          'Convert the file to LF line endings (dos2unix -c mac, or your editor).',
        );
      if (/\s[#;]/.test(values[key]!.split('\n')[0]!))
        add(
          profile,
          key,
          lineNo,
          'it cuts the value at the inline comment, the AWS CLI keeps the comment in the value',
          'Move the comment to its own line.',
        );
      if (values[key]!.includes('\n'))
        add(
          profile,
          key,
          lineNo,
          'it does not read indented continuation lines as part of the value',
          'Put the value on one line.',
        );
    }
  }
  return out;
}

/**
 * The refusal for a value the AWS CLI itself cannot use: `mfa_serial = arn:... # phone` (botocore
 * keeps the comment in the value). Undefined when the value is fine.
 */
export function unusableValueError(
  files: AwsFiles,
  kind: 'credentials' | 'config',
  profile: string,
  key: string,
): UserError | undefined {
  const value = (kind === 'credentials' ? files.credentials : files.config)[profile]?.[key];
  if (value === undefined) return undefined;
  const comment = /\s([#;].*)$/s.exec(value);
  if (!comment && !value.includes('\n')) return undefined;
  const at = files.where(kind, profile, key);
  const place = at ? `${at.file}:${at.line}: ` : '';
  if (comment) {
    return new UserError(
      `${place}the value of ${key} ends in a comment ("${comment[1]!.split('\n')[0]}"); the AWS CLI reads the comment as part of the value.`,
      ExitCode.UnreadableFile,
      'Move the comment to its own line, then run again.',
    );
  }
  return new UserError(
    `${place}the value of ${key} continues on indented lines; the AWS CLI reads them as part of the value.`,
    ExitCode.UnreadableFile,
    'Put the value on one line, then run again.',
  );
}

/** A profile as botocore's Session sees it: config values, overridden by the credentials file. */
export function mergedProfile(files: AwsFiles, name: string): Profile | undefined {
  const fromConfig = files.config[name];
  const fromCredentials = files.credentials[name];
  if (!fromConfig && !fromCredentials) return undefined;
  return { ...fromConfig, ...fromCredentials };
}
