/**
 * The shared files read exactly as botocore (the AWS CLI) reads them: Python's
 * configparser.RawConfigParser (strict, `=` and `:`, no inline comments, empty lines in values,
 * `[DEFAULT]` inherited, keys lower-cased) over a file opened as UTF-8 text with universal newlines,
 * then botocore's configloader (nested `key =\n  sub = v` blocks, `[profile NAME]` split with shlex).
 *
 * Sources: /usr/lib/python3.11/configparser.py (RawConfigParser._read) and
 * botocore/configloader.py (raw_config_parse, _parse_nested, build_profile_map).
 */

/** Python's str.isspace() characters (also what `\s` matches in Python's re for str patterns). */
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_CLASS = new RegExp(`[${PY_SPACE}]`);
/** Whether one character is whitespace to Python (a scan, not a `[..]+$` regex: that is quadratic on long runs). */
const isPySpace = (c: string): boolean => SPACE_CLASS.test(c);
/** Python's str.splitlines() boundaries (used by botocore's _parse_nested). */
const PY_SPLITLINES = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && isPySpace(s[i]!)) i++;
  return i;
}

function endNonSpace(s: string, from = 0): number {
  let j = s.length;
  while (j > from && isPySpace(s[j - 1]!)) j--;
  return j;
}

export const pyStrip = (s: string): string => {
  const i = firstNonSpace(s);
  return s.slice(i, endNonSpace(s, i));
};
export const pyRstrip = (s: string): string => s.slice(0, endNonSpace(s));

export type Eol = '' | '\n' | '\r\n' | '\r';
export type LineKind = 'blank' | 'comment' | 'header' | 'key' | 'cont' | 'error';

export interface ParsedLine {
  /** The line's text without its ending (a JS string: the file decoded as UTF-8). */
  text: string;
  eol: Eol;
  kind: LineKind;
  /** header: the section name as configparser has it; key: the key lower-cased; else ''. */
  name: string;
  /** Count of leading whitespace characters (Python's notion of whitespace). */
  indent: number;
  /** key/cont/blank-in-value: the index of the key line this line belongs to; else -1. */
  owner: number;
  /** key: where the delimiter is in `text`. */
  delimiter: number;
}

export interface Problem {
  /** 1-based line; 0 when it is about the whole file. */
  line: number;
  reason: string;
  /** Duplicates: the line of the first occurrence. */
  first?: number;
}

export interface SectionValue {
  value: string;
  /** The key line (0-based index into lines). */
  line: number;
  /** botocore's nested reading of a value starting with a line break. */
  nested?: Record<string, string>;
}

export interface ParsedIni {
  lines: ParsedLine[];
  /** Sections in file order (not DEFAULT); each name appears once (duplicates are a problem). */
  sections: Map<string, Map<string, SectionValue>>;
  /** The section header line of each section. */
  headers: Map<string, number>;
  defaults: Map<string, SectionValue>;
  /** The first reason botocore rejects the file, if it does. */
  problem?: Problem;
}

/** Universal newlines, as Python's text files read them: `\n`, `\r\n` and a lone `\r`. */
export function splitLines(text: string): Array<{ text: string; eol: Eol }> {
  const out: Array<{ text: string; eol: Eol }> = [];
  const re = /\r\n|\r|\n/g;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ text: text.slice(pos, m.index), eol: m[0] as Eol });
    pos = m.index + m[0].length;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), eol: '' });
  return out;
}

/** `[header] anything`: configparser's SECTCRE.match (greedy `.+` up to the last `]`). */
export function headerName(value: string): string | undefined {
  if (!value.startsWith('[')) return undefined;
  const close = value.lastIndexOf(']');
  return close >= 2 ? value.slice(1, close) : undefined;
}

/** Parses decoded text with configparser's rules. Never throws; see `problem`. */
export function parseIni(text: string): ParsedIni {
  const lines: ParsedLine[] = [];
  const sections = new Map<string, Map<string, SectionValue>>();
  const headers = new Map<string, number>();
  const defaults = new Map<string, SectionValue>();
  const parts = new Map<number, string[]>(); // key line -> value parts
  const added = new Map<string, number>(); // "section\0key" and "section" -> first line index
  let problem: Problem | undefined;
  const fail = (p: Problem) => {
    if (!problem || p.line < problem.line) problem = p;
  };
  let cursect: Map<string, SectionValue> | undefined;
  let sectname: string | undefined;
  let optLine = -1; // the current option's key line, -1: none
  let indentLevel = 0;
  let fatal = false;

  for (const { text: raw, eol } of splitLines(text)) {
    const i = lines.length;
    const lineNo = i + 1;
    const line: ParsedLine = { text: raw, eol, kind: 'blank', name: '', indent: 0, owner: -1, delimiter: -1 };
    lines.push(line);
    if (fatal) continue;
    const stripped = pyStrip(raw);
    const comment = stripped.startsWith('#') || stripped.startsWith(';');
    if (comment || stripped === '') {
      line.kind = comment ? 'comment' : 'blank';
      if (!comment && cursect && optLine >= 0 && parts.has(optLine)) {
        parts.get(optLine)!.push('');
        line.owner = optLine;
      }
      continue;
    }
    line.indent = firstNonSpace(raw);
    if (cursect && optLine >= 0 && line.indent > indentLevel) {
      line.kind = 'cont';
      line.owner = optLine;
      parts.get(optLine)?.push(stripped);
      continue;
    }
    indentLevel = line.indent;
    const header = headerName(stripped);
    if (header !== undefined) {
      line.kind = 'header';
      line.name = header;
      optLine = -1;
      sectname = header;
      if (header === 'DEFAULT') {
        cursect = defaults;
      } else if (sections.has(header)) {
        fail({ line: lineNo, first: headers.get(header)! + 1, reason: `duplicate section [${header}]` });
        fatal = true; // configparser raises here
      } else {
        cursect = new Map();
        sections.set(header, cursect);
        headers.set(header, i);
      }
      continue;
    }
    if (!cursect) {
      line.kind = 'error';
      fail({ line: lineNo, reason: 'text before the first [section] header' });
      fatal = true;
      continue;
    }
    const d = stripped.search(/[=:]/);
    if (d < 0) {
      line.kind = 'error';
      fail({ line: lineNo, reason: 'not "key = value", a comment or a [section] header' });
      continue; // configparser keeps going and raises at the end; the current option stays
    }
    const option = pyRstrip(stripped.slice(0, d));
    const key = option.toLowerCase();
    line.kind = 'key';
    line.name = key;
    line.delimiter = line.indent + d;
    line.owner = i;
    if (option === '') fail({ line: lineNo, reason: 'a key name is missing before the delimiter' });
    const id = `${sectname}\0${key}`;
    if (added.has(id)) {
      fail({
        line: lineNo,
        first: added.get(id)! + 1,
        reason: `duplicate key "${key}" in [${sectname}] (keys are compared without case)`,
      });
      fatal = true;
      continue;
    }
    added.set(id, i);
    optLine = i;
    parts.set(i, [pyStrip(stripped.slice(d + 1))]);
    cursect.set(key, { value: '', line: i });
  }

  for (const map of [defaults, ...sections.values()]) {
    for (const entry of map.values()) entry.value = pyRstrip(parts.get(entry.line)!.join('\n'));
  }
  // botocore's raw_config_parse: a value starting with a line break is a nested block of `k = v` lines.
  if (!problem) {
    outer: for (const section of sections.values()) {
      for (const [key, entry] of new Map([...defaults, ...section])) {
        if (!entry.value.startsWith('\n')) continue;
        const nested = parseNested(entry.value);
        if (nested) entry.nested = nested;
        else {
          fail({ line: entry.line + 1, reason: `the indented lines under "${key}" are not all "key = value"` });
          break outer;
        }
      }
    }
  }
  return { lines, sections, headers, defaults, ...(problem && { problem }) };
}

function parseNested(value: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const l of value.split(PY_SPLITLINES)) {
    const line = pyStrip(l);
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq < 0) return undefined;
    Object.defineProperty(out, pyStrip(line.slice(0, eq)), {
      value: pyStrip(line.slice(eq + 1)),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Python's shlex.split (posix, no comments); undefined where it raises ValueError. */
export function shlexSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) out.push(token);
      token = '';
      inToken = false;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= s.length) return undefined;
      token += s[i + 1];
      inToken = true;
      i += 2;
    } else if (c === '"' || c === "'") {
      inToken = true;
      i++;
      for (;;) {
        if (i >= s.length) return undefined;
        const q = s[i]!;
        if (q === c) {
          i++;
          break;
        }
        if (c === '"' && q === '\\') {
          if (i + 1 >= s.length) return undefined;
          const next = s[i + 1]!;
          token += next === '"' || next === '\\' ? next : `\\${next}`;
          i += 2;
          continue;
        }
        token += q;
        i++;
      }
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) out.push(token);
  return out;
}

/** The profile a config-file section is to botocore's build_profile_map, or undefined. */
export function configProfileName(section: string): string | undefined {
  if (section.startsWith('profile')) {
    const parts = shlexSplit(section);
    return parts?.length === 2 ? parts[1] : undefined;
  }
  return section === 'default' ? 'default' : undefined;
}

/** The section name the JS SDK (@smithy/shared-ini-file-loader) gives a header line, or undefined. */
export function sdkSectionName(line: string, kind: 'credentials' | 'config'): string | undefined {
  const trimmed = line.split(/(^|\s)[;#]/)[0]!.trim();
  if (!(trimmed.startsWith('[') && trimmed.endsWith(']'))) return undefined;
  const name = trimmed.slice(1, -1);
  const m = /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/.exec(name);
  if (m) {
    if (!['profile', 'sso-session', 'services'].includes(m[1]!)) return undefined;
    return kind === 'config' && m[1] === 'profile' ? m[3] : kind === 'credentials' ? `${m[1]}.${m[3]}` : undefined;
  }
  if (kind === 'config') return name === 'default' ? 'default' : undefined;
  return name;
}
