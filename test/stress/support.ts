/**
 * Shared by the hostile-file corpus (test/e2e/hostile-files.e2e.test.ts), the permission tests and
 * the stress suites: killable CLI children, a bounded pool, byte-level checks of what a refresh
 * wrote, and the two readers the written file is for (the JS SDK's loader and botocore).
 *
 * The INI helpers here are deliberately independent of src/profiles: they split Buffers into
 * lines and sections with their own rules, so they can catch the engine's mistakes.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { CLI, NODE } from '../e2e/harness.js';
import { REFERENCE_PYTHON } from '../reference-python.js';
import { watchChild, type WatchedChild } from '../support/watched-child.js';

// ---------------------------------------------------------------------------------------------
// Children

export type Child = WatchedChild & { startedAt: number };

/** The built CLI as a child process (stdin closed), killable at any moment. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, opts: { shellPrefix?: string } = {}): Child {
  const proc = opts.shellPrefix
    ? spawn('/bin/sh', ['-c', `${opts.shellPrefix} && exec "$0" "$@"`, NODE, CLI, ...args], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(NODE, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stdin!.end();
  const child = watchChild(proc);
  const waitFor = child.waitFor;
  return Object.assign(child, {
    startedAt: Date.now(),
    // A pause point not reached in 15 s is a failure, not a hang.
    waitFor: (...[stream, text, more]: Parameters<WatchedChild['waitFor']>) =>
      waitFor(stream, text, { timeoutMs: 15_000, ...more }),
  });
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Lock, temp, takeover and set-aside files the store may leave in `dir`. */
export function leftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /\.lock$|\.lock\.|\.tmp$|\.stale$|\.takeover$/.test(n));
}

/** A corpus file's bytes with `@@AKID@@` / `@@SECRET@@` replaced by the run's long-term keys. */
export function substituteKeys(bytes: Buffer, user: { accessKeyId: string; secretAccessKey: string }): Buffer {
  return Buffer.from(
    bytes.toString('latin1').replaceAll('@@AKID@@', user.accessKeyId).replaceAll('@@SECRET@@', user.secretAccessKey),
    'latin1',
  );
}

/** A config file holding the source profile `amr-source` with the run's long-term keys. */
export function sourceConfig(user: { accessKeyId: string; secretAccessKey: string }): string {
  return `[profile amr-source]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n`;
}

/** `2026-11-28T06:05:42Z`, as the tool writes expirations. */
export const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------------
// Bytes: lines and sections, independent of src/profiles

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const OWNED = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'expiration',
  'mfa_issued',
  'mfa_device',
] as const;
const FOREIGN = ['aws_security_token', 'x_security_token_expires'] as const;

/** Whether a key (any case: botocore lowercases keys) is one the refresh owns in the target. */
export function isOwnedKey(key: string): boolean {
  const k = key.toLowerCase();
  return (OWNED as readonly string[]).includes(k) || (FOREIGN as readonly string[]).includes(k);
}

/** A JS string as the latin1 string of its UTF-8 bytes (how names look inside a latin1-read file). */
export const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** Lines with their own endings; the BOM stays on the first line. */
export function splitLines(buf: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      lines.push(buf.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < buf.length) lines.push(buf.subarray(start));
  return lines;
}

/** A line's text without its ending (and without a leading BOM), as latin1. */
function bare(line: Buffer, first: boolean): string {
  let b = line;
  if (first && b.subarray(0, 3).equals(BOM)) b = b.subarray(3);
  return b.toString('latin1').replace(/\r?\n$/, '');
}

/** The section name of a header line (latin1), or undefined for any other line. */
function headerName(text: string): string | undefined {
  const m = /^\[([^\]]*)\][ \t]*(?:[#;].*)?$/.exec(text.replace(/\r$/, ''));
  return m ? m[1] : undefined;
}

export interface Block {
  /** latin1 section name; null for the lines before the first header */
  name: string | null;
  lines: Buffer[];
}

/** Header-to-header blocks. */
export function blocks(buf: Buffer): Block[] {
  const out: Block[] = [{ name: null, lines: [] }];
  splitLines(buf).forEach((line, i) => {
    const name = headerName(bare(line, i === 0));
    if (name !== undefined) out.push({ name, lines: [] });
    out[out.length - 1]!.lines.push(line);
  });
  return out;
}

/** The bytes of every block that is not one of `names` (JS strings): what a refresh must not touch. */
export function outside(buf: Buffer, names: string[]): Buffer {
  const skip = new Set(names.map(utf8AsLatin1));
  return Buffer.concat(blocks(buf).flatMap((b) => (b.name !== null && skip.has(b.name) ? [] : b.lines)));
}

/** The lines of every occurrence of the section (headers included). */
export function sectionLines(buf: Buffer, name: string): Buffer[] {
  const n = utf8AsLatin1(name);
  return blocks(buf).flatMap((b) => (b.name === n ? b.lines : []));
}

interface KeyLine {
  key: string;
  value: string;
  line: Buffer;
}

/** `key = value` of a line (comment cut the way the JS SDK cuts it), or undefined. */
function keyValue(line: Buffer): { key: string; value: string } | undefined {
  const text = Buffer.from(line.toString('latin1').replace(/\r?\n$/, ''), 'latin1').toString('utf8');
  const rest = text.trim();
  if (rest === '' || rest.startsWith('#') || rest.startsWith(';') || rest.startsWith('[')) return undefined;
  const eq = text.indexOf('=');
  if (eq < 0) return undefined;
  return {
    key: text.slice(0, eq).trim(),
    value: text
      .slice(eq + 1)
      .split(/(^|\s)[;#]/)[0]!
      .trim(),
  };
}

function ownedLines(lines: Buffer[]): KeyLine[] {
  return lines.flatMap((line) => {
    const kv = keyValue(line);
    return kv && isOwnedKey(kv.key) ? [{ ...kv, line }] : [];
  });
}

/** The lines of the section a refresh must keep: headers, comments, blank lines, unowned keys. */
function unownedLines(lines: Buffer[]): Buffer[] {
  return lines.filter((line) => {
    const kv = keyValue(line);
    return !(kv && isOwnedKey(kv.key));
  });
}

export interface ExpectedSession {
  aws_access_key_id: string;
  aws_secret_access_key: string;
  aws_session_token: string;
  expiration: string;
  mfa_device: string;
}

const ISSUED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Problems with the session keys of the section: each owned key once, with the expected value; no foreign key. */
export function sessionProblems(buf: Buffer, target: string, expected: ExpectedSession): string[] {
  const problems: string[] = [];
  const owned = ownedLines(sectionLines(buf, target));
  for (const key of OWNED) {
    const found = owned.filter((o) => o.key.toLowerCase() === key);
    if (found.length !== 1) {
      problems.push(`[${target}] has ${found.length} lines for ${key} (${found.map((f) => f.key).join(', ')})`);
      continue;
    }
    const { key: spelled, value } = found[0]!;
    if (spelled !== key) problems.push(`[${target}] spells ${key} as ${spelled}`);
    const want = key === 'mfa_issued' ? ISSUED : expected[key];
    if (typeof want === 'string' ? value !== want : !want.test(value))
      problems.push(`[${target}] ${key} is not the issued session's`);
  }
  for (const o of owned)
    if (!(OWNED as readonly string[]).includes(o.key)) problems.push(`[${target}] still has ${o.key}`);
  return problems;
}

/** The values of the owned keys in the section (last wins), for matching against issued sessions. */
export function sessionValues(buf: Buffer, target: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const o of ownedLines(sectionLines(buf, target))) values[o.key] = o.value;
  return values;
}

function eolOf(buf: Buffer): string {
  const nl = buf.indexOf(0x0a);
  return nl > 0 && buf[nl - 1] === 0x0d ? '\r\n' : '\n';
}

function sameLines(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((line, i) => {
    if (line.equals(b[i]!)) return true;
    // The file's last line (the only one without an ending) may gain one when a line is written after it.
    return (
      !line.includes(0x0a) &&
      b[i]!.subarray(0, line.length).equals(line) &&
      /^\r?\n$/.test(b[i]!.subarray(line.length).toString('latin1'))
    );
  });
}

/**
 * Inside an existing section: every line the tool does not own (header, comments, blank lines,
 * unowned keys) is kept, in order, and the section occurs as often as before.
 */
export function keptLinesProblems(before: Buffer, after: Buffer, target: string): string[] {
  const problems: string[] = [];
  if (!sameLines(unownedLines(sectionLines(before, target)), unownedLines(sectionLines(after, target)))) {
    problems.push(`lines of [${target}] the tool does not own changed`);
  }
  const occurrences = (b: Buffer) => blocks(b).filter((x) => x.name === utf8AsLatin1(target)).length;
  if (occurrences(before) !== occurrences(after))
    problems.push(`[${target}] occurs ${occurrences(after)} times, was ${occurrences(before)}`);
  return problems;
}

/**
 * Everything a successful refresh of `target` must satisfy, byte for byte:
 *  - the session keys: each once, the issued values, no foreign session key left;
 *  - an existing section: every block outside it identical; inside it, every line the tool does
 *    not own (header, comments, blank lines, unowned keys) kept in order;
 *  - a new section: the old bytes are a prefix (the last line may gain its line ending), then one
 *    blank line (unless the file is empty or ends with one), then exactly `[target]` and the six keys;
 *  - line endings: no CRLF appears in an LF file, and no bare LF in a CRLF file.
 */
export function refreshProblems(
  before: Buffer | undefined,
  after: Buffer,
  target: string,
  expected: ExpectedSession,
): string[] {
  const problems = sessionProblems(after, target, expected);
  const old = before ?? Buffer.alloc(0);
  const existed = sectionLines(old, target).length > 0;
  const oldLines = splitLines(old);
  const last = oldLines[oldLines.length - 1];
  if (existed) {
    if (!outside(old, [target]).equals(outside(after, [target]))) problems.push(`bytes outside [${target}] changed`);
    problems.push(...keptLinesProblems(old, after, target));
  } else {
    const eol = eolOf(old);
    const onlyBom = old.equals(BOM);
    const prefix =
      old.length === 0 || onlyBom || old[old.length - 1] === 0x0a ? old : Buffer.concat([old, Buffer.from(eol)]);
    if (!after.subarray(0, prefix.length).equals(prefix))
      problems.push('the old bytes are not a prefix of the new file');
    const lastText = last === undefined ? '' : bare(last, oldLines.length === 1);
    const blank = old.length === 0 || onlyBom || /^[ \t]*$/.test(lastText.replace(/\r$/, '')) ? '' : eol;
    const issued = sessionValues(after, target).mfa_issued ?? '';
    const lines = [`[${target}]`, ...OWNED.map((k) => `${k} = ${k === 'mfa_issued' ? issued : expected[k]}`)];
    const tail = Buffer.from(blank + lines.map((l) => l + eol).join(''), 'utf8');
    if (!after.subarray(prefix.length).equals(tail))
      problems.push(`the new section is not exactly one blank line, [${target}] and its six keys`);
  }
  const crlfBefore = old.includes('\r\n');
  const bareLf = (b: Buffer) => /(^|[^\r])\n/.test(b.toString('latin1'));
  if (old.length > 0 && !crlfBefore && after.includes('\r\n')) problems.push('CRLF appeared in an LF file');
  if (crlfBefore && !bareLf(old) && bareLf(after)) problems.push('a bare LF appeared in a CRLF file');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Readers

export type Profiles = Record<string, Record<string, unknown>>;

/** The credentials file as the AWS SDK for JavaScript reads it. */
export async function readWithSdk(file: string): Promise<Profiles> {
  const { credentialsFile } = await loadSharedConfigFiles({
    filepath: file,
    configFilepath: `${file}.no-config`,
    ignoreCache: true,
  });
  return credentialsFile as Profiles;
}

export interface BotocoreJob {
  id: string;
  path: string;
  /** Also resolve this profile with botocore's own SharedCredentialProvider. */
  profile?: string;
}

export interface BotocoreResult {
  ok: boolean;
  error?: string;
  sections?: Profiles;
  credentials?: { access_key: string; secret_key: string; token: string | null } | null;
  credentialsError?: string;
}

const BOTOCORE_SCRIPT = String.raw`
import json, sys
import botocore.configloader as configloader
from botocore.credentials import SharedCredentialProvider
out = {}
for job in json.load(sys.stdin):
    r = {}
    try:
        r['sections'] = configloader.raw_config_parse(job['path'])
        r['ok'] = True
    except Exception as e:
        r['ok'] = False
        cause = e.__context__ or e.__cause__
        r['error'] = type(e).__name__ + ': ' + str(e) + ((' (' + type(cause).__name__ + ')') if cause else '')
    if r['ok'] and job.get('profile'):
        try:
            c = SharedCredentialProvider(creds_filename=job['path'], profile_name=job['profile']).load()
            r['credentials'] = None if c is None else {'access_key': c.access_key, 'secret_key': c.secret_key, 'token': c.token}
        except Exception as e:
            r['credentialsError'] = type(e).__name__ + ': ' + str(e)
    out[job['id']] = r
sys.stdout.write(json.dumps(out))
`;

export const PYTHON = REFERENCE_PYTHON;

/** Reads many files with botocore in one python process (as the AWS CLI reads ~/.aws/credentials). */
export function readWithBotocore(jobs: BotocoreJob[]): Promise<Record<string, BotocoreResult>> {
  if (jobs.length === 0) return Promise.resolve({});
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      ['-c', BOTOCORE_SCRIPT],
      // UTF-8 mode: files are read as UTF-8, as on any UTF-8 desktop or CI locale.
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...(process.env.SYSTEMROOT && { SYSTEMROOT: process.env.SYSTEMROOT }), // Python on Windows needs it
          PYTHONUTF8: '1',
          LANG: 'C.UTF-8',
        },
        maxBuffer: 512 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`botocore reader failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout));
      },
    );
    child.stdin!.end(JSON.stringify(jobs));
  });
}

export function botocoreAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile(PYTHON, ['-c', 'import botocore'], (error) => resolve(!error)));
}
