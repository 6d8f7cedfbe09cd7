/**
 * Differential test against botocore (the AWS CLI's reader). A seeded generator makes credentials
 * and config file pairs from the grammar botocore's configparser reads (header forms, `=`/`:`, key
 * case, continuation lines, comments, CR/LF/CRLF mixes, [DEFAULT], duplicates, BOM, bad bytes...).
 * 1. Each pair is read by botocore and by us: rejected by both, or read with the same values.
 * 2. For each accepted pair, our session write (credentials) and config update run for a target
 *    profile; botocore must still read both files, see our values in the target (also through its
 *    SharedCredentialProvider), and read every other section exactly as before.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAwsFiles, mergedProfile } from '../../src/profiles/aws-files.js';
import { IniDocument, IniParseError, UnsafeEditError } from '../../src/profiles/ini-document.js';
import { parseIni } from '../../src/profiles/botocore-ini.js';
import { updateConfigProfile, writeSession } from '../../src/profiles/writers.js';
import { readWithBotocore, type Raw, type ReferenceRequest } from './botocore-reference.js';

const SEED = Number(process.env.DIFF_SEED ?? 20261129);
const CASES = Number(process.env.DIFF_CASES ?? 2000);
// On a tmpfs where there is one: the writes fsync like every real write, and that costs nothing there.
const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'amr-differential-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly rand: () => number) {}
  chance(p: number): boolean {
    return this.rand() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
}

const NAMES = ['work', 'dev', 'default', 'Work', 'team.dev', 'prod'];
const KEYS = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_security_token',
  'region',
  'output',
  'mfa_serial',
  'expiration',
  'source_profile',
  'x_blob',
];
const VALUES = [
  'AKIAEXAMPLE0001',
  'eu-west-1',
  'arn:aws:iam::123456789012:mfa/phone',
  'arn:aws:iam::1:mfa/x # phone',
  'a ; c',
  'a#b',
  '',
  'x=y',
  'caf\u00e9 \u6771\u4eac',
  '2020-01-01T00:00:00Z',
  'v  v',
  '%(x)s',
  '"q"',
];
const INDENTS = ['', '', '', ' ', '  ', '\t', '    ', '\x0c'];
const WEIRD_SPACE = ['\u00a0', '\x1c', '\x85', '\u2028', '\u3000', '\ufeff', '\x0b'];

function header(g: Gen, kind: 'credentials' | 'config', name: string): string {
  const forms =
    kind === 'config'
      ? name === 'default'
        ? ['[default]', '[profile default]', '[default]', '[DEFAULT]']
        : [
            `[profile ${name}]`,
            `[profile ${name}]`,
            `[profile "${name}"]`,
            `[profile\t${name}]`,
            `[profile  ${name}]`,
            `[${name}]`,
            `[profile ${name} ]`,
            `[profiles ${name}]`,
            `[profile '${name}']`,
            `[profile ${name} x]`,
            `[sso-session ${name}]`,
            '[DEFAULT]',
          ]
      : [`[${name}]`, `[${name}]`, `[${name}]`, `[profile ${name}]`, '[DEFAULT]', `[ ${name}]`];
  let h = g.pick(forms);
  if (g.chance(0.05)) h += g.pick([' junk', ' # comment', ' ; c', ']', '\t']);
  if (g.chance(0.01)) h = h.slice(0, -1); // no closing bracket
  if (g.chance(0.005)) h = '[]';
  return g.pick(INDENTS.slice(0, 4)) + h;
}

function keyLine(g: Gen, used: Set<string>): string {
  let key = g.pick(KEYS);
  if (used.has(key) && !g.chance(0.03)) key = g.pick(KEYS.filter((k) => !used.has(k)).concat(['x_extra']));
  used.add(key);
  if (g.chance(0.08)) key = key.toUpperCase();
  else if (g.chance(0.05)) key = key[0]!.toUpperCase() + key.slice(1);
  const delim = g.pick([' = ', ' = ', '=', ' =', ': ', ':', ' =\t', '\t= ', ' : ']);
  let value = g.pick(VALUES);
  if (g.chance(0.05)) value = `${value}${g.pick(WEIRD_SPACE)}${g.pick(VALUES)}`;
  if (g.chance(0.04)) value += g.pick([' ', '\t', '\x0c']);
  const indent = g.chance(0.15) ? g.pick(INDENTS) : '';
  return `${indent}${key}${delim}${value}`;
}

function file(g: Gen, kind: 'credentials' | 'config'): string {
  const lines: string[] = [];
  if (g.chance(0.01)) lines.push(g.pick(['stray = before header', 'garbage']));
  if (g.chance(0.2)) lines.push(g.pick(['# comment', '; comment', '', '  # indented']));
  const sections = g.int(0, 5);
  const names = new Set<string>();
  for (let s = 0; s < sections; s++) {
    let name = g.pick(NAMES);
    if (names.has(name) && !g.chance(0.03)) name = g.pick(NAMES.filter((n) => !names.has(n)).concat(['extra']));
    names.add(name);
    lines.push(header(g, kind, name));
    const used = new Set<string>();
    for (let k = g.int(0, 6); k > 0; k--) {
      const r = g.rand();
      if (r < 0.7) lines.push(keyLine(g, used));
      else if (r < 0.8) lines.push(g.pick(['# c', '; c', '  # indented comment', '\t; x']));
      else if (r < 0.88) lines.push(g.pick(['', '   ', '\t', '\x0c']));
      else if (r < 0.99)
        lines.push(
          g.pick(INDENTS.slice(3)) +
            g.pick(['max_concurrent_requests = 10', 'aws_session_token = FAKE', 'junk', '[dev]', 'k: v', 'region = x']),
        );
      else lines.push(g.pick(['garbage line', '= novalue', ':x']));
    }
    if (g.chance(0.3)) lines.push('');
  }
  let text = '';
  for (let i = 0; i < lines.length; i++) {
    const last = i === lines.length - 1;
    const eol = last && g.chance(0.2) ? '' : g.chance(0.8) ? '\n' : g.chance(0.5) ? '\r\n' : '\r';
    text += lines[i] + eol;
  }
  if (g.chance(0.01)) text = '\ufeff' + text;
  return text;
}

function toBytes(text: string, g: Gen): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (g.chance(0.01) && b.length > 3) {
    const at = g.int(0, b.length - 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from([0xe9]), b.subarray(at)]);
  }
  return b;
}

interface Pair {
  id: number;
  dir: string;
  credentials: string;
  config: string;
  target: string;
}

/** JSON with keys sorted at every level: key order carries no meaning to any reader. */
function canon(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canon(v)}`).join(',')}}`;
}

function normalise(raw: Raw | undefined): Raw {
  return JSON.parse(JSON.stringify(raw ?? {}));
}

/** Our reading, in botocore's raw_config_parse shape. */
function ours(
  path: string,
  _kind: 'credentials' | 'config',
  bytes: Buffer,
): { ok: true; raw: Raw } | { ok: false; error: string } {
  try {
    const doc = IniDocument.parse(bytes.toString('latin1'), { file: path });
    const text = Buffer.from(doc.toString(), 'latin1').toString('utf8');
    const parsed = parseIni(text);
    const raw: Raw = {};
    for (const name of doc.sectionNames()) {
      const section: Record<string, string | Record<string, string>> = {};
      for (const [key, entry] of new Map([...parsed.defaults, ...parsed.sections.get(name)!]))
        section[key] = entry.nested ?? entry.value;
      raw[name] = section;
    }
    expect(doc.toString(), 'lossless').toBe(bytes.toString('latin1'));
    return { ok: true, raw };
  } catch (error) {
    if (error instanceof IniParseError) return { ok: false, error: error.message };
    throw error;
  }
}

describe('botocore differential', () => {
  it(`reads and writes ${CASES} generated file pairs the way botocore does (seed ${SEED})`, async () => {
    const started = Date.now();
    const g = new Gen(prng(SEED));
    const pairs: Pair[] = [];
    const bytes = new Map<string, Buffer>();
    const requests: ReferenceRequest[] = [];
    for (let id = 0; id < CASES; id++) {
      const dir = join(scratch, String(id));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const pair: Pair = {
        id,
        dir,
        credentials: join(dir, 'credentials'),
        config: join(dir, 'config'),
        target: g.pick(['work', 'dev', 'default', 'new']),
      };
      for (const kind of ['credentials', 'config'] as const) {
        const b = toBytes(file(g, kind), g);
        writeFileSync(pair[kind], b);
        bytes.set(pair[kind], b);
        requests.push({ id: `${id}:${kind}`, path: pair[kind], kind });
      }
      pairs.push(pair);
    }
    const before = await readWithBotocore(requests);

    // 1. Reading.
    const mismatches: string[] = [];
    let accepted = 0;
    let rejected = 0;
    const writable: Pair[] = [];
    for (const pair of pairs) {
      let both = true;
      for (const kind of ['credentials', 'config'] as const) {
        const b = before.get(`${pair.id}:${kind}`)!;
        const o = ours(pair[kind], kind, bytes.get(pair[kind])!);
        if (b.ok !== o.ok) {
          mismatches.push(
            `${pair.id} ${kind}: botocore ${b.ok ? 'reads' : `rejects (${b.error})`}, we ${o.ok ? 'read' : `reject (${(o as { error: string }).error})`}\n${JSON.stringify(bytes.get(pair[kind])!.toString('latin1'))}`,
          );
          both = false;
          continue;
        }
        if (!b.ok) {
          rejected++;
          both = false;
          continue;
        }
        accepted++;
        if (canon(b.raw) !== canon((o as { raw: Raw }).raw)) {
          mismatches.push(
            `${pair.id} ${kind}: values differ\nbotocore ${JSON.stringify(b.raw)}\nours     ${JSON.stringify((o as { raw: Raw }).raw)}\n${JSON.stringify(bytes.get(pair[kind])!.toString('latin1'))}`,
          );
          both = false;
        }
      }
      if (!both) continue;
      // The pair through loadAwsFiles: config profiles as build_profile_map has them, merged like a Session.
      const files = await loadAwsFiles({ credentials: pair.credentials, config: pair.config });
      const bConfig = before.get(`${pair.id}:config`)!.profiles!;
      const bCreds = before.get(`${pair.id}:credentials`)!.raw!;
      const flat = (p: Record<string, unknown>) =>
        canon(Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'string' && !v.startsWith('\n'))));
      for (const name of new Set([...Object.keys(bConfig), ...Object.keys(files.config)])) {
        if (flat(bConfig[name] ?? {}) !== flat(files.config[name] ?? {}))
          mismatches.push(
            `${pair.id}: config profile ${name} differs: botocore ${canon(bConfig[name])} ours ${canon(files.config[name])}\n${JSON.stringify(bytes.get(pair.config)!.toString('latin1'))}`,
          );
      }
      const merged = mergedProfile(files, pair.target);
      const bMerged =
        bConfig[pair.target] || bCreds[pair.target] ? { ...bConfig[pair.target], ...bCreds[pair.target] } : undefined;
      if (flat(merged ?? {}) !== flat(bMerged ?? {}))
        mismatches.push(`${pair.id}: merged profile ${pair.target} differs`);
      writable.push(pair);
    }
    expect(mismatches.slice(0, 5), `${mismatches.length} reading mismatches`).toEqual([]);

    // 2. Writing.
    const session = {
      accessKeyId: 'ASIANEWSESSION00001',
      secretAccessKey: 'newSecret/+0',
      sessionToken: 'NEWTOKEN==',
      expiration: new Date('2030-01-01T00:00:00Z'),
    };
    const device = 'arn:aws:iam::123456789012:mfa/new-device';
    let sessionsWritten = 0;
    let longTerm = 0;
    const refused: string[] = [];
    /** Edits our safety check refused (file untouched): correct, but they must stay rare. */
    const unsafe: string[] = [];
    const written: Pair[] = [];
    for (const pair of writable) {
      try {
        await writeSession(pair.credentials, {
          profile: pair.target,
          credentials: session,
          issued: new Date('2029-12-31T23:00:00Z'),
          serialNumber: device,
        });
        sessionsWritten++;
      } catch (error) {
        if ((error as { exitCode?: number }).exitCode === 5) longTerm++;
        else if (error instanceof UnsafeEditError) unsafe.push(`${pair.id} credentials: ${error.message}`);
        else
          refused.push(
            `${pair.id} credentials: ${(error as Error).message}\n${JSON.stringify(bytes.get(pair.credentials)!.toString('latin1'))}`,
          );
        continue;
      }
      try {
        await updateConfigProfile(pair.config, pair.target, { mfa_serial: device, region: 'eu-central-1' });
      } catch (error) {
        if (error instanceof UnsafeEditError) {
          unsafe.push(`${pair.id} config: ${error.message}`);
          continue;
        }
        refused.push(
          `${pair.id} config: ${(error as Error).message}\n${JSON.stringify(bytes.get(pair.config)!.toString('latin1'))}`,
        );
        continue;
      }
      written.push(pair);
    }
    expect(refused.slice(0, 5), `${refused.length} writes refused`).toEqual([]);
    expect(unsafe.length, unsafe.join('\n')).toBeLessThanOrEqual(Math.ceil(writable.length / 100));

    const after = await readWithBotocore(
      written.flatMap((p) => [
        { id: `${p.id}:credentials`, path: p.credentials, kind: 'credentials' as const, target: p.target },
        { id: `${p.id}:config`, path: p.config, kind: 'config' as const },
      ]),
    );
    const broken: string[] = [];
    for (const pair of written) {
      const show = (kind: 'credentials' | 'config') =>
        `\nbefore ${JSON.stringify(bytes.get(pair[kind])!.toString('latin1'))}\nafter  ${JSON.stringify(readFileSync(pair[kind], 'latin1'))}`;
      const c = after.get(`${pair.id}:credentials`)!;
      const k = after.get(`${pair.id}:config`)!;
      if (!c.ok) broken.push(`${pair.id}: botocore rejects the credentials we wrote: ${c.error}${show('credentials')}`);
      if (!k.ok) broken.push(`${pair.id}: botocore rejects the config we wrote: ${k.error}${show('config')}`);
      if (!c.ok || !k.ok) continue;
      const cb = normalise(before.get(`${pair.id}:credentials`)!.raw);
      for (const name of new Set([...Object.keys(cb), ...Object.keys(c.raw!)])) {
        if (name !== pair.target && canon(cb[name]) !== canon(c.raw![name]))
          broken.push(`${pair.id}: credentials [${name}] changed${show('credentials')}`);
      }
      if (
        JSON.stringify(c.credentials) !==
        JSON.stringify({
          access_key: session.accessKeyId,
          secret_key: session.secretAccessKey,
          token: session.sessionToken,
        })
      ) {
        broken.push(
          `${pair.id}: botocore's SharedCredentialProvider reads ${JSON.stringify(c.credentials)}${show('credentials')}`,
        );
      }
      const kb = before.get(`${pair.id}:config`)!;
      for (const name of new Set([...Object.keys(kb.profiles!), ...Object.keys(k.profiles!)])) {
        if (name === pair.target) continue;
        if (canon(kb.profiles![name]) !== canon(k.profiles![name]))
          broken.push(`${pair.id}: config profile ${name} changed${show('config')}`);
      }
      const t = k.profiles![pair.target] as Record<string, string> | undefined;
      if (t?.mfa_serial !== device || t?.region !== 'eu-central-1')
        broken.push(`${pair.id}: config profile ${pair.target} reads ${JSON.stringify(t)}${show('config')}`);
    }
    expect(broken.slice(0, 5), `${broken.length} writes broke something`).toEqual([]);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `botocore differential: ${CASES} pairs (${accepted} files read, ${rejected} rejected by both), ${sessionsWritten} sessions written (${longTerm} refused: long-term keys), ${written.length} config updates, ${unsafe.length} edits refused as unsafe, ${seconds.toFixed(1)} s`,
    );
    expect(accepted).toBeGreaterThan(CASES / 2);
    expect(rejected).toBeGreaterThan(50);
  }, 120_000);
});
