/** Paths and modes as messages show them. */
import { resolve, sep } from 'node:path';
import { currentPlatform } from './platform.js';

/** `~/.aws/credentials` for a path under the home directory, else the path as given. */
export function displayPath(path: string, home: string = currentPlatform().home()): string {
  const abs = resolve(path);
  return home && home !== sep && abs.startsWith(home + sep) ? `~${abs.slice(home.length)}` : path;
}

/** A word a POSIX shell reads back as itself. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `0600` */
export function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}
