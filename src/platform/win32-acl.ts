/**
 * Who may read a file on Windows, where file modes mean nothing: `icacls FILE` lists its ACL, one
 * entry a line, the first after the path and the others aligned under it:
 *
 *   C:\Users\u\.aws\credentials NT AUTHORITY\SYSTEM:(I)(F)
 *                               BUILTIN\Users:(I)(RX)
 *
 *   Successfully processed 1 files; Failed processing 0 files
 */

export interface AclEntry {
  /** `DOMAIN\name`, a bare name (`Everyone`) or an unresolved SID (`S-1-5-21-…`). */
  principal: string;
  /** `(I)(RX)`: inheritance flags, DENY, then the simple rights or a list of specific rights. */
  rights: string[];
}

/** A command run without a shell: its exit code and standard output. */
export type Runner = (file: string, args: string[]) => Promise<{ code: number | null; stdout: string }>;

/**
 * icacls writes in the console's OEM code page: a non-ASCII letter arrives as one byte (read as
 * latin1) or one U+FFFD (read as UTF-8); compared as one unknown character, without case.
 */
function loose(text: string): string {
  return text.toLowerCase().replace(/[^\x00-\x7F]/g, '?');
}

/** The entries of `icacls <path>` output; undefined when it is not that output (an error message). */
export function parseIcacls(output: string, path: string): AclEntry[] | undefined {
  const lines = output.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => loose(l).startsWith(`${loose(path)} `));
  if (first < 0) return undefined;
  const entries: AclEntry[] = [];
  for (let i = first; i < lines.length; i++) {
    const line = (i === first ? lines[i]!.slice(path.length) : lines[i]!).trim();
    if (!line) break; // a blank line ends the list; the summary follows
    // The principal may hold spaces and colons (`NT AUTHORITY\Authenticated Users`); the rights are the last `:(…)…`.
    const m = /^(.+?):((?:\([^()]*\))+)$/.exec(line);
    if (!m) return undefined;
    entries.push({ principal: m[1]!, rights: m[2]!.slice(1, -1).split(')(') });
  }
  return entries.length > 0 ? entries : undefined;
}

/** Simple rights that include reading, and the specific rights that do (read data, generic read/all, maximum). */
const READ_SIMPLE = new Set(['F', 'M', 'RX', 'R']);
const READ_SPECIFIC = new Set(['RD', 'GR', 'GA', 'MA']);

/** Whether an entry lets its principal read this file's data (not a deny, not one that only children inherit). */
export function grantsRead(entry: AclEntry): boolean {
  const flags = entry.rights.map((r) => r.toUpperCase());
  if (flags.includes('DENY') || flags.includes('IO')) return false;
  return flags.some((r) => READ_SIMPLE.has(r) || r.split(',').some((s) => READ_SPECIFIC.has(s)));
}

/**
 * SYSTEM and the Administrators group, by their well-known SIDs (S-1-5-18, S-1-5-32-544) and their
 * names: `SYSTEM` keeps its name in every language; Administrators is translated in localized Windows.
 */
const ADMINISTRATORS = [
  'administrators',
  'administratoren',
  'administrateurs',
  'administradores',
  'amministratori',
  'administratorzy',
  'administratörer',
  'administratorer',
  'beheerders',
  'järjestelmänvalvojat',
  'администраторы',
];
function isSystemOrAdmins(principal: string): boolean {
  const p = principal.replace(/^\*/, '').toLowerCase();
  if (p === 's-1-5-18' || p === 's-1-5-32-544') return true;
  const name = p.slice(p.lastIndexOf('\\') + 1);
  if (name === 'system' || name === 'système' || name === 'sistema') return true;
  return ADMINISTRATORS.includes(name);
}

/** The Windows account running us, as icacls names it: `DOMAIN\user` (USERDOMAIN, USERNAME). */
export function windowsUser(env: NodeJS.ProcessEnv): { name: string; domain?: string } | undefined {
  if (!env.USERNAME) return undefined;
  return { name: env.USERNAME, ...(env.USERDOMAIN && { domain: env.USERDOMAIN }) };
}

/** Principals that may read the file other than the user, SYSTEM and Administrators, in ACL order. */
export function otherReaders(entries: AclEntry[], user: { name: string; domain?: string } | undefined): string[] {
  const isUser = (principal: string) => {
    if (!user) return false;
    const p = loose(principal);
    const name = loose(user.name);
    return p === name || (user.domain !== undefined && p === `${loose(user.domain)}\\${name}`);
  };
  const readers = entries
    .filter((e) => grantsRead(e) && !isUser(e.principal) && !isSystemOrAdmins(e.principal))
    .map((e) => e.principal);
  return [...new Set(readers)];
}

/**
 * Two commands: make the directory private to the user (and SYSTEM, named by its SID, which no
 * language translates) for what is created in it (a refresh replaces the file with a new one, which
 * takes the directory's inherited ACL), then give the file that ACL. Double quotes: each works in
 * cmd.exe and in PowerShell alike.
 */
export function aclFixCommands(file: string, dir: string, user: { name: string; domain?: string }): [string, string] {
  const account = user.domain ? `${user.domain}\\${user.name}` : user.name;
  return [
    `icacls "${dir}" /inheritance:r /grant:r "${account}:(OI)(CI)F" "*S-1-5-18:(OI)(CI)F"`,
    `icacls "${file}" /reset`,
  ];
}
