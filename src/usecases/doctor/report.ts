/** How the doctor's results are shown: one line per check, or one JSON document. */
import type { CheckResult, CheckStatus, DoctorReport } from './check.js';

const SYMBOLS: Record<CheckStatus, { symbol: string; colour: number }> = {
  pass: { symbol: '✔', colour: 32 },
  fail: { symbol: '✖', colour: 31 },
  warn: { symbol: '!', colour: 33 },
  skip: { symbol: '-', colour: 2 },
};

/** `✔ files: … found. What to do.` — `paint` adds colour where the stream wants it. */
export function formatCheck(check: CheckResult, paint: (code: number, text: string) => string = (_c, t) => t): string {
  const { symbol, colour } = SYMBOLS[check.status];
  const message = check.message.replace(/\.$/, '');
  return `${paint(colour, symbol)} ${check.id}: ${message}.${check.hint ? ` ${check.hint}` : ''}`;
}

export function formatReport(report: DoctorReport, paint?: (code: number, text: string) => string): string {
  return report.checks.map((c) => `${formatCheck(c, paint)}\n`).join('');
}

/** `{ ok, checks: [{ id, status, message, hint? }] }` */
export function reportJson(report: DoctorReport): string {
  return `${JSON.stringify({ ok: report.ok, checks: report.checks.map((c) => ({ id: c.id, status: c.status, message: c.message, ...(c.hint && { hint: c.hint }) })) })}\n`;
}
