/**
 * The shell hook of `aws-mfa-refresh init SHELL`: a script sourced by the user's rc file that keeps
 * the profile's session usable, and costs no process while it is.
 *
 * At shell start it reads the profile's stamp (see stamp.ts) and the clock with builtins only:
 *   bash >= 4.2  printf '%(%s)T'; bash 3.2 (macOS) has no clock builtin: one `date +%s` per shell, then $SECONDS
 *   zsh          zsh/datetime's $EPOCHSECONDS (a module, not a process); zsh/stat checks the file's mtime
 *   fish >= 3.5  the `path mtime` builtin: now = the stamp's mtime + its age (-R); older fish: one `date` per check
 *   PowerShell   .NET in-process ([DateTimeOffset]::UtcNow); no process
 * Usable → nothing runs. Stamp says due → in an interactive terminal the refresh (which asks for the
 * code); without one, nothing and silence. Credentials file newer than the stamp, or no stamp →
 * `aws-mfa-refresh status -q` decides (it re-stamps), then the refresh if needed.
 * Before each prompt it sets AWS_MFA_PROMPT ("default 3h12m") and, once per shell, prints a notice
 * when less than the warn-within time is left. With wrapAws, `aws` refreshes first when needed.
 */
export const HOOK_SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type HookShell = (typeof HOOK_SHELLS)[number];

export const HOOK_MARKER = '# aws-mfa-refresh-hook ';
export const DEFAULT_WARN_WITHIN = 15 * 60;

export interface HookOptions {
  /** A fixed profile; else the hook follows AWS_PROFILE, else "default". */
  profile?: string;
  wrapAws?: boolean;
  warnWithinSeconds?: number;
}

/** What the first line of a hook records, so that a newer tool can rewrite it with the same options. */
export interface HookHeader {
  version: string;
  shell: HookShell;
  profile: string | null;
  wrapAws: boolean;
  warnWithin: number;
}

export const HOOK_FILE_EXT: Record<HookShell, string> = { bash: 'bash', zsh: 'zsh', fish: 'fish', powershell: 'ps1' };

export function isHookShell(name: string): name is HookShell {
  return (HOOK_SHELLS as readonly string[]).includes(name);
}

export function parseHookHeader(text: string): HookHeader | undefined {
  const first = text.slice(0, text.indexOf('\n') >>> 0);
  if (!first.startsWith(HOOK_MARKER)) return undefined;
  try {
    const h = JSON.parse(first.slice(HOOK_MARKER.length)) as HookHeader;
    if (typeof h.version !== 'string' || !isHookShell(h.shell) || typeof h.warnWithin !== 'number') return undefined;
    return {
      version: h.version,
      shell: h.shell,
      profile: typeof h.profile === 'string' ? h.profile : null,
      wrapAws: h.wrapAws === true,
      warnWithin: h.warnWithin,
    };
  } catch {
    return undefined;
  }
}

/** POSIX single quotes (bash, zsh): the only character to take care of is ' itself. */
export function quotePosix(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** fish single quotes: \ and ' are the escapes. */
export function quoteFish(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** PowerShell single quotes: ' doubles; the typographic quotes PowerShell also accepts double too. */
export function quotePowerShell(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
}

export function hookScript(shell: HookShell, opts: HookOptions, version: string): string {
  const warn = Math.max(0, Math.floor(opts.warnWithinSeconds ?? DEFAULT_WARN_WITHIN));
  const header: HookHeader = {
    version,
    shell,
    profile: opts.profile ?? null,
    wrapAws: Boolean(opts.wrapAws),
    warnWithin: warn,
  };
  const quote = { bash: quotePosix, zsh: quotePosix, fish: quoteFish, powershell: quotePowerShell }[shell];
  const body = { bash: BASH, zsh: ZSH, fish: FISH, powershell: POWERSHELL }[shell];
  const wrap = { bash: BASH_WRAP, zsh: ZSH_WRAP, fish: FISH_WRAP, powershell: POWERSHELL_WRAP }[shell];
  return `${HOOK_MARKER}${JSON.stringify(header)}\n${fill(body + (opts.wrapAws ? wrap : ''), {
    VERSION: version,
    PROFILE: quote(opts.profile ?? ''),
    WARN: String(warn),
  })}`;
}

/** Templates are String.raw, where `\${` stands for the shell's `${` (a JS template would interpolate it). */
function fill(template: string, values: Record<string, string>): string {
  return template
    .replaceAll('\\${', '${')
    .replace(/@@([A-Z]+)@@/g, (_, name: string) => values[name]!)
    .replace(/^\n/, '');
}

/** What bash and zsh do differently; the rest of their hook is one template (posixHook). */
interface PosixDialect {
  shell: 'bash' | 'zsh';
  rcFile: string;
  /** Comment lines: how the shell reads the clock and the files without a process. */
  builtins: string;
  /** Comment lines: the prompt setting that shows AWS_MFA_PROMPT. */
  prompt: string;
  /** Prefix of the hook's globals (zsh: global even when sourced from a function). */
  global: string;
  /** Globals and modules only this shell needs, and _amr_clock (from a new line). */
  setup: string;
  /** First line of each function (zsh: its own options, whatever the user set). */
  local: string;
  /** Checks that the credentials file's mtime is still the stamp's (needs a stat builtin). */
  mtimeCheck: string;
  /** Adds _amr_precmd before each prompt and makes the session usable, in an interactive shell. */
  start: string;
}

const BASH_DIALECT: PosixDialect = {
  shell: 'bash',
  rcFile: '~/.bashrc',
  builtins: String.raw`
# ($XDG_STATE_HOME/aws-mfa-refresh/stamps/PROFILE) and the clock with builtins only. bash >= 4.2 reads the
# clock with printf '%(%s)T'; older bash (macOS's 3.2) has no clock builtin and runs one date +%s per shell.`,
  prompt: String.raw`
# Prompt: PS1='\${AWS_MFA_PROMPT:+[$AWS_MFA_PROMPT] }\$ ' (a variable, kept current before each prompt:
# PS1='$(aws_mfa_prompt)' would fork a subshell at every prompt).`,
  global: '',
  setup: String.raw`

if (( BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2) )); then
  _amr_clock() { printf -v _amr_now '%(%s)T' -1; }
else
  _amr_clock() {
    [[ -n \${_amr_t0:-} ]] || _amr_t0=$(( $(date +%s) - SECONDS ))
    _amr_now=$(( _amr_t0 + SECONDS ))
  }
fi`,
  local: '',
  mtimeCheck: '',
  start: String.raw`
if [[ $- == *i* ]]; then
  # Appended (as another line of PROMPT_COMMAND, scalar or bash 5.1's array), never replacing it.
  case "\${PROMPT_COMMAND[*]-}" in
    *_amr_precmd*) ;;
    *) PROMPT_COMMAND="\${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}_amr_precmd" ;;
  esac
  _amr_ensure
fi`,
};

const ZSH_DIALECT: PosixDialect = {
  shell: 'zsh',
  rcFile: '~/.zshrc',
  builtins: String.raw`
# ($XDG_STATE_HOME/aws-mfa-refresh/stamps/PROFILE) with builtins, the clock from zsh/datetime and the
# credentials file's mtime from zsh/stat (modules load into the shell; they are not processes).`,
  prompt: String.raw`
# Prompt: setopt prompt_subst; RPROMPT='\${AWS_MFA_PROMPT}' (a variable kept current by precmd;
# RPROMPT='$(aws_mfa_prompt)' would fork a subshell at every prompt).`,
  global: 'typeset -g ',
  setup: String.raw`
typeset -g _amr_p= _amr_left= _amr_t0= _amr_skip= _amr_now=
zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
zmodload -F zsh/stat b:zstat 2>/dev/null

_amr_clock() {
  if (( \${+EPOCHSECONDS} )); then
    _amr_now=$EPOCHSECONDS
  else
    [[ -n $_amr_t0 ]] || _amr_t0=$(( $(date +%s) - SECONDS ))
    _amr_now=$(( _amr_t0 + SECONDS ))
  fi
}`,
  local: '\n  emulate -L zsh',
  mtimeCheck: String.raw`
  # A file put back with an older mtime is not newer than the stamp: its mtime must still be the stamp's.
  local -a now_mtime
  if (( \${+builtins[zstat]} )); then
    zstat -A now_mtime +mtime -- "$creds" 2>/dev/null && [[ $now_mtime[1] == "$mtime" ]] || return 2
  fi`,
  start: String.raw`
if [[ -o interactive ]]; then
  typeset -ga precmd_functions
  (( \${precmd_functions[(Ie)_amr_precmd]} )) || precmd_functions+=(_amr_precmd)
  _amr_ensure
fi`,
};

/** The bash or zsh hook: both read the same syntax, but for the lines of their dialect. */
function posixHook(d: PosixDialect): string {
  return String.raw`
# Shell hook of aws-mfa-refresh @@VERSION@@ for ${d.shell} (written by: aws-mfa-refresh init ${d.shell} --install;
# rewritten by newer versions of the tool). Source it from ${d.rcFile}.
# While the session is usable it starts no process: it reads the stamp that every refresh writes${d.builtins}${d.prompt}

${d.global}_amr_profile_flag=@@PROFILE@@
${d.global}_amr_warn_within=@@WARN@@
${d.global}_amr_warned=${d.setup}

# Sets _amr_p (the profile) and _amr_left (seconds the session has left); returns 0 usable, 1 refresh due,
# 2 unknown (no stamp, or the credentials file changed after it), 3 leave alone (see _amr_ensure).
_amr_state() {${d.local}
  _amr_p=\${_amr_profile_flag:-\${AWS_PROFILE:-default}}
  _amr_left=
  local creds=\${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
  local config=\${AWS_CONFIG_FILE:-$HOME/.aws/config}
  case $creds in '~/'*) creds=$HOME/\${creds#'~/'} ;; esac
  case $config in '~/'*) config=$HOME/\${config#'~/'} ;; esac
  local dir=\${XDG_STATE_HOME:-$HOME/.local/state}/aws-mfa-refresh
  local stamp=$dir/stamps/$_amr_p
  _amr_skip=$dir/skip/$_amr_p
  case $_amr_p in */* | . | ..) return 2 ;; esac
  if ! [[ -f $stamp && -f $creds && ! $creds -nt $stamp ]]; then
    [[ -f $_amr_skip && ! $creds -nt $_amr_skip && ! $config -nt $_amr_skip ]] && return 3
    return 2
  fi
  local v ok until mtime file
  read -r v ok until mtime file < "$stamp" || return 2
  [[ $v == 1 && $file == "$creds" ]] || return 2
  case $ok in '' | *[!0-9]*) return 2 ;; esac
  case $until in '' | *[!0-9]*) return 2 ;; esac${d.mtimeCheck}
  _amr_clock
  _amr_left=$(( until - _amr_now ))
  (( _amr_now < ok )) && return 0
  return 1
}

# In a terminal, makes the session usable: nothing when the stamp says it is, else status -q (when the
# stamp cannot tell) and the refresh, which asks for the code. Without a terminal: nothing, silently.
_amr_ensure() {${d.local}
  _amr_state
  local s=$? rc
  (( s == 0 || s == 3 )) && return 0
  [[ -t 0 && -t 2 ]] || return 0
  if ! command -v aws-mfa-refresh > /dev/null; then
    printf 'aws-mfa-refresh: not on PATH, so the shell hook cannot refresh profile "%s".\n' "$_amr_p" >&2
    return 0
  fi
  if (( s == 2 )); then command aws-mfa-refresh status -q --profile "$_amr_p" && return 0; fi
  command aws-mfa-refresh --profile "$_amr_p"
  rc=$?
  # Exit 5 (no long-term keys) or 7 (a profile of another kind, SSO for one): this profile takes no session
  # from us. Say it once, not at every shell start: until an AWS file changes, leave it alone.
  if (( rc == 5 || rc == 7 )); then
    [[ -d \${_amr_skip%/*} ]] && : >| "$_amr_skip"
    return 0
  fi
  return $rc
}

# Sets AWS_MFA_PROMPT ("default 3h12m", "default expired", "default ?" when only status can tell, empty when
# the profile is left alone);
# with an argument also prints, once per shell, a notice when less than the warn-within time is left.
_amr_render() {${d.local}
  local h m left hint
  _amr_state
  case $? in
    2) AWS_MFA_PROMPT="$_amr_p ?"; return 0 ;;
    3) AWS_MFA_PROMPT=; return 0 ;;
  esac
  if (( _amr_left <= 0 )); then
    left=expired
  else
    h=$(( _amr_left / 3600 )); m=$(( _amr_left % 3600 / 60 ))
    if (( h > 0 )); then left=\${h}h\${m}m; else left=\${m}m; fi
  fi
  AWS_MFA_PROMPT="$_amr_p $left"
  if (( _amr_left >= _amr_warn_within )); then _amr_warned=; return 0; fi
  [[ -n \${1:-} && -z $_amr_warned ]] || return 0
  _amr_warned=1
  hint='aws-mfa-refresh'
  [[ $_amr_p == default ]] || hint="$hint --profile $_amr_p"
  if (( _amr_left <= 0 )); then
    printf 'aws-mfa-refresh: the session of profile "%s" has ended; run: %s\n' "$_amr_p" "$hint" >&2
  else
    printf 'aws-mfa-refresh: the session of profile "%s" ends in %s; run: %s\n' "$_amr_p" "$left" "$hint" >&2
  fi
}

# Keeps the last command's exit status for the prompt.
_amr_precmd() {
  local rc=$?
  _amr_render notice
  return $rc
}

# For prompts that call a function; prefer the variable in the prompt (no subshell).
aws_mfa_prompt() {
  _amr_render
  printf '%s' "$AWS_MFA_PROMPT"
}

export AWS_MFA_PROMPT=
${d.start}
`;
}

/** --wrap-aws for bash and zsh. */
function posixWrap(d: PosixDialect): string {
  return String.raw`
# --wrap-aws: refresh first when needed (no process while the session is usable), then the real aws.
# An explicit --profile naming another profile is left alone.
function aws {${d.local}
  local a prev= named=
  for a in "$@"; do
    [[ $prev == --profile ]] && named=$a
    case $a in --profile=*) named=\${a#--profile=} ;; esac
    prev=$a
  done
  _amr_p=\${_amr_profile_flag:-\${AWS_PROFILE:-default}}
  if [[ -z $named || $named == "$_amr_p" ]]; then _amr_ensure || return; fi
  command aws "$@"
}
`;
}

const BASH = posixHook(BASH_DIALECT);
const BASH_WRAP = posixWrap(BASH_DIALECT);
const ZSH = posixHook(ZSH_DIALECT);
const ZSH_WRAP = posixWrap(ZSH_DIALECT);

const FISH = String.raw`
# Shell hook of aws-mfa-refresh @@VERSION@@ for fish (written by: aws-mfa-refresh init fish --install;
# rewritten by newer versions of the tool). Source it from ~/.config/fish/config.fish.
# While the session is usable it starts no process: it reads the stamp that every refresh writes
# ($XDG_STATE_HOME/aws-mfa-refresh/stamps/PROFILE) with builtins. fish has no clock builtin; fish >= 3.5
# reads the time from the 'path mtime' builtin (the stamp's mtime plus its age); older fish runs one
# date +%s per check (at start, and before each prompt).
# Prompt: in fish_prompt or fish_right_prompt, echo -n $AWS_MFA_PROMPT (kept current on fish_prompt).

set -g _amr_profile_flag @@PROFILE@@
set -g _amr_warn_within @@WARN@@
set -g _amr_warned
set -g _amr_p
set -g _amr_left
set -g _amr_skip

# Sets _amr_p (the profile) and _amr_left (seconds the session has left); returns 0 usable, 1 refresh due,
# 2 unknown (no stamp, or the credentials file changed after it), 3 leave alone (see _amr_ensure).
function _amr_state
    set -g _amr_p $_amr_profile_flag
    test -n "$_amr_p"; or set -g _amr_p $AWS_PROFILE
    test -n "$_amr_p"; or set -g _amr_p default
    set -g _amr_left
    set -l creds $AWS_SHARED_CREDENTIALS_FILE
    test -n "$creds"; or set creds $HOME/.aws/credentials
    string match -q -- '~/*' $creds; and set creds $HOME/(string sub -s 3 -- $creds)
    set -l config $AWS_CONFIG_FILE
    test -n "$config"; or set config $HOME/.aws/config
    string match -q -- '~/*' $config; and set config $HOME/(string sub -s 3 -- $config)
    set -l state $XDG_STATE_HOME
    test -n "$state"; or set state $HOME/.local/state
    set -l stamp $state/aws-mfa-refresh/stamps/$_amr_p
    set -g _amr_skip $state/aws-mfa-refresh/skip/$_amr_p
    string match -q -- '*/*' $_amr_p; and return 2
    contains -- $_amr_p . ..; and return 2
    if not test -f $stamp -a -f $creds; or test $creds -nt $stamp
        if test -f $_amr_skip; and not test $creds -nt $_amr_skip; and not test $config -nt $_amr_skip
            return 3
        end
        return 2
    end
    read -l v ok until mtime file < $stamp; or return 2
    test "$v" = 1 -a "$file" = "$creds"; or return 2
    string match -qr -- '^[0-9]+$' $ok; or return 2
    string match -qr -- '^[0-9]+$' $until; or return 2
    set -l now
    if builtin -q path
        # A file put back with an older mtime is not newer than the stamp: its mtime must still be the stamp's.
        test (path mtime -- $creds) = "$mtime"; or return 2
        set now (math (path mtime -- $stamp) + (path mtime -R -- $stamp))
    else
        set now (date +%s)
    end
    set -g _amr_left (math $until - $now)
    test $now -lt $ok
    and return 0
    return 1
end

# In a terminal, makes the session usable: nothing when the stamp says it is, else status -q (when the
# stamp cannot tell) and the refresh, which asks for the code. Without a terminal: nothing, silently.
function _amr_ensure
    _amr_state
    set -l s $status
    test $s -eq 0 -o $s -eq 3; and return 0
    test -t 0 -a -t 2; or return 0
    if not command -q aws-mfa-refresh
        printf 'aws-mfa-refresh: not on PATH, so the shell hook cannot refresh profile "%s".\n' $_amr_p >&2
        return 0
    end
    if test $s -eq 2
        command aws-mfa-refresh status -q --profile $_amr_p; and return 0
    end
    command aws-mfa-refresh --profile $_amr_p
    set -l rc $status
    # Exit 5 (no long-term keys) or 7 (a profile of another kind, SSO for one): this profile takes no session
    # from us. Say it once, not at every shell start: until an AWS file changes, leave it alone.
    if test $rc -eq 5 -o $rc -eq 7
        test -d (string replace -r -- '/[^/]*$' '' $_amr_skip); and true > $_amr_skip
        return 0
    end
    return $rc
end

# Sets AWS_MFA_PROMPT ("default 3h12m", "default expired", "default ?" when only status can tell, empty when
# the profile is left alone);
# with an argument also prints, once per shell, a notice when less than the warn-within time is left.
function _amr_render
    _amr_state
    switch $status
        case 2
            set -gx AWS_MFA_PROMPT "$_amr_p ?"
            return 0
        case 3
            set -gx AWS_MFA_PROMPT ''
            return 0
    end
    set -l left "$_amr_left"
    if test $left -le 0
        set -gx AWS_MFA_PROMPT "$_amr_p expired"
    else
        set -l h (math "floor($left / 3600)")
        set -l m (math "floor($left % 3600 / 60)")
        if test $h -gt 0
            set -gx AWS_MFA_PROMPT "$_amr_p "$h"h"$m"m"
        else
            set -gx AWS_MFA_PROMPT "$_amr_p "$m"m"
        end
    end
    if test $left -ge $_amr_warn_within
        set -g _amr_warned
        return 0
    end
    test -n "$argv[1]" -a -z "$_amr_warned"; or return 0
    set -g _amr_warned 1
    set -l hint aws-mfa-refresh
    test "$_amr_p" = default; or set hint "$hint --profile $_amr_p"
    if test $left -le 0
        printf 'aws-mfa-refresh: the session of profile "%s" has ended; run: %s\n' $_amr_p $hint >&2
    else
        printf 'aws-mfa-refresh: the session of profile "%s" ends in %s; run: %s\n' $_amr_p (string replace -- "$_amr_p " '' $AWS_MFA_PROMPT) $hint >&2
    end
end

function _amr_precmd --on-event fish_prompt
    _amr_render notice
end

# For prompts that call a function (fish runs it in-process: no fork).
function aws_mfa_prompt
    _amr_render
    printf '%s' $AWS_MFA_PROMPT
end

set -gx AWS_MFA_PROMPT ''

if status is-interactive
    _amr_ensure
end
`;

const FISH_WRAP = String.raw`
# --wrap-aws: refresh first when needed (no process while the session is usable), then the real aws.
# An explicit --profile naming another profile is left alone.
function aws --wraps aws
    set -l named
    set -l prev
    for a in $argv
        test "$prev" = --profile; and set named $a
        string match -q -- '--profile=*' $a; and set named (string replace -- '--profile=' '' $a)
        set prev $a
    end
    set -l p $_amr_profile_flag
    test -n "$p"; or set p $AWS_PROFILE
    test -n "$p"; or set p default
    if test -z "$named" -o "$named" = "$p"
        _amr_ensure; or return
    end
    command aws $argv
end
`;

const POWERSHELL = String.raw`
# Shell hook of aws-mfa-refresh @@VERSION@@ for PowerShell (written by: aws-mfa-refresh init powershell --install;
# rewritten by newer versions of the tool). Dot-source it from $PROFILE.
# While the session is usable it starts no process: it reads the stamp that every refresh writes
# ($XDG_STATE_HOME/aws-mfa-refresh/stamps/PROFILE, default ~/.local/state) and the clock in-process (.NET).
# Prompt: "$env:AWS_MFA_PROMPT" in your prompt function (kept current before each prompt).

$global:AmrProfileFlag = @@PROFILE@@
$global:AmrWarnWithin = @@WARN@@
$global:AmrWarned = $false

function global:Get-AmrProfile {
  if ($global:AmrProfileFlag) { return $global:AmrProfileFlag }
  if ($env:AWS_PROFILE) { return $env:AWS_PROFILE }
  return 'default'
}

function global:Get-AmrFile([string]$Value, [string]$Default) {
  if (-not $Value) { return Join-Path $HOME $Default }
  if ($Value.StartsWith('~/')) { return Join-Path $HOME $Value.Substring(2) }
  return $Value
}

# State 0 usable, 1 refresh due, 2 unknown (no stamp, or the credentials file changed after it),
# 3 leave alone (see Invoke-AmrEnsure).
function global:Get-AmrState {
  $p = Get-AmrProfile
  $state = $env:XDG_STATE_HOME
  if (-not $state) { $state = Join-Path $HOME '.local/state' }
  $result = [pscustomobject]@{ Profile = $p; State = 2; Left = $null; Skip = (Join-Path $state "aws-mfa-refresh/skip/$p") }
  $creds = Get-AmrFile $env:AWS_SHARED_CREDENTIALS_FILE '.aws/credentials'
  $config = Get-AmrFile $env:AWS_CONFIG_FILE '.aws/config'
  if ($p -match '[/\\]' -or $p -eq '.' -or $p -eq '..') { return $result }
  $stamp = Join-Path $state "aws-mfa-refresh/stamps/$p"
  $stampItem = Get-Item -LiteralPath $stamp -ErrorAction SilentlyContinue
  $credsItem = Get-Item -LiteralPath $creds -ErrorAction SilentlyContinue
  if (-not $stampItem -or -not $credsItem -or $credsItem.LastWriteTimeUtc -gt $stampItem.LastWriteTimeUtc) {
    $skip = Get-Item -LiteralPath $result.Skip -ErrorAction SilentlyContinue
    $configItem = Get-Item -LiteralPath $config -ErrorAction SilentlyContinue
    if ($skip -and -not ($credsItem -and $credsItem.LastWriteTimeUtc -gt $skip.LastWriteTimeUtc) -and -not ($configItem -and $configItem.LastWriteTimeUtc -gt $skip.LastWriteTimeUtc)) {
      $result.State = 3
    }
    return $result
  }
  $fields = ([System.IO.File]::ReadAllText($stampItem.FullName) -replace '\r?\n$', '') -split ' ', 5
  if ($fields.Count -ne 5 -or $fields[0] -ne '1' -or $fields[1] -notmatch '^\d+$' -or $fields[2] -notmatch '^\d+$') { return $result }
  if ([System.IO.Path]::GetFullPath($fields[4]) -ne [System.IO.Path]::GetFullPath($creds)) { return $result }
  if ([DateTimeOffset]::new($credsItem.LastWriteTimeUtc).ToUnixTimeSeconds() -ne [long]$fields[3]) { return $result }
  $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
  $result.Left = [long]$fields[2] - $now
  $result.State = if ($now -lt [long]$fields[1]) { 0 } else { 1 }
  return $result
}

function global:Test-AmrTerminal {
  $nonInteractive = [Environment]::GetCommandLineArgs() -match '^-noni'
  return -not [Console]::IsInputRedirected -and -not [Console]::IsErrorRedirected -and [Environment]::UserInteractive -and -not $nonInteractive
}

# In a terminal, makes the session usable: nothing when the stamp says it is, else status -q (when the
# stamp cannot tell) and the refresh, which asks for the code. Without a terminal: nothing, silently.
function global:Invoke-AmrEnsure {
  $s = Get-AmrState
  if ($s.State -eq 0 -or $s.State -eq 3 -or -not (Test-AmrTerminal)) { return $true }
  $bin = Get-Command aws-mfa-refresh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
  if (-not $bin) { return $false }
  if ($s.State -eq 2) {
    & $bin status -q --profile $s.Profile | Out-Host
    if ($LASTEXITCODE -eq 0) { return $true }
  }
  # To the host, not into this function's output: the person sees the refresh's result line.
  & $bin --profile $s.Profile | Out-Host
  $rc = $LASTEXITCODE
  # Exit 5 (no long-term keys) or 7 (a profile of another kind, SSO for one): this profile takes no session
  # from us. Say it once, not at every start: until an AWS file changes, leave it alone.
  if ($rc -eq 5 -or $rc -eq 7) {
    if (Test-Path -LiteralPath (Split-Path $s.Skip) -PathType Container) { [System.IO.File]::WriteAllText($s.Skip, '') }
    return $true
  }
  return $rc -eq 0
}

function global:Update-AmrPrompt([switch]$Notice) {
  $s = Get-AmrState
  $p = $s.Profile
  if ($s.State -eq 2) { $env:AWS_MFA_PROMPT = "$p ?"; return }
  if ($s.State -eq 3) { $env:AWS_MFA_PROMPT = ''; return }
  $left = $s.Left
  if ($left -le 0) { $env:AWS_MFA_PROMPT = "$p expired"; $text = $null }
  else {
    $h = [math]::Floor($left / 3600); $m = [math]::Floor(($left % 3600) / 60)
    $text = if ($h -gt 0) { "$($h)h$($m)m" } else { "$($m)m" }
    $env:AWS_MFA_PROMPT = "$p $text"
  }
  if ($left -ge $global:AmrWarnWithin) { $global:AmrWarned = $false; return }
  if (-not $Notice -or $global:AmrWarned) { return }
  $global:AmrWarned = $true
  $hint = if ($p -eq 'default') { 'aws-mfa-refresh' } else { "aws-mfa-refresh --profile $p" }
  if ($text) { [Console]::Error.WriteLine("aws-mfa-refresh: the session of profile ""$p"" ends in $text; run: $hint") }
  else { [Console]::Error.WriteLine("aws-mfa-refresh: the session of profile ""$p"" has ended; run: $hint") }
}

# For prompts that call a function.
function global:aws_mfa_prompt { Update-AmrPrompt; $env:AWS_MFA_PROMPT }

# Before each prompt: wraps the current prompt function, keeping $? and $LASTEXITCODE for it.
if (-not $global:AmrPromptWrapped) {
  $global:AmrPromptWrapped = $true
  $global:AmrInnerPrompt = $function:prompt
  function global:prompt {
    $ok = $?
    $code = $global:LASTEXITCODE
    Update-AmrPrompt -Notice
    $global:LASTEXITCODE = $code
    if (-not $ok) { Write-Error '' -ErrorAction Ignore }
    & $global:AmrInnerPrompt
  }
}

$env:AWS_MFA_PROMPT = ''
if (Test-AmrTerminal) { [void](Invoke-AmrEnsure) }
`;

const POWERSHELL_WRAP = String.raw`
# --wrap-aws: refresh first when needed (no process while the session is usable), then the real aws.
# An explicit --profile naming another profile is left alone.
function global:aws {
  $named = $null
  for ($i = 0; $i -lt $args.Count; $i++) {
    if ($args[$i] -eq '--profile' -and $i + 1 -lt $args.Count) { $named = $args[$i + 1] }
    elseif ("$($args[$i])".StartsWith('--profile=')) { $named = "$($args[$i])".Substring(10) }
  }
  if (-not $named -or $named -eq (Get-AmrProfile)) {
    if (-not (Invoke-AmrEnsure)) { return }
  }
  $real = Get-Command aws -CommandType Application -ErrorAction Stop | Select-Object -First 1
  & $real @args
}
`;
