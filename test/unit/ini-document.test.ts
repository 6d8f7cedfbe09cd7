import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { IniDocument, IniParseError } from '../../src/profiles/ini-document.js';
import { readWithBotocore, type Raw } from './botocore-reference.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/ini/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ini-document-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------------
// Independent helpers (deliberately not using the engine under test)

const latin1 = (bytes: Buffer | string) => (typeof bytes === 'string' ? bytes : bytes.toString('latin1'));
const utf8Bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** Lines with their own endings (`\n`, `\r\n` or a lone `\r`, as botocore splits them). */
function splitLines(text: string): string[] {
  return text.match(/[^\r\n]*(\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

interface Block {
  name: string | null; // null: lines before the first header
  lines: string[];
}

/** Groups a document's lines by section occurrence, with a header detector of its own. */
function blocks(text: string): Block[] {
  const bom = '\xef\xbb\xbf';
  const body = text.startsWith(bom) ? text.slice(bom.length) : text;
  const out: Block[] = [{ name: null, lines: [] }];
  for (const line of splitLines(body)) {
    const bare = line.replace(/(\r\n|\r|\n)$/, '');
    if (bare.startsWith('[')) {
      const header = bare.split(/(^|\s)[;#]/)[0]!.trim();
      out.push({ name: Buffer.from(header.slice(1, -1), 'latin1').toString('utf8'), lines: [] });
    }
    out[out.length - 1]!.lines.push(line);
  }
  return out;
}

function outside(text: string, section: string): Block[] {
  return blocks(text).filter((b) => b.name !== section);
}

let refFileCounter = 0;
/** What botocore (the AWS CLI) reads from each latin1 byte string saved as a file: section -> key -> value. */
async function botocoreRead(...texts: string[]): Promise<Raw[]> {
  const files = texts.map((text) => {
    const file = join(scratch, `ref-${refFileCounter++}`);
    writeFileSync(file, Buffer.from(text, 'latin1'));
    return file;
  });
  const results = await readWithBotocore(files.map((path) => ({ id: path, path, kind: 'credentials' as const })));
  for (const file of files) rmSync(file);
  return files.map((file) => {
    const r = results.get(file)!;
    expect(r.ok, r.error).toBe(true);
    return r.raw!;
  });
}

/** Asserts botocore reads `values` in `section` of `after`, and every other section as in `before`. */
async function expectBotocoreSees(before: string, after: string, section: string, values: Record<string, string>) {
  const [old, now] = await botocoreRead(before, after);
  const others = (m: Raw) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== section));
  expect(others(now!)).toEqual(others(old!));
  for (const [key, value] of Object.entries(values)) expect(now![section]?.[key], `${section}.${key}`).toBe(value);
}

// ------------------------------------------------------------------------------------------------
// Fixtures

interface FixtureCase {
  kind: 'credentials' | 'config';
  targets: Array<{ section: string; values?: Record<string, string> }>;
}

const SESSION = {
  aws_access_key_id: 'ASIANEWSESSIONKEY',
  aws_secret_access_key: 'new/secret+key=',
  aws_session_token: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/==',
  expiration: '2026-11-28T06:05:42Z',
  mfa_label: 'clé ✓',
};

const FIXTURE_CASES: Record<string, FixtureCase> = {
  'crlf-credentials.ini': {
    kind: 'credentials',
    targets: [{ section: 'dev' }, { section: 'default' }, { section: 'new' }],
  },
  'mixed-endings.ini': { kind: 'credentials', targets: [{ section: 'dev' }, { section: 'ops' }, { section: 'new' }] },
  'comments.ini': {
    kind: 'credentials',
    targets: [{ section: 'dev' }, { section: 'default' }, { section: 'prod' }, { section: 'new' }],
  },
  'no-final-newline.ini': {
    kind: 'credentials',
    targets: [{ section: 'dev' }, { section: 'prod' }, { section: 'new' }],
  },
  'no-final-newline-target-last.ini': { kind: 'credentials', targets: [{ section: 'dev' }, { section: 'new' }] },
  'tabs-and-spacing.ini': {
    kind: 'credentials',
    targets: [{ section: 'dev' }, { section: 'default', values: { ...SESSION, output: 'text' } }, { section: 'prod' }],
  },
  'empty-values.ini': {
    kind: 'credentials',
    targets: [
      {
        section: 'dev',
        values: { ...SESSION, mfa_serial: 'arn:aws:iam::123456789012:mfa/me', empty_at_end: 'filled' },
      },
      { section: 'default', values: { region: 'us-west-1' } },
    ],
  },
  'continuation.config': {
    kind: 'config',
    targets: [
      { section: 'profile dev', values: { mfa_serial: 'arn:aws:iam::123456789012:mfa/new', output: 'text' } },
      { section: 'profile tail', values: { mfa_serial: 'arn:aws:iam::123456789012:mfa/tail' } },
      { section: 'default', values: { region: 'eu-west-2', cli_pager: '' } },
      { section: 'profile new', values: { mfa_serial: 'arn:aws:iam::123456789012:mfa/n' } },
    ],
  },
  'profile-in-credentials.ini': { kind: 'credentials', targets: [{ section: 'profile dev' }, { section: 'dev' }] },
  'names.ini': {
    kind: 'credentials',
    targets: [
      { section: 'a.b.c' },
      { section: 'name with spaces' },
      { section: 'profile my.dev team' },
      { section: 'default' },
    ],
  },
  'empty.ini': { kind: 'credentials', targets: [{ section: 'default' }] },
  'comments-only.ini': { kind: 'credentials', targets: [{ section: 'default' }] },
  'blank-lines-only.ini': { kind: 'credentials', targets: [{ section: 'default' }] },
};

/** Files botocore rejects ("Unable to parse config file"): refused with the line and the reason. */
const REFUSED: Record<string, [number, RegExp]> = {
  'bom.ini': [1, /byte order mark/],
  'bom-crlf-comment-first.ini': [1, /byte order mark/],
  'bom-only.ini': [1, /byte order mark/],
  'kitchen-sink.config': [1, /byte order mark/],
  'duplicate-sections.ini': [8, /duplicate section \[default\], first at .*:1;/],
  'duplicate-keys.ini': [3, /duplicate key "aws_access_key_id" in \[dev\].*first at .*:2;/],
  'non-utf8.ini': [1, /not UTF-8/],
  'malformed/key-before-section.ini': [2, /before the first \[section\]/],
  'malformed/unterminated-header.ini': [3, /key = value/],
  'malformed/garbage-line.ini': [3, /key = value/],
  // `  [b]` is a continuation of k, so the second `k` is a duplicate to botocore.
  'malformed/indented-header.ini': [4, /duplicate key "k" in \[a\]/],
  'malformed/empty-section-name.ini': [3, /key = value/],
  'malformed/crlf-garbage.ini': [4, /key = value/],
  'malformed/bom-key-first.ini': [1, /byte order mark/],
  'malformed/missing-key-name.ini': [2, /key name is missing/],
};

/** Files the old reader refused that botocore reads: read as botocore reads them. */
const READ_NOW: Record<string, Raw> = {
  'malformed/colon-separator.ini': { default: { region: 'us-east-1' } },
  'malformed/text-after-header.ini': { default: { k: 'v' }, dev: {} },
};

describe('fixtures', () => {
  it('every fixture file has a case (and every case a file)', () => {
    const files = readdirSync(FIXTURES).filter((f) => /\.(ini|config)$/.test(f));
    const all = [...Object.keys(FIXTURE_CASES), ...Object.keys(REFUSED), ...Object.keys(READ_NOW)];
    expect(files.sort()).toEqual(all.filter((f) => !f.startsWith('malformed/')).sort());
    const malformed = readdirSync(join(FIXTURES, 'malformed')).map((f) => `malformed/${f}`);
    expect(malformed.sort()).toEqual(all.filter((f) => f.startsWith('malformed/')).sort());
  });

  for (const [file, fixture] of Object.entries(FIXTURE_CASES)) {
    describe(file, () => {
      const path = join(FIXTURES, file);
      const bytes = readFileSync(path);
      const text = latin1(bytes);

      it('parse → toString gives the file back byte for byte', () => {
        const out = IniDocument.parse(text, { file: path }).toString();
        expect(Buffer.from(out, 'latin1').equals(bytes)).toBe(true);
      });

      for (const { section, values = SESSION } of fixture.targets) {
        it(`set [${section}] changes nothing outside it, and botocore reads the result`, async () => {
          const doc = IniDocument.parse(text, { file: path });
          const existed = doc.hasSection(section);
          doc.set(section, values);
          const after = doc.toString();
          expect(after).not.toBe(text);
          if (existed) {
            expect(outside(after, section)).toEqual(outside(text, section));
          } else {
            // Appended: the old bytes stay a prefix (the last line may gain its line ending).
            const eol = doc.eol;
            const prefix = text === '' || text.endsWith('\n') || text === '\xef\xbb\xbf' ? text : text + eol;
            expect(after.startsWith(prefix)).toBe(true);
            const blank = text === '' || text === '\xef\xbb\xbf' || /(^|\n)[ \t]*\r?\n$/.test(prefix) ? '' : eol;
            const keys = Object.entries(values).map(([k, v]) => (v === '' ? `${k} =` : `${k} = ${v}`) + eol);
            expect(after.slice(prefix.length)).toBe(utf8Bytes(`${blank}[${section}]${eol}${keys.join('')}`));
          }
          for (const [key, value] of Object.entries(values)) expect(doc.get(section, key)).toBe(value);
          const reparsed = IniDocument.parse(after, { file: path });
          expect(reparsed.toString()).toBe(after);
          for (const [key, value] of Object.entries(values)) expect(reparsed.get(section, key)).toBe(value);
          reparsed.set(section, values);
          expect(reparsed.toString()).toBe(after); // idempotent
          await expectBotocoreSees(text, after, section, values);
        });
      }
    });
  }

  for (const [file, [line, reason]] of Object.entries(REFUSED)) {
    it(`${file}: refused as botocore refuses it, naming the file and line ${line} (exit 8)`, async () => {
      const path = join(FIXTURES, file);
      const text = latin1(readFileSync(path));
      const [result] = [...(await readWithBotocore([{ id: 'f', path, kind: 'credentials' }])).values()];
      expect(result!.ok).toBe(false);
      let error: unknown;
      try {
        IniDocument.parse(text, { file: path });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IniParseError);
      const e = error as IniParseError;
      expect(e).toBeInstanceOf(UserError);
      expect(e.file).toBe(path);
      expect(e.line).toBe(line);
      expect(e.message.startsWith(`${path}:${line}: `)).toBe(true);
      expect(e.message).toMatch(reason);
      expect(e.message).not.toContain('\n');
      expect(e.exitCode).toBe(8);
      expect(e.hint).toMatch(/fix|remove|merge|save/i);
    });
  }

  for (const [file, raw] of Object.entries(READ_NOW)) {
    it(`${file}: read as botocore reads it, and given back byte for byte`, async () => {
      const path = join(FIXTURES, file);
      const text = latin1(readFileSync(path));
      const doc = IniDocument.parse(text, { file: path });
      expect(doc.toString()).toBe(text);
      const [ref] = await botocoreRead(text);
      expect(ref).toEqual(raw);
      for (const [section, values] of Object.entries(raw)) expect(doc.values(section)).toEqual(values);
    });
  }

  it('the BOM refusal says how to remove it', () => {
    const path = join(FIXTURES, 'bom.ini');
    expect(() => IniDocument.parse(latin1(readFileSync(path)), { file: path })).toThrowError(IniParseError);
    try {
      IniDocument.parse(latin1(readFileSync(path)), { file: path });
    } catch (e) {
      expect((e as IniParseError).hint).toMatch(/sed -i .*bom\.ini|without BOM/);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Behaviour

describe('reading', () => {
  it('keeps inline comments in the value, as botocore does (the JS SDK strips ` # …` and ` ; …`)', () => {
    const doc = IniDocument.parse(
      '[a]\nh = v # c\nh2 = v#c\ns = v ;c\ns2 = v;c\nt = v\t# tab\nonly = # nothing\nsemi=;x\neq = a=b # c\nurl = https://x/#frag\n',
    );
    expect(doc.entries('a')).toEqual({
      h: 'v # c',
      h2: 'v#c',
      s: 'v ;c',
      s2: 'v;c',
      t: 'v\t# tab',
      only: '# nothing',
      semi: ';x',
      eq: 'a=b # c',
      url: 'https://x/#frag',
    });
  });

  it('refuses duplicate keys (any case) and duplicate sections, naming both lines', () => {
    expect(() => IniDocument.parse('[a]\nk = 1\nK = 2\n', { file: 'f' })).toThrowError(
      /^f:3: duplicate key "k" in \[a\].*first at f:2;/,
    );
    expect(() => IniDocument.parse('[a]\nk = 1\n[b]\n[a]\n', { file: 'f' })).toThrowError(
      /^f:4: duplicate section \[a\], first at f:1;/,
    );
    const doc = IniDocument.parse('[a]\nk = 3\nx = 1\ny = 2\n[b]\nk = b\n');
    expect(doc.get('a', 'k')).toBe('3');
    expect(doc.get('a', 'K')).toBe('3');
    expect(doc.entries('a')).toEqual({ k: '3', x: '1', y: '2' });
    expect(doc.get('a', 'missing')).toBeUndefined();
    expect(doc.get('missing', 'k')).toBeUndefined();
    expect(doc.entries('missing')).toEqual({});
  });

  it('lists section names once, in order, as the text between the brackets', () => {
    const doc = IniDocument.parse('[default] # main\n[profile dev]\n[a.b c]\n[ spaced ]\n[x]]\n');
    expect(doc.sectionNames()).toEqual(['default', 'profile dev', 'a.b c', ' spaced ', 'x]']);
    expect(doc.hasSection('profile dev')).toBe(true);
    expect(doc.hasSection('dev')).toBe(false);
    expect(doc.hasSection('spaced')).toBe(false);
  });

  it('converts names and values from UTF-8 bytes at the API boundary', () => {
    const doc = IniDocument.parse(utf8Bytes('[café]\nclé = été # c\n'));
    expect(doc.sectionNames()).toEqual(['café']);
    expect(doc.get('café', 'clé')).toBe('été # c');
    doc.set('café', { clé: 'hiver ✓' });
    expect(doc.toString()).toBe(utf8Bytes('[café]\nclé = hiver ✓\n'));
  });

  it('does not trim a UTF-8 sequence ending in byte A0 (à) at the end of a value', () => {
    const doc = IniDocument.parse('[a]\nk = voil\xc3\xa0\n');
    expect(doc.get('a', 'k')).toBe('voilà');
  });

  it('does not treat continuation lines as keys of the section', () => {
    const doc = IniDocument.parse('[p]\ns3 =\n  max_concurrent_requests = 10\nregion = x\n  aws_session_token = t\n');
    expect(doc.entries('p')).toEqual({ s3: '\nmax_concurrent_requests = 10', region: 'x\naws_session_token = t' });
    expect(doc.get('p', 'aws_session_token')).toBeUndefined();
  });

  it('entries() turns a key named __proto__ into a property, not a prototype', () => {
    const entries = IniDocument.parse('[a]\n__proto__ = x\n').entries('a');
    expect(Object.keys(entries)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(entries, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('eol is the first line ending, LF by default', () => {
    expect(IniDocument.empty().eol).toBe('\n');
    expect(IniDocument.parse('[a]').eol).toBe('\n');
    expect(IniDocument.parse('[a]\r\nk=v\n').eol).toBe('\r\n');
    expect(IniDocument.parse('[a]\nk=v\r\n').eol).toBe('\n');
  });
});

describe('parse errors', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['k = v\n[a]\n', 1, /before the first \[section\]/],
    ['\n\n  indented = key\n[a]\n', 3, /before the first/],
    ['[a\n', 1, /before the first/],
    ['[]\n', 1, /before the first/],
    ['[a]\n[]\n', 2, /key = value/],
    ['[a]\nnot a key\n', 2, /key = value/],
    ['[a]\n= v\n', 2, /key name is missing/],
    ['[a]\nk = 1\n  [b]\nk = 2\n', 4, /duplicate key/],
    ['[a]\rk = 1\r[a]\r', 3, /duplicate section/],
    ['\xef\xbb\xbf[a]\n', 1, /byte order mark/],
    ['[a]\nk = caf\xe9\n', 2, /not UTF-8/],
    ['[a]\r\nk=1\r\n\r\n\r\nbad', 5, /key = value/],
  ];
  for (const [text, line, reason] of cases) {
    it(`${JSON.stringify(text)} → line ${line}`, () => {
      expect(() => IniDocument.parse(text, { file: 'creds' })).toThrowError(reason);
      try {
        IniDocument.parse(text, { file: 'creds' });
      } catch (e) {
        expect((e as IniParseError).line).toBe(line);
        expect((e as Error).message.startsWith(`creds:${line}: `)).toBe(true);
      }
    });
  }

  it('reads what botocore reads where the old reader refused', () => {
    const read = (text: string) => {
      const doc = IniDocument.parse(text);
      expect(doc.toString()).toBe(text);
      return Object.fromEntries(doc.sectionNames().map((n) => [n, { ...doc.values(n) }]));
    };
    expect(read('[a #b]\n')).toEqual({ 'a #b': {} });
    expect(read('[a] junk\nk = 1\n')).toEqual({ a: { k: '1' } });
    expect(read('[__proto__]\n[profile __proto__]\n')).toEqual(
      Object.fromEntries([
        ['__proto__', {}],
        ['profile __proto__', {}],
      ]),
    );
    expect(read('  [a]\n  [b]\n')).toEqual({ a: {}, b: {} });
    expect(read('[a]\nk = 1\n  [b]\n')).toEqual({ a: { k: '1\n[b]' } });
    expect(read('[a]\nregion: us-east-1\n')).toEqual({ a: { region: 'us-east-1' } });
    expect(read('[a]\nfoo #x = 1\n')).toEqual({ a: { 'foo #x': '1' } });
    expect(read('[a]\rk = 1\r[dev]\rj = 2\r')).toEqual({ a: { k: '1' }, dev: { j: '2' } });
  });

  it('without a file name the message still names the line', () => {
    expect(() => IniDocument.parse('[a]\nbad\n')).toThrowError(/^line 2: /);
  });

  it('never puts the offending line (it may hold a secret) into the message', () => {
    try {
      IniDocument.parse('[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n', { file: 'f' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('wJalrXUtnFEMI');
    }
  });

  it('accepts comments and blank lines before the first header, and indented keys and comments', () => {
    const text = '# c\n; c\n  # indented\n\t\n\n[a]\n  k = 1\n  j = 2\n\t; x\n';
    expect(IniDocument.parse(text).toString()).toBe(text);
    expect(IniDocument.parse(text).entries('a')).toEqual({ k: '1', j: '2' });
  });
});

describe('set', () => {
  it('rewrites the value in place, keeping the key, its spacing and its line ending', () => {
    const doc = IniDocument.parse('[a]\nk\t=\tv # comment\r\nj=old\nl   =   x   \n');
    doc.set('a', { k: 'new', j: 'new2', l: 'y' });
    expect(doc.toString()).toBe('[a]\nk\t=\tnew\r\nj=new2\nl   =   y\n');
  });

  it('writes `key = value` after an empty `key =`, mirroring the space before "="', () => {
    const doc = IniDocument.parse('[a]\nk =\nj=\nt\t=\n');
    doc.set('a', { k: '1', j: '2', t: '3' });
    expect(doc.toString()).toBe('[a]\nk = 1\nj=2\nt\t=\t3\n');
  });

  it('rewrites a key written in another case in place, in lower case (botocore folds keys, the JS SDK does not)', () => {
    const doc = IniDocument.parse('[profile work]\nMFA_SERIAL = arn:old\nRegion=x\n');
    doc.set('profile work', { mfa_serial: 'arn:new', region: 'y' });
    expect(doc.toString()).toBe('[profile work]\nmfa_serial = arn:new\nregion=y\n');
  });

  it('adds new keys after the last key line and its continuation lines, before trailing comments', () => {
    const doc = IniDocument.parse('[a]\nk = 1\ns3 =\n  max = 10\n\n  more = 2\n# about b\n\n[b]\nx = 1\n');
    doc.set('a', { n: 'v', m: 'w' });
    expect(doc.toString()).toBe('[a]\nk = 1\ns3 =\n  max = 10\n\n  more = 2\nn = v\nm = w\n# about b\n\n[b]\nx = 1\n');
  });

  it('adds keys right after the header of an empty section', () => {
    const doc = IniDocument.parse('[a]\n# nothing\n[b]\n');
    doc.set('a', { k: 'v' });
    expect(doc.toString()).toBe('[a]\nk = v\n# nothing\n[b]\n');
  });

  it('drops the continuation lines of a key it rewrites', () => {
    const doc = IniDocument.parse('[a]\nk = 1\n  part of k\n# c\n  more of k\nj = 2\n');
    doc.set('a', { k: 'v' });
    expect(doc.toString()).toBe('[a]\nk = v\n# c\nj = 2\n');
  });

  it('rewrites in place a key botocore reads at the same indent as an empty key before it', () => {
    // botocore reads `  region = x` after `  s3 =` as region (the JS SDK as s3.region: a divergence, warned about).
    const text = '[a]\n  s3 =\n  region = x\n  output = json\n';
    const doc = IniDocument.parse(text);
    doc.set('a', { region: 'y' });
    expect(doc.toString()).toBe('[a]\n  s3 =\n  region = y\n  output = json\n');
    expect(doc.values('a')).toEqual({ s3: '', region: 'y', output: 'json' });
  });

  it('writes an empty value in place: botocore reads the next key at the same indent as a key', () => {
    const doc = IniDocument.parse('[a]\n  k = 1\n  j = 2\n');
    doc.set('a', { k: '' });
    expect(doc.toString()).toBe('[a]\n  k =\n  j = 2\n');
    expect(doc.values('a')).toEqual({ k: '', j: '2' });
    const plain = IniDocument.parse('[a]\nk = 1\nj = 2\n');
    plain.set('a', { k: '' });
    expect(plain.toString()).toBe('[a]\nk =\nj = 2\n');
  });

  it('appends a missing section after exactly one blank line, in the document eol', () => {
    const cases: Array<[string, string]> = [
      ['', '[n]\nk = v\n'],
      ['[a]\nx = 1\n', '[a]\nx = 1\n\n[n]\nk = v\n'],
      ['[a]\nx = 1\n\n', '[a]\nx = 1\n\n[n]\nk = v\n'],
      ['[a]\nx = 1\n\n\n', '[a]\nx = 1\n\n\n[n]\nk = v\n'],
      ['[a]\nx = 1', '[a]\nx = 1\n\n[n]\nk = v\n'],
      ['[a]\r\nx = 1', '[a]\r\nx = 1\r\n\r\n[n]\r\nk = v\r\n'],
      ['[a]\r\nx = 1\n', '[a]\r\nx = 1\n\r\n[n]\r\nk = v\r\n'],
      ['# only\n', '# only\n\n[n]\nk = v\n'],
      ['[a]\rx = 1\r', '[a]\rx = 1\r\r[n]\rk = v\r'],
    ];
    for (const [before, after] of cases) {
      const doc = IniDocument.parse(before);
      doc.set('n', { k: 'v' });
      expect(doc.toString(), JSON.stringify(before)).toBe(after);
    }
    const empty = IniDocument.empty();
    empty.set('default', { a: '1', b: '' });
    expect(empty.toString()).toBe('[default]\na = 1\nb =\n');
  });

  it('adds a line ending to a last line without one before adding after it', () => {
    const doc = IniDocument.parse('[a]\nk = 1');
    doc.set('a', { j: '2' });
    expect(doc.toString()).toBe('[a]\nk = 1\nj = 2\n');
    const same = IniDocument.parse('[a]\nk = 1');
    same.set('a', { k: '2' });
    expect(same.toString()).toBe('[a]\nk = 2'); // in place keeps the missing ending
  });

  it('matches keys without case, as botocore does', () => {
    const doc = IniDocument.parse('[a]\nRegion = x\n');
    doc.set('a', { region: 'y' });
    expect(doc.toString()).toBe('[a]\nregion = y\n');
    expect(doc.get('a', 'REGION')).toBe('y');
  });

  it('refuses what cannot be written (a programming error, not a UserError)', () => {
    const doc = IniDocument.parse('[a]\nk = 1\n');
    const bad: Array<[string, Record<string, string>]> = [
      ['a', { k: 'line\nbreak' }],
      ['a', { k: 'carriage\rreturn' }],
      ['a', { k: ' leading' }],
      ['a', { k: 'trailing ' }],
      ['a', { 'k=j': 'v' }],
      ['a', { ' k': 'v' }],
      ['a', { '#k': 'v' }],
      ['a', { '[k': 'v' }],
      ['a', { '': 'v' }],
      ['a', { 'a\nb': 'v' }],
      ['a\nb', { k: 'v' }],
      ['', { k: 'v' }],
      ['DEFAULT', { k: 'v' }],
      ['a\u2028b', { k: 'v' }],
    ];
    for (const [section, values] of bad) {
      let error: unknown;
      try {
        doc.set(section, values);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify([section, values])).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(UserError);
    }
    expect(doc.toString()).toBe('[a]\nk = 1\n');
    try {
      doc.set('a', { k: 'SECRETVALUE\n' });
    } catch (e) {
      expect((e as Error).message).not.toContain('SECRETVALUE');
    }
  });
});

describe('delete and removeSection', () => {
  it('delete removes the keys (any case) with their continuation lines, and keeps comments', () => {
    const doc = IniDocument.parse('[a]\nK = 1\n  cont\n# keep\nj = 1\n[b]\nk = b\n');
    doc.delete('a', ['k', 'missing']);
    expect(doc.toString()).toBe('[a]\n# keep\nj = 1\n[b]\nk = b\n');
    doc.delete('missing', ['k']);
    expect(doc.toString()).toBe('[a]\n# keep\nj = 1\n[b]\nk = b\n');
  });

  it('removeSection removes the section with its keys and comments', () => {
    const doc = IniDocument.parse('# top\n[x]\nk = 1\n# inside x\n\n[b]\nj = 2\n[y]\nk = 2\n; more\n[c]\nl = 3\n');
    doc.removeSection('x');
    doc.removeSection('y');
    expect(doc.toString()).toBe('# top\n[b]\nj = 2\n[c]\nl = 3\n');
    expect(doc.sectionNames()).toEqual(['b', 'c']);
  });

  it('removeSection keeps a comment block that belongs to the next header', () => {
    const doc = IniDocument.parse('[a]\nk = 1\n\n[x]\nk = 2\n\n# production account\n[prod]\nk = 3\n');
    doc.removeSection('x');
    expect(doc.toString()).toBe('[a]\nk = 1\n\n# production account\n[prod]\nk = 3\n');
  });

  it('removeSection at the end also takes the blank lines before it', () => {
    const doc = IniDocument.parse('[a]\nk = 1\n\n\n[x]\nk = 2');
    doc.removeSection('x');
    expect(doc.toString()).toBe('[a]\nk = 1\n');
    const only = IniDocument.parse('[x]\r\nk = 2\r\n');
    only.removeSection('x');
    expect(only.toString()).toBe('');
  });
});

describe('performance', () => {
  function bigDocument(profiles: number): string {
    const parts: string[] = ['# generated\n'];
    for (let i = 0; i < profiles; i++) {
      parts.push(
        `[profile-${i}] # number ${i}\r\naws_access_key_id = AKIA${String(i).padStart(16, '0')}\r\n`,
        `aws_secret_access_key = ${'s'.repeat(40)}\n`,
        `aws_session_token = ${'t'.repeat(340)} ; token\n`,
        `s3 =\n  max_concurrent_requests = 10\n\n`,
      );
    }
    return parts.join('');
  }

  // No timing thresholds (shared CI machines): a quadratic parse or re-check would not finish within the timeout.
  it('parses and serialises a 5 MB file with 10,000 profiles; edits re-check it in one linear pass each', () => {
    const text = bigDocument(10_000);
    expect(text.length).toBeGreaterThan(5_000_000);
    expect(IniDocument.parse(text).toString()).toBe(text);

    const doc = IniDocument.parse(text);
    doc.set('profile-5000', { aws_access_key_id: 'ASIANEW', aws_session_token: 'new', expiration: 'x' });
    doc.set('profile-new', { k: 'v' });
    doc.delete('profile-10', ['s3']);
    doc.removeSection('profile-20');
    expect(doc.get('profile-9999', 'aws_access_key_id')).toBe(`AKIA${'9999'.padStart(16, '0')}`);
    expect(doc.get('profile-5000', 'aws_access_key_id')).toBe('ASIANEW');
    expect(doc.sectionNames()).toHaveLength(10_000);
  }, 120_000);

  it('stays linear on adversarial lines', () => {
    const spaces = ' '.repeat(2_000_000);
    const texts = [
      `[a]\nk =${spaces}v${spaces}#${spaces}\n`,
      `[a]\nk${spaces}=${'='.repeat(1_000_000)}\n`,
      `[${'['.repeat(1_000_000)}${spaces}]\n`,
      `[a]\n${`${'\t'.repeat(100_000)}\n`.repeat(20)}`,
    ];
    for (const text of texts) expect(IniDocument.parse(text).toString()).toBe(text);
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------
// Property tests

const eolArb = fc.constantFrom('\n', '\r\n', '\n', '\r\n', '\r');
const keyArb = fc.constantFrom(
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'region',
  'output',
  'k',
  'x.y',
  'key-with-dash',
  'mfa_serial',
  's3',
);
/** Values as bytes in the file: UTF-8, characters that look like syntax. (Files botocore rejects: see REFUSED.) */
const rawValueArb = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '',
    'us-east-1',
    'json',
    'a=b',
    'v#notcomment',
    'v;x',
    'arn:aws:iam::123456789012:mfa/me',
    'caf\xc3\xa9',
    'voil\xc3\xa0',
    '[x]',
    '"quoted"',
  ),
  fc.stringMatching(/^[A-Za-z0-9+/=_.-]{1,12}$/),
);
const sectionArb = fc.constantFrom(
  'default',
  'dev',
  'profile dev',
  'profile a.b',
  'name with spaces',
  'sso-session corp',
  'caf\xc3\xa9',
  'x.y.z',
  ' spaced ',
);
const commentArb = fc
  .tuple(
    fc.constantFrom('', ' ', '\t', '    '),
    fc.constantFrom('#', ';'),
    fc.constantFrom('', ' note', ' k = v', ' [not a header]', ' caf\xc3\xa9'),
  )
  .map((p) => p.join(''));
const blankArb = fc.constantFrom('', ' ', '\t', '  \t ');

interface GenKey {
  kind: 'key';
  key: string;
  sep: string;
  value: string;
  comment: string;
  trailing: string;
  continuation: string[];
}
type GenItem = GenKey | { kind: 'comment' | 'blank'; text: string };

const keyItemArb: fc.Arbitrary<GenKey> = fc
  .record({
    kind: fc.constant('key' as const),
    key: keyArb,
    sep: fc.constantFrom('=', ' = ', '\t=\t', ' =', '=  ', ': ', ':'),
    value: rawValueArb,
    comment: fc.constantFrom('', ' # c', ' ;c', '\t# tab', '   ; x # y'),
    trailing: fc.constantFrom('', ' ', '\t'),
    continuation: fc.array(
      fc.constantFrom('  max_concurrent_requests = 10', '\tmore text', '    x = y # c', '  caf\xc3\xa9 = \xc3\xa9'),
      { maxLength: 2 },
    ),
  })
  // An empty value with indented lines under it is a nested block to botocore: those lines must be `k = v`.
  .map((k) => (k.value + k.comment === '' ? { ...k, continuation: k.continuation.filter((c) => c.includes('=')) } : k));
const otherItemArb: fc.Arbitrary<GenItem> = fc.oneof(
  commentArb.map((text) => ({ kind: 'comment' as const, text })),
  blankArb.map((text) => ({ kind: 'blank' as const, text })),
);
const sectionBlockArb = fc
  .record({
    name: sectionArb,
    headerSuffix: fc.constantFrom('', ' # main', '\t; x', '   '),
    indent: fc.constantFrom('', '', '  '),
    // Each key once per section (botocore rejects duplicates), comments and blank lines between.
    keys: fc.uniqueArray(keyItemArb, { maxLength: 4, selector: (k) => k.key }),
    others: fc.array(otherItemArb, { maxLength: 2 }),
    mix: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map(({ keys, others, mix, ...rest }) => {
    const items: GenItem[] = [...keys];
    others.forEach((o, i) => items.splice((mix[i] ?? 0) % (items.length + 1), 0, o));
    return { ...rest, items };
  });
const docArb = fc
  .record({
    preamble: fc.array(fc.oneof(commentArb, blankArb), { maxLength: 3 }),
    sections: fc.uniqueArray(sectionBlockArb, { maxLength: 6, selector: (s) => s.name }),
    finalNewline: fc.boolean(),
    eols: fc.array(eolArb, { minLength: 1, maxLength: 200 }),
  })
  .map(({ preamble, sections, finalNewline, eols }) => {
    const lines: string[] = [...preamble];
    for (const s of sections) {
      lines.push(`[${s.name}]${s.headerSuffix}`);
      for (const item of s.items) {
        if (item.kind !== 'key') {
          lines.push(item.kind === 'comment' ? s.indent + item.text : item.text);
          continue;
        }
        lines.push(`${s.indent}${item.key}${item.sep}${item.value}${item.comment}${item.trailing}`);
        for (const c of item.continuation) lines.push(s.indent + c);
      }
    }
    let text = '';
    lines.forEach((line, i) => {
      const last = i === lines.length - 1;
      text += line + (last && !finalNewline ? '' : eols[i % eols.length]);
    });
    return text;
  });

/** Values as callers pass them: JS strings that read back unchanged. */
const apiValueArb = fc.oneof(
  fc.constantFrom('ASIANEW', 'a=b', 'v#x', 'clé ✓', 'https://x/#y', 'IQoJb3JpZ2luX2VjEJr//////////wEa+/=='),
  fc.stringMatching(/^[A-Za-z0-9+/=_.:-]{1,20}$/),
);
const updateArb = fc.dictionary(keyArb, apiValueArb, { minKeys: 1, maxKeys: 4 });
const targetArb = fc.oneof(
  sectionArb.map((s) => Buffer.from(s, 'latin1').toString('utf8')),
  fc.constant('brand new'),
);

describe('properties (fast-check, 1000 documents each)', () => {
  it('parse → toString is the identity', () => {
    fc.assert(
      fc.property(docArb, (text) => {
        expect(IniDocument.parse(text).toString()).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('set leaves every other section byte-identical and reads back', () => {
    fc.assert(
      fc.property(docArb, targetArb, updateArb, (text, target, values) => {
        const doc = IniDocument.parse(text);
        const existed = doc.hasSection(target);
        doc.set(target, values);
        const after = doc.toString();
        if (existed) {
          expect(outside(after, target)).toEqual(outside(text, target));
        } else {
          const prefix = text === '' || /[\r\n]$/.test(text) ? text : text + doc.eol;
          expect(after.startsWith(prefix)).toBe(true);
          expect(blocks(after).filter((b) => b.name === target)).toHaveLength(1);
        }
        const reparsed = IniDocument.parse(after);
        const targetLines = blocks(after)
          .filter((b) => b.name === target)
          .flatMap((b) => b.lines);
        for (const [key, value] of Object.entries(values)) {
          expect(doc.get(target, key)).toBe(value);
          expect(reparsed.get(target, key)).toBe(value);
          // No stale duplicate left for any reader to pick.
          const keyLine = new RegExp(`^[ \\t]*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*[=:]`);
          expect(targetLines.filter((l) => keyLine.test(l))).toHaveLength(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('set is idempotent', () => {
    fc.assert(
      fc.property(docArb, targetArb, updateArb, (text, target, values) => {
        const doc = IniDocument.parse(text);
        doc.set(target, values);
        const once = doc.toString();
        doc.set(target, values);
        expect(doc.toString()).toBe(once);
        const again = IniDocument.parse(once);
        again.set(target, values);
        expect(again.toString()).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('botocore reads the new values, and every other section as before (one python process for all)', async () => {
    const cases = fc.sample(fc.tuple(docArb, targetArb, updateArb), { numRuns: 1000, seed: 20261129 });
    const texts: string[] = [];
    for (const [text, target, values] of cases) {
      const doc = IniDocument.parse(text);
      doc.set(target, values);
      texts.push(text, doc.toString());
    }
    const raws = await botocoreRead(...texts);
    cases.forEach(([, target, values], i) => {
      const [old, now] = [raws[2 * i]!, raws[2 * i + 1]!];
      const others = (m: Raw) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== target));
      expect(others(now), JSON.stringify(texts[2 * i])).toEqual(others(old));
      for (const [key, value] of Object.entries(values)) expect(now[target]?.[key]).toBe(value);
    });
  }, 120_000);
});
