/**
 * @module Write failures in words: `cannot write <path>: <cause>`, with the causes a user can act on
 * (a full disk above all) spelled out instead of a bare errno.
 */

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device (ENOSPC): free some space and run again',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  EROFS: 'read-only file system (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EIO: 'I/O error (EIO): the disk or network file system failed',
  ENOENT: 'the folder does not exist (ENOENT)',
  EMFILE: 'too many open files (EMFILE)',
  SQLITE_FULL: 'the database or disk is full (SQLITE_FULL): free some space and run again',
  SQLITE_READONLY: 'the database is read-only (SQLITE_READONLY)',
  SQLITE_IOERR: 'disk I/O error (SQLITE_IOERR)',
  SQLITE_CANTOPEN: 'cannot open the database file (SQLITE_CANTOPEN)',
};

/** The error's code (errno or SQLite's), when it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short cause for a failed write: the known codes in words, otherwise the error's own message. */
export function describeWriteError(err: unknown): string {
  const code = errorCode(err);
  const known = code && (CAUSES[code] ?? (code.startsWith('SQLITE_IOERR') ? CAUSES.SQLITE_IOERR : undefined));
  return known ?? (err instanceof Error ? err.message : String(err));
}

export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${describeWriteError(cause)}`, { cause });
  }
  get code(): string | undefined {
    return errorCode(this.cause);
  }
}
