/**
 * @module `--log-format text|json`: a global flag, taken out of the arguments before a command parses its own,
 * so every command accepts it (before or after the command's name).
 */
import { UsageError } from './command.ts';
import { LOG_FORMATS, type LogFormat } from '../../foundation/util/log.ts';

export const LOG_FORMAT_USAGE =
  '--log-format text|json  stderr as text lines (time, elapsed, message) or JSON lines (default: text)';

function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined || value.startsWith('--')) {
    throw new UsageError(`--log-format needs a value: ${LOG_FORMATS.join(' or ')}`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, got '${value}'`);
  }
  return value as LogFormat;
}

/** The log format asked for (the last one wins) and the arguments without the flag; `--` ends the search. */
export function takeLogFormat(argv: readonly string[]): { format: LogFormat; rest: string[] } {
  let format: LogFormat = 'text';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--log-format') format = parseLogFormat(argv[++i]);
    else if (arg.startsWith('--log-format=')) format = parseLogFormat(arg.slice('--log-format='.length));
    else rest.push(arg);
  }
  return { format, rest };
}
