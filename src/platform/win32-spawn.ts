/**
 * Starting a command on Windows the way a shell would, without a shell (secrets stay out of argv;
 * our arguments are not re-parsed): PATHEXT finds `npx` as `npx.cmd`, and a `.cmd`/`.bat` runs
 * through `cmd.exe /d /s /c` with its arguments escaped for cmd (the cross-spawn rules, with
 * backslashes before a quote doubled as CommandLineToArgvW expects: cross-spawn misses `a\\\\"b`).
 */
import { win32 as path } from 'node:path';

export interface SpawnPlan {
  file: string;
  args: string[];
  /** Node must not quote the arguments again (they are already quoted for cmd.exe). */
  windowsVerbatimArguments?: boolean;
}

const META = /([()\][%!^"`<>&|;, *?])/g;

function escapeCommand(command: string): string {
  return command.replace(META, '^$1');
}

function escapeArgument(arg: string, doubleEscape: boolean): string {
  // Backslashes before a quote or at the end are doubled, quotes escaped (CommandLineToArgvW), then cmd's metacharacters.
  let quoted = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1');
  quoted = `"${quoted}"`.replace(META, '^$1');
  // npm's .cmd shims pass %* on to node: cmd parses the line twice.
  return doubleEscape ? quoted.replace(META, '^$1') : quoted;
}

/** The file `command` names, found through PATH and PATHEXT as cmd.exe would; undefined when none. */
export function whichWin32(
  command: string,
  env: NodeJS.ProcessEnv,
  isFile: (p: string) => boolean,
): string | undefined {
  const pathext = (env.PATHEXT || '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const hasExt = pathext.some((ext) => command.toLowerCase().endsWith(ext.toLowerCase()));
  const names = hasExt ? [command] : pathext.map((ext) => command + ext.toLowerCase());
  const pathValue = env.PATH ?? env.Path ?? '';
  const dirs = /[\\/]/.test(command) ? [''] : ['', ...pathValue.split(';').filter(Boolean)];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = dir ? path.join(dir, name) : name;
      if (isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

export function resolveWin32Command(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  isFile: (p: string) => boolean,
): SpawnPlan {
  const found = whichWin32(command, env, isFile);
  if (!found) return { file: command, args }; // spawn reports ENOENT: "command not found"
  if (!/\.(cmd|bat)$/i.test(found)) return { file: found, args };
  const doubleEscape = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(found);
  // The name as typed (cmd.exe finds it again through PATHEXT), as cross-spawn does: a resolved
  // path may hold spaces (C:\\Program Files\\nodejs), which cmd would split at.
  const line = [escapeCommand(path.normalize(command)), ...args.map((a) => escapeArgument(a, doubleEscape))].join(' ');
  return {
    file: env.comspec || env.ComSpec || 'cmd.exe',
    args: ['/d', '/s', '/c', `"${line}"`],
    windowsVerbatimArguments: true,
  };
}
