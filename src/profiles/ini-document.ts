/**
 * A lossless model of the AWS shared credentials/config files.
 *
 * Everything this tool does not own must survive byte for byte: comments (`#`, `;`, full-line
 * and after values), blank lines, order, key spacing, each line's own ending (LF, CRLF, mixed),
 * a UTF-8 BOM, a missing final newline, indented continuation lines, duplicate sections and keys.
 * `IniDocument.parse(text).toString() === text` for every text that parses.
 *
 * Byte strings: the file store decodes files as `latin1`, so every byte (even invalid UTF-8)
 * is one JS char and survives the round trip. Inside this module all line text is such a byte
 * string. Callers use normal JS strings: names, keys and values are converted with
 * `Buffer.from(s, 'utf8').toString('latin1')` when they come in, and back when they go out.
 * `parse` takes and `toString` returns the byte string.
 *
 * Reading follows the readers the files are written for:
 * - values are read the way @smithy/shared-ini-file-loader (the JS SDK) reads them: the line is
 *   cut at the first `#`/`;` that starts the line or follows whitespace, then trimmed; the last
 *   occurrence of a key wins, also across duplicate sections;
 * - continuation lines are what botocore's configparser calls them: an indented line after a key
 *   that is indented deeper than that key belongs to that key (`s3 =\n  max_concurrent_requests = 10`).
 * Section names are the text between `[` and `]`, untrimmed inside the brackets like both readers
 * (`[profile dev]` is "profile dev").
 *
 * Lines both readers would understand differently, or reject, are parse errors naming file and line:
 * text before the first section header, a header without its `]` or with text after it, an empty
 * or `__proto__` section name, an indented section header, a line in a section that is not
 * `key = value`, a comment, a blank line or a continuation line.
 */
import { ExitCode, UserError } from '../errors.js';

export class IniParseError extends UserError {
  readonly file?: string;
  readonly line: number;

  constructor(reason: string, line: number, file?: string) {
    super(
      `${file === undefined ? 'line ' : `${file}:`}${line}: ${reason}`,
      ExitCode.Unexpected,
      'Fix or remove that line, then run again.',
    );
    this.name = 'IniParseError';
    this.file = file;
    this.line = line;
  }
}

type LineEnding = '' | '\n' | '\r\n';
type LineKind = 'blank' | 'comment' | 'header' | 'key' | 'cont';

interface Line {
  /** The line's bytes without its ending. */
  readonly text: string;
  readonly eol: LineEnding;
  readonly kind: LineKind;
  /** header: the section name; key: the key name (both as JS strings); otherwise ''. */
  readonly name: string;
}

const BOM = '\xef\xbb\xbf';
/** Where the SDK cuts a line: the first `#` or `;` at the start or after whitespace. */
const COMMENT_START = /(^|\s)[;#]/;
const NON_ASCII = /[^\x00-\x7f]/;
const BLOCKED_SECTION_NAMES = new Set(['__proto__', 'profile __proto__']);

function toBytes(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

function fromBytes(b: string): string {
  return NON_ASCII.test(b) ? Buffer.from(b, 'latin1').toString('utf8') : b;
}

type Classified =
  | { kind: 'blank' | 'comment' | 'cont'; name: ''; indent: number }
  | { kind: 'header' | 'key'; name: string; indent: number }
  | { kind: 'error'; reason: string };

/**
 * Classifies one line (byte string without its ending). `lastKeyIndent` is the indentation of the
 * current key in this section (-1: none yet), `inSection` whether a header came before.
 */
function classify(text: string, inSection: boolean, lastKeyIndent: number): Classified {
  const u = fromBytes(text);
  const rest = u.trimStart();
  if (rest === '') return { kind: 'blank', name: '', indent: 0 };
  const indent = u.length - rest.length;
  const first = rest[0];
  if (first === '#' || first === ';') return { kind: 'comment', name: '', indent };
  if (first === '[') {
    if (indent > 0) return { kind: 'error', reason: 'section header is indented; remove the spaces before "[".' };
    const header = u.split(COMMENT_START)[0]!.trim();
    if (!header.endsWith(']')) {
      return {
        kind: 'error',
        reason: header.includes(']')
          ? 'unexpected text after "]" of the section header.'
          : 'section header has no closing "]".',
      };
    }
    const name = header.slice(1, -1);
    if (name === '') return { kind: 'error', reason: 'empty section name "[]".' };
    if (BLOCKED_SECTION_NAMES.has(name)) return { kind: 'error', reason: `invalid section name "${name}".` };
    return { kind: 'header', name, indent: 0 };
  }
  if (lastKeyIndent >= 0 && indent > lastKeyIndent) return { kind: 'cont', name: '', indent };
  if (!inSection)
    return { kind: 'error', reason: 'text before the first [section] header; keys must be inside a section.' };
  const eq = u.indexOf('=');
  if (eq < 0) return { kind: 'error', reason: 'expected "key = value", a comment or a [section] header.' };
  const rawKey = u.slice(indent, eq);
  const name = rawKey.trim();
  if (name === '') return { kind: 'error', reason: 'missing key name before "=".' };
  if (COMMENT_START.test(rawKey))
    return { kind: 'error', reason: 'key name contains a comment marker (" #" or " ;").' };
  return { kind: 'key', name, indent };
}

/** The value of a key line, read exactly the way @smithy/shared-ini-file-loader reads it. */
function readValue(text: string): string {
  const stripped = fromBytes(text).split(COMMENT_START)[0]!.trim();
  return stripped.slice(stripped.indexOf('=') + 1).trim();
}

/** How @smithy/shared-ini-file-loader sees a line inside a section: a value, or nothing. */
function sdkView(text: string): { value: string; indented: boolean } | undefined {
  const u = fromBytes(text);
  const stripped = u.split(COMMENT_START)[0]!.trim();
  const eq = stripped.indexOf('=');
  if (eq <= 0) return undefined;
  return { value: stripped.slice(eq + 1).trim(), indented: u.trimStart() !== u };
}

function checkSectionName(section: string): void {
  if (/[\r\n]/.test(section)) throw new Error('INI section names cannot contain line breaks.');
  const c = classify(toBytes(`[${section}]`), false, -1);
  if (c.kind !== 'header' || c.name !== section) {
    throw new Error(`"${section}" cannot be written as an INI section name.`);
  }
}

function checkKey(key: string): void {
  if (/[\r\n]/.test(key)) throw new Error('INI keys cannot contain line breaks.');
  const c = classify(toBytes(`${key} = x`), true, -1);
  if (c.kind !== 'key' || c.name !== key) throw new Error(`"${key}" cannot be written as an INI key.`);
}

function checkValue(key: string, value: string): void {
  if (typeof value !== 'string') throw new Error(`The value for ${key} is not a string.`);
  // The value itself is never put into the message: it may be a secret.
  if (/[\r\n]/.test(value)) throw new Error(`The value for ${key} contains a line break; INI values cannot.`);
  if (readValue(toBytes(`k = ${value}`)) !== value) {
    throw new Error(`The value for ${key} would not read back unchanged (leading/trailing whitespace or " #"/" ;").`);
  }
}

export class IniDocument {
  private constructor(
    private lines: Line[],
    private readonly bom: boolean,
    private readonly firstEol: '\n' | '\r\n',
  ) {}

  /** Parses a latin1 byte string (see the module comment). Throws IniParseError. Linear time. */
  static parse(text: string, opts: { file?: string } = {}): IniDocument {
    const bom = text.startsWith(BOM);
    const lines: Line[] = [];
    let firstEol: '\n' | '\r\n' | undefined;
    let inSection = false;
    let lastKeyIndent = -1;
    let lineNo = 0;
    let pos = bom ? BOM.length : 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      let lineText: string;
      let eol: LineEnding;
      if (nl < 0) {
        lineText = text.slice(pos);
        eol = '';
        pos = text.length;
      } else {
        const crlf = nl > pos && text.charCodeAt(nl - 1) === 13;
        lineText = text.slice(pos, crlf ? nl - 1 : nl);
        eol = crlf ? '\r\n' : '\n';
        firstEol ??= eol;
        pos = nl + 1;
      }
      lineNo++;
      const c = classify(lineText, inSection, lastKeyIndent);
      if (c.kind === 'error') throw new IniParseError(c.reason, lineNo, opts.file);
      if (c.kind === 'header') {
        inSection = true;
        lastKeyIndent = -1;
      } else if (c.kind === 'key') {
        lastKeyIndent = c.indent;
      }
      lines.push({ text: lineText, eol, kind: c.kind, name: c.name });
    }
    return new IniDocument(lines, bom, firstEol ?? '\n');
  }

  static empty(): IniDocument {
    return new IniDocument([], false, '\n');
  }

  /** The document as a latin1 byte string; the parsed text itself when unmodified. */
  toString(): string {
    const parts: string[] = new Array(this.lines.length + 1);
    parts[0] = this.bom ? BOM : '';
    for (let i = 0; i < this.lines.length; i++) parts[i + 1] = this.lines[i]!.text + this.lines[i]!.eol;
    return parts.join('');
  }

  /** The document's first line ending; '\n' when it has none. New lines use it. */
  get eol(): '\n' | '\r\n' {
    return this.firstEol;
  }

  /** Unique section names in order of first appearance. */
  sectionNames(): string[] {
    const names = new Set<string>();
    for (const line of this.lines) if (line.kind === 'header') names.add(line.name);
    return [...names];
  }

  hasSection(name: string): boolean {
    return this.lines.some((line) => line.kind === 'header' && line.name === name);
  }

  /** The effective value: the last occurrence of the key in any occurrence of the section. */
  get(section: string, key: string): string | undefined {
    let found: Line | undefined;
    this.scanSection(section, (line) => {
      if (line.kind === 'key' && line.name === key) found = line;
    });
    return found === undefined ? undefined : readValue(found.text);
  }

  /**
   * The effective keys of all occurrences of the section, later ones winning. Continuation lines
   * are not expanded: `s3 =\n  max_concurrent_requests = 10` gives `s3: ''`.
   */
  entries(section: string): Record<string, string> {
    const result: Record<string, string> = {};
    this.scanSection(section, (line) => {
      if (line.kind !== 'key') return;
      // defineProperty: a key named "__proto__" must become a property, not the prototype.
      Object.defineProperty(result, line.name, {
        value: readValue(line.text),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    return result;
  }

  /**
   * Sets keys of a section. An existing key's last occurrence is rewritten in place (its
   * `key = ` prefix and line ending kept, value and inline comment replaced, continuation lines
   * dropped) and its earlier occurrences are removed, so no reader can see a stale value. New keys
   * go after the last key of the section's last occurrence. A missing section is appended at the end.
   * Throws a plain Error for names or values that cannot be written (a programming bug).
   */
  set(section: string, values: Record<string, string>): void {
    checkSectionName(section);
    const pairs = Object.entries(values);
    for (const [key, value] of pairs) {
      checkKey(key);
      checkValue(key, value);
    }
    const wanted = new Set(pairs.map(([key]) => key));
    const keyLines = new Map<string, number[]>();
    const shadowed = new Set<number>();
    let lastHeader = -1;
    let anchor = -1; // last header/key/continuation line of the section's last occurrence
    let subsection = false;
    this.scanSection(section, (line, i) => {
      if (line.kind === 'header') {
        lastHeader = i;
        anchor = i;
        subsection = false;
      } else if (line.kind === 'key' || line.kind === 'cont') {
        anchor = i;
        // The JS SDK reads an indented line after `name =` (empty value) as `name.key`.
        const sdk = sdkView(line.text);
        if (line.kind === 'key' && wanted.has(line.name)) {
          let list = keyLines.get(line.name);
          if (!list) keyLines.set(line.name, (list = []));
          list.push(i);
          if (subsection && sdk?.indented) shadowed.add(i);
        }
        if (sdk?.value === '') subsection = true;
        else if (sdk && subsection && !sdk.indented) subsection = false;
      }
    });

    const remove = new Set<number>();
    const replace = new Map<number, Line>();
    const added: Line[] = [];
    for (const [key, value] of pairs) {
      const occurrences = keyLines.get(key);
      if (!occurrences) {
        added.push(this.keyLine(key, value));
        continue;
      }
      const last = occurrences[occurrences.length - 1]!;
      for (const i of occurrences) this.markKeyWithContinuation(i, remove);
      if (shadowed.has(last) || (value === '' && this.nextKeyIndented(last))) {
        // In place, the JS SDK would read it as a subsection key (`name.key`), or an empty value
        // (which starts a subsection for it) would change how it reads the next, indented key:
        // write it anew after the section's last key instead.
        added.push(this.keyLine(key, value));
        continue;
      }
      remove.delete(last);
      const old = this.lines[last]!;
      replace.set(last, {
        ...old,
        text: value === '' ? old.text.slice(0, old.text.indexOf('=') + 1) : valuePrefix(old.text) + toBytes(value),
      });
    }

    if (lastHeader < 0) {
      const tail: Line[] = [];
      const lastLine = this.lines[this.lines.length - 1];
      if (lastLine !== undefined && lastLine.kind !== 'blank')
        tail.push({ text: '', eol: this.firstEol, kind: 'blank', name: '' });
      tail.push({ text: `[${toBytes(section)}]`, eol: this.firstEol, kind: 'header', name: section }, ...added);
      this.rebuild(remove, replace, new Map([[this.lines.length - 1, tail]]));
    } else {
      this.rebuild(remove, replace, added.length ? new Map([[anchor, added]]) : new Map());
    }
  }

  /** Removes the keys (and their continuation lines) from every occurrence of the section. */
  delete(section: string, keys: string[]): void {
    const unwanted = new Set(keys);
    const remove = new Set<number>();
    this.scanSection(section, (line, i) => {
      if (line.kind === 'key' && unwanted.has(line.name)) this.markKeyWithContinuation(i, remove);
    });
    if (remove.size) this.rebuild(remove, new Map(), new Map());
  }

  /**
   * Removes every occurrence of the section: its header and everything up to the next header,
   * except a comment block that sits right above the next header after a blank line (it
   * belongs to that next section). An occurrence that ends the file also takes the blank lines
   * before its header with it.
   */
  removeSection(section: string): void {
    const remove = new Set<number>();
    const n = this.lines.length;
    for (let h = 0; h < n; h++) {
      const line = this.lines[h]!;
      if (line.kind !== 'header' || line.name !== section) continue;
      let end = h + 1;
      while (end < n && this.lines[end]!.kind !== 'header') end++;
      let last = end - 1; // last line to remove
      if (end < n) {
        let j = end - 1;
        while (j > h && this.lines[j]!.kind === 'comment') j--;
        if (j < end - 1 && j > h && this.lines[j]!.kind === 'blank') last = j;
      } else {
        for (let b = h - 1; b >= 0 && this.lines[b]!.kind === 'blank' && !remove.has(b); b--) remove.add(b);
      }
      for (let i = h; i <= last; i++) remove.add(i);
      h = end - 1;
    }
    if (remove.size) this.rebuild(remove, new Map(), new Map());
  }

  /** Calls fn for every line inside an occurrence of the section, headers included. */
  private scanSection(section: string, fn: (line: Line, index: number) => void): void {
    let inside = false;
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (line.kind === 'header') inside = line.name === section;
      if (inside) fn(line, i);
    }
  }

  /** Marks a key line and its continuation lines (not the comments/blank lines between them). */
  private markKeyWithContinuation(index: number, remove: Set<number>): void {
    remove.add(index);
    for (let i = index + 1; i < this.lines.length; i++) {
      const kind = this.lines[i]!.kind;
      if (kind === 'cont') remove.add(i);
      else if (kind !== 'blank' && kind !== 'comment') break;
    }
  }

  /** Whether the next key line after `index` in the same section occurrence is indented. */
  private nextKeyIndented(index: number): boolean {
    for (let i = index + 1; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (line.kind === 'key') return /^\s/.test(fromBytes(line.text));
      if (line.kind === 'header') return false;
    }
    return false;
  }

  private keyLine(key: string, value: string): Line {
    const text = value === '' ? `${toBytes(key)} =` : `${toBytes(key)} = ${toBytes(value)}`;
    return { text, eol: this.firstEol, kind: 'key', name: key };
  }

  /** One linear pass: drop, replace, and insert after (index -1: at the start). */
  private rebuild(remove: Set<number>, replace: Map<number, Line>, insertAfter: Map<number, Line[]>): void {
    const out: Line[] = [];
    const push = (line: Line) => {
      const prev = out[out.length - 1];
      // Only the last line can lack an ending; give it one before anything follows it.
      if (prev !== undefined && prev.eol === '') out[out.length - 1] = { ...prev, eol: this.firstEol };
      out.push(line);
    };
    for (const line of insertAfter.get(-1) ?? []) push(line);
    for (let i = 0; i < this.lines.length; i++) {
      if (!remove.has(i)) push(replace.get(i) ?? this.lines[i]!);
      for (const line of insertAfter.get(i) ?? []) push(line);
    }
    this.lines = out;
  }
}

/**
 * `key<ws>=<ws>` of a key line, byte for byte. One exception: an empty value with no whitespace
 * after `=` (`key =`) mirrors the whitespace before `=`, so it becomes `key = value`, not `key =value`.
 */
function valuePrefix(text: string): string {
  const eq = text.indexOf('=');
  let i = eq + 1;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (i === eq + 1 && text.slice(i).trim() === '') {
    let b = eq;
    while (b > 0 && (text[b - 1] === ' ' || text[b - 1] === '\t')) b--;
    return text.slice(0, eq + 1) + text.slice(b, eq);
  }
  return text.slice(0, i);
}
