/**
 * A small line diff for showing a planned edit before it is made (setup). Common head and tail
 * are trimmed first, so the LCS table only covers the changed middle.
 */
export interface DiffOptions {
  /** Lines of unchanged context around each change. */
  context?: number;
  /** Rewrites a line for display (e.g. to mask secrets). */
  show?: (line: string) => string;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string, opts: DiffOptions = {}): string {
  const context = opts.context ?? 1;
  const show = opts.show ?? ((l: string) => l);
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);

  const ops: { kind: ' ' | '-' | '+'; line: string }[] = a.slice(0, head).map((line) => ({ kind: ' ', line }));
  if (midA.length * midB.length > MAX_CELLS) {
    ops.push(
      ...midA.map((line) => ({ kind: '-' as const, line })),
      ...midB.map((line) => ({ kind: '+' as const, line })),
    );
  } else {
    ops.push(...lcsOps(midA, midB));
  }
  ops.push(...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })));

  const keep = new Set<number>();
  ops.forEach((op, i) => {
    if (op.kind === ' ') return;
    for (let j = Math.max(0, i - context); j <= Math.min(ops.length - 1, i + context); j++) keep.add(j);
  });
  const out: string[] = [];
  let last = -1;
  for (const i of [...keep].sort((x, y) => x - y)) {
    if (last !== -1 && i > last + 1) out.push('  …');
    out.push(`${ops[i]!.kind} ${show(ops[i]!.line)}`);
    last = i;
  }
  return out.join('\n');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\r?\n$/, '').split(/\r?\n/);
}

function lcsOps(a: string[], b: string[]): { kind: ' ' | '-' | '+'; line: string }[] {
  const n = a.length;
  const m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const ops: { kind: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) {
      ops.push({ kind: '-', line: a[i++]! });
    } else {
      ops.push({ kind: '+', line: b[j++]! });
    }
  }
  while (i < n) ops.push({ kind: '-', line: a[i++]! });
  while (j < m) ops.push({ kind: '+', line: b[j++]! });
  return ops;
}

/** Masks the value of secret-bearing keys for display. */
export function maskSecrets(line: string): string {
  return line.replace(
    /^(\s*(?:aws_secret_access_key|aws_session_token|aws_security_token)\s*=\s*)(\S.*)$/i,
    '$1(hidden)',
  );
}
