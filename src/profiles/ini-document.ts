/**
 * A lossless model of the AWS shared credentials/config files, read with botocore's rules
 * (botocore-ini.ts): the AWS CLI is the reader that decides.
 *
 * Everything this tool does not own survives byte for byte: comments, blank lines, order, key
 * spacing, each line's own ending (LF, CRLF, a lone CR), a missing final newline, continuation
 * lines. `IniDocument.parse(text).toString() === text` for every text botocore accepts.
 *
 * A file botocore rejects (a UTF-8 BOM, bytes that are not UTF-8, text before the first header,
 * duplicate sections or keys, a line that is not `key = value`, ...) is refused by `parse` with an
 * IniParseError naming file:line (exit code 8): editing it could only make things worse.
 *
 * Byte strings: the file store hands files over as `latin1` strings (one char per byte); `parse`
 * takes and `toString` returns such a string. Names, keys and values are normal JS strings.
 *
 * Every edit is checked by reading the result again: it must still be accepted, and every other
 * section must read exactly as before; otherwise the edit throws instead of writing.
 */
import { isUtf8 } from 'node:buffer';
import { ExitCode, UserError } from '../errors.js';
import {
  configProfileName,
  headerName,
  parseIni,
  pyStrip,
  shlexSplit,
  type Eol,
  type ParsedIni,
  type ParsedLine,
} from './botocore-ini.js';

export class IniParseError extends UserError {
  readonly file?: string;
  readonly line: number;

  constructor(
    reason: string,
    line: number,
    file?: string,
    hint = 'Fix that line (the AWS CLI cannot read this file either), then run again.',
  ) {
    super(`${file === undefined ? 'line ' : `${file}:`}${line}: ${reason}`, ExitCode.UnreadableFile, hint);
    this.name = 'IniParseError';
    this.file = file;
    this.line = line;
  }
}

/** An edit that would make botocore reject the file or read another section differently: nothing is written. */
export class UnsafeEditError extends UserError {
  constructor(message: string) {
    super(
      message,
      ExitCode.UnreadableFile,
      'Edit the file by hand (or report this file layout as a bug), then run again.',
    );
    this.name = 'UnsafeEditError';
  }
}

const BOM = '\xef\xbb\xbf';

/**
 * Decodes a latin1 byte string as UTF-8 the way Python does (strict), or throws IniParseError.
 * isUtf8 (simdutf) rejects what Python's strict codec rejects (overlong forms, surrogates, code
 * points past U+10FFFF); a fatal TextDecoder would too, at several times the cost on a first use.
 */
function decode(bytes: string, file: string | undefined): string {
  const shown = file ?? 'the file';
  if (bytes.startsWith(BOM)) {
    throw new IniParseError(
      'the file starts with a UTF-8 byte order mark (BOM); the AWS CLI rejects it ("Unable to parse config file").',
      1,
      file,
      `Remove the BOM: sed -i '1s/^\\xEF\\xBB\\xBF//' ${shellQuote(shown)} (or save it as "UTF-8 without BOM"), then run again.`,
    );
  }
  const buf = Buffer.from(bytes, 'latin1');
  if (isUtf8(buf)) return buf.toString('utf8');
  // Which line: check line by line (a line break is never part of a multi-byte sequence).
  let line = 1;
  for (const part of bytes.split(/\r\n|\r|\n/)) {
    if (!isUtf8(Buffer.from(part, 'latin1'))) break;
    line++;
  }
  throw new IniParseError(
    'bytes that are not UTF-8; the AWS CLI cannot read this file.',
    line,
    file,
    'Save the file as UTF-8, then run again.',
  );
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Values we write contain no line breaks (Python's notion) and no surrounding whitespace. */
function checkValue(key: string, value: string): void {
  if (typeof value !== 'string') throw new Error(`The value for ${key} is not a string.`);
  // The value itself is never put into the message: it may be a secret.
  if (/[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/.test(value))
    throw new Error(`The value for ${key} contains a line break; INI values cannot.`);
  if (pyStrip(value) !== value)
    throw new Error(`The value for ${key} would not read back unchanged (leading/trailing whitespace).`);
}

function checkKey(key: string): void {
  if (key === '' || key !== key.toLowerCase() || /[=:[\]#;]/.test(key) || pyStrip(key) !== key || /[\n\r]/.test(key)) {
    throw new Error(`"${key}" cannot be written as an INI key.`);
  }
}

function checkSectionName(section: string): void {
  const ok =
    section !== 'DEFAULT' &&
    !/[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/.test(section) &&
    headerName(`[${section}]`) === section &&
    pyStrip(`[${section}]`) === `[${section}]`;
  if (!ok) throw new Error(`"${section}" cannot be written as an INI section name.`);
}

type Own = Record<string, string>;

function newRecord(): Own {
  return Object.create(null) as Own;
}

function put(record: Own, key: string, value: string): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export class IniDocument {
  private parsed: ParsedIni;

  private constructor(
    parsed: ParsedIni,
    private readonly file?: string,
  ) {
    this.parsed = parsed;
    this.lines = parsed.lines;
  }

  private lines: ParsedLine[];

  /** Parses a latin1 byte string. Throws IniParseError (exit 8) for a file botocore rejects. */
  static parse(bytes: string, opts: { file?: string } = {}): IniDocument {
    const text = decode(bytes, opts.file);
    const parsed = parseIni(text);
    const p = parsed.problem;
    if (p) {
      const first =
        p.first !== undefined ? `, first at ${opts.file === undefined ? 'line ' : `${opts.file}:`}${p.first}` : '';
      throw new IniParseError(
        `${p.reason}${first}; the AWS CLI rejects the whole file.`,
        p.line,
        opts.file,
        p.first !== undefined ? 'Merge the two into one (or remove one), then run again.' : undefined,
      );
    }
    return new IniDocument(parsed, opts.file);
  }

  static empty(): IniDocument {
    return new IniDocument(parseIni(''));
  }

  private text(): string {
    let s = '';
    for (const l of this.lines) s += l.text + l.eol;
    return s;
  }

  /** The document as a latin1 byte string; the parsed bytes themselves when unmodified. */
  toString(): string {
    return Buffer.from(this.text(), 'utf8').toString('latin1');
  }

  /** The document's first line ending; '\n' when it has none. New lines use it. */
  get eol(): Exclude<Eol, ''> {
    for (const l of this.lines) if (l.eol) return l.eol;
    return '\n';
  }

  /** Section names in file order ([DEFAULT] not included: it is no profile). */
  sectionNames(): string[] {
    return [...this.parsed.sections.keys()];
  }

  hasSection(name: string): boolean {
    return this.parsed.sections.has(name);
  }

  /** The 1-based line of a section's header, or of a key in it (own keys, then [DEFAULT]'s). */
  lineOf(section: string, key?: string): number | undefined {
    if (key === undefined) {
      const h = this.parsed.headers.get(section);
      return h === undefined ? undefined : h + 1;
    }
    const entry =
      this.parsed.sections.get(section)?.get(key) ??
      (this.parsed.sections.has(section) ? this.parsed.defaults.get(key) : undefined);
    return entry === undefined ? undefined : entry.line + 1;
  }

  /** The raw text of a 0-based line and its ending (for readers that compare with other SDKs). */
  lineAt(index: number): ParsedLine | undefined {
    return this.lines[index];
  }

  /** Whether the section's key comes from [DEFAULT] rather than the section itself. */
  inherited(section: string, key: string): boolean {
    return !this.parsed.sections.get(section)?.has(key) && this.parsed.defaults.has(key);
  }

  /** botocore's value of a key (lower-case) in a section, [DEFAULT] inherited. */
  get(section: string, key: string): string | undefined {
    return this.values(section)[key.toLowerCase()];
  }

  /** The section's own keys (lower-case) and values, without [DEFAULT]'s. */
  entries(section: string): Own {
    const out = newRecord();
    for (const [key, entry] of this.parsed.sections.get(section) ?? []) put(out, key, entry.value);
    return out;
  }

  /** What botocore reads for the section: [DEFAULT]'s keys, overridden by its own. Empty for no section. */
  values(section: string): Own {
    const out = newRecord();
    if (!this.parsed.sections.has(section)) return out;
    for (const [key, entry] of this.parsed.defaults) put(out, key, entry.value);
    for (const [key, entry] of this.parsed.sections.get(section)!) put(out, key, entry.value);
    return out;
  }

  /** [DEFAULT]'s own keys. */
  defaults(): Own {
    const out = newRecord();
    for (const [key, entry] of this.parsed.defaults) put(out, key, entry.value);
    return out;
  }

  /**
   * The config-file section botocore reads a profile from: the last one whose header names it
   * (`[profile work]`, `[profile "work"]`, `[profile\twork]`, `[default]` / `[profile default]`).
   */
  configSectionOf(profile: string): string | undefined {
    let found: string | undefined;
    for (const name of this.parsed.sections.keys()) if (configProfileName(name) === profile) found = name;
    return found;
  }

  /**
   * Sets keys of a section. An existing key (any case) is rewritten in place (its `key = ` prefix
   * and line ending kept, the rest of the line and its continuation lines replaced). New keys go
   * after the section's last key, indented like the line after it so that no line changes meaning.
   * A missing section is appended at the end. Throws a plain Error for names or values that cannot
   * be written, or for an edit that would change any other section (a programming bug).
   */
  set(section: string, values: Record<string, string>): void {
    checkSectionName(section);
    for (const [key, value] of Object.entries(values)) {
      checkKey(key);
      checkValue(key, value);
    }
    const eol = this.eol;
    const keyLine = (key: string, value: string, indent: string): ParsedLine => ({
      text: `${indent}${key} =${value === '' ? '' : ` ${value}`}`,
      eol,
      kind: 'key',
      name: key,
      indent: indent.length,
      owner: -1,
      delimiter: -1,
    });
    const header = this.parsed.headers.get(section);
    const remove = new Set<number>();
    const replace = new Map<number, ParsedLine>();
    const added: ParsedLine[] = [];
    if (header === undefined) {
      const tail: ParsedLine[] = [];
      const last = this.lines[this.lines.length - 1];
      if (last !== undefined && last.kind !== 'blank') tail.push({ ...blank(), eol });
      tail.push({ ...blank(), text: `[${section}]`, eol, kind: 'header', name: section });
      for (const [key, value] of Object.entries(values)) tail.push(keyLine(key, value, ''));
      this.apply(remove, replace, new Map([[this.lines.length - 1, tail]]), section);
      return;
    }
    const own = this.parsed.sections.get(section)!;
    let anchor = header;
    for (let i = header + 1; i < this.lines.length && this.lines[i]!.kind !== 'header'; i++) {
      if (this.lines[i]!.kind === 'key' || this.lines[i]!.kind === 'cont') anchor = i;
    }
    for (const [key, value] of Object.entries(values)) {
      const entry = own.get(key);
      if (entry === undefined) {
        added.push(keyLine(key, value, ''));
        continue;
      }
      const old = this.lines[entry.line]!;
      const text = value === '' ? old.text.slice(0, old.delimiter + 1) : valuePrefix(old) + value;
      // The key in our spelling (lower case): botocore folds case anyway, the JS SDK does not.
      const spelled = old.text.slice(old.indent, old.indent + key.length);
      const respelled =
        spelled !== key && spelled.toLowerCase() === key
          ? text.slice(0, old.indent) + key + text.slice(old.indent + key.length)
          : text;
      replace.set(entry.line, { ...old, text: respelled });
      this.lines.forEach((l, i) => {
        if (l.kind === 'cont' && l.owner === entry.line) remove.add(i);
      });
    }
    if (added.length) {
      // Indented like the next non-blank line (a header or nothing): deeper, that line would become
      // a continuation of our key; not deeper than the section's last key, ours is no continuation.
      let indent = '';
      for (let i = anchor + 1; i < this.lines.length; i++) {
        const l = this.lines[i]!;
        if (l.kind === 'blank' || l.kind === 'comment') continue;
        indent = l.text.slice(0, l.indent);
        break;
      }
      for (const line of added) line.text = indent + line.text;
    }
    this.apply(remove, replace, added.length ? new Map([[anchor, added]]) : new Map(), section);
  }

  /** Removes the keys (any case) and their continuation lines from the section. */
  delete(section: string, keys: string[]): void {
    const unwanted = new Set(keys.map((k) => k.toLowerCase()));
    const own = this.parsed.sections.get(section);
    if (!own) return;
    const lines = new Set<number>();
    for (const [key, entry] of own) if (unwanted.has(key)) lines.add(entry.line);
    if (lines.size === 0) return;
    const remove = new Set<number>();
    this.lines.forEach((l, i) => {
      if (lines.has(i) || (l.kind === 'cont' && lines.has(l.owner))) remove.add(i);
    });
    this.apply(remove, new Map(), new Map(), section);
  }

  /**
   * Removes the section: its header and everything up to the next header, except a comment block
   * that sits right above the next header after a blank line (it belongs to that next section).
   * A section that ends the file also takes the blank lines before its header with it.
   */
  removeSection(section: string): void {
    const h = this.parsed.headers.get(section);
    if (h === undefined) return;
    const remove = new Set<number>();
    const n = this.lines.length;
    let end = h + 1;
    while (end < n && this.lines[end]!.kind !== 'header') end++;
    let last = end - 1;
    if (end < n) {
      let j = end - 1;
      while (j > h && this.lines[j]!.kind === 'comment') j--;
      if (j < end - 1 && j > h && this.lines[j]!.kind === 'blank') last = j;
    } else {
      for (let b = h - 1; b >= 0 && this.lines[b]!.kind === 'blank'; b--) remove.add(b);
    }
    for (let i = h; i <= last; i++) remove.add(i);
    this.apply(remove, new Map(), new Map(), section, true);
  }

  /** One linear pass (drop, replace, insert after index; -1: at the start), then the safety check. */
  private apply(
    remove: Set<number>,
    replace: Map<number, ParsedLine>,
    insertAfter: Map<number, ParsedLine[]>,
    section: string,
    removed = false,
  ): void {
    const eol = this.eol;
    const out: ParsedLine[] = [];
    const push = (line: ParsedLine) => {
      const prev = out[out.length - 1];
      // Only the last line can lack an ending; give it one before anything follows it.
      if (prev !== undefined && prev.eol === '') out[out.length - 1] = { ...prev, eol };
      out.push(line);
    };
    for (const line of insertAfter.get(-1) ?? []) push(line);
    for (let i = 0; i < this.lines.length; i++) {
      if (!remove.has(i)) push(replace.get(i) ?? this.lines[i]!);
      for (const line of insertAfter.get(i) ?? []) push(line);
    }
    const before = this.parsed;
    const text = out.map((l) => l.text + l.eol).join('');
    const after = parseIni(text);
    const why = editProblem(before, after, section, removed);
    if (why) throw new UnsafeEditError(`${this.file ?? 'the file'}: not changed: editing [${section}] ${why}.`);
    this.lines = after.lines;
    this.parsed = after;
  }
}

function blank(): ParsedLine {
  return { text: '', eol: '\n', kind: 'blank', name: '', indent: 0, owner: -1, delimiter: -1 };
}

/** Why an edit is unsafe: the result is rejected, or a section other than ours reads differently. */
function editProblem(before: ParsedIni, after: ParsedIni, section: string, removed: boolean): string | undefined {
  if (after.problem)
    return `would make the file unreadable to the AWS CLI (line ${after.problem.line}: ${after.problem.reason})`;
  const same = (a: Map<string, { value: string }> | undefined, b: Map<string, { value: string }> | undefined) =>
    a !== undefined && b !== undefined && a.size === b.size && [...a].every(([k, v]) => b.get(k)?.value === v.value);
  if (!same(before.defaults, after.defaults)) return 'would change [DEFAULT]';
  const names = new Set([...before.sections.keys(), ...after.sections.keys()]);
  for (const name of names) {
    if (name === section) continue;
    if (!same(before.sections.get(name), after.sections.get(name))) return `would change [${name}]`;
  }
  if (removed && after.sections.has(section)) return 'did not remove it';
  return undefined;
}

/**
 * `key<ws>=<ws>` of a key line. One exception: an empty value with no whitespace after the
 * delimiter (`key =`) mirrors the whitespace before it, so it becomes `key = value`.
 */
function valuePrefix(line: ParsedLine): string {
  const text = line.text;
  const d = line.delimiter;
  let i = d + 1;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (i === d + 1 && pyStrip(text.slice(i)) === '') {
    let b = d;
    while (b > 0 && (text[b - 1] === ' ' || text[b - 1] === '\t')) b--;
    return text.slice(0, d + 1) + text.slice(b, d);
  }
  return text.slice(0, i);
}

/** The header to write for a new config-file profile section, checked to read back as that profile. */
export function newConfigSection(profile: string): string {
  const section = profile === 'default' ? 'default' : `profile ${profile}`;
  if (configProfileName(section) !== profile || shlexSplit(section) === undefined) {
    throw new UserError(
      `The profile name "${profile}" cannot be written as a config section the AWS CLI reads back.`,
      ExitCode.Usage,
      'Choose a profile name without spaces, quotes or backslashes.',
    );
  }
  return section;
}
