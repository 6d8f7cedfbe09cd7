/** What a failed file system call means to a person: the errno explained, and what to do. */
import { ExitCode, UserError } from '../errors.js';

export class FileStoreError extends UserError {
  /** The errno code behind it (ENOSPC, EACCES, ...), when there is one. */
  readonly code?: string;

  constructor(message: string, hint?: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, ExitCode.Unexpected, hint);
    this.name = 'FileStoreError';
    this.code = options.code;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CAUSES: Record<string, [cause: string, hint: string]> = {
  EACCES: ['permission denied', 'Check the permissions of the file and its directory, then run again.'],
  EPERM: [
    'operation not permitted',
    'Check the permissions and attributes of the file and its directory, then run again.',
  ],
  EISDIR: ['it is a directory', 'Move that directory away, then run again.'],
  ENOTDIR: ['a part of the path is not a directory', 'Check the path, then run again.'],
  ENOSPC: ['no space left on device', 'Free some disk space, then run again.'],
  EDQUOT: ['disk quota exceeded', 'Free some disk space, then run again.'],
  EIO: ['input/output error', 'Check the disk, then run again.'],
  EROFS: [
    'read-only file system',
    'Use a writable location (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), then run again.',
  ],
  ELOOP: ['too many levels of symbolic links', 'Fix the symbolic link, then run again.'],
  ENAMETOOLONG: ['file name too long', 'Use a shorter path, then run again.'],
  EMFILE: ['too many open files', 'Close some programs, then run again.'],
  ENFILE: ['too many open files', 'Close some programs, then run again.'],
};

export function fsError(action: string, shown: string, error: unknown): FileStoreError {
  if (error instanceof FileStoreError) return error;
  const code = errnoCode(error);
  const [cause, hint] = (code && CAUSES[code]) || [
    (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' '),
    'Check the file and its directory, then run again.',
  ];
  return new FileStoreError(`Cannot ${action} ${shown}: ${cause}.`, hint, {
    ...(code !== undefined && { code }),
    cause: error,
  });
}

/**
 * Follows the symlink chain of `path` (absolute and relative links; a dangling link gives its
 * missing target), creates the target's missing parent directories, and returns the real path.
 */
