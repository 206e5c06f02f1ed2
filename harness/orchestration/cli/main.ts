/**
 * @module `rftbench <command>`: one entry point, subcommands loaded lazily so `rftbench env` does not
 * pay for the store or the datasets.
 */
import { UsageError, type Command } from './command.ts';
import { Registry, UnknownIdError } from '../../foundation/util/registry.ts';
import { EXIT_INTERRUPTED, TrainingStopped } from '../train/graceful-stop.ts';
import { Logger, setProcessLogger } from '../../foundation/util/log.ts';
import { LOG_FORMAT_USAGE, takeLogFormat } from './log-format-flag.ts';

/** Subcommand name → lazy import of its module, in the order `--help` lists them. */
export const commands = new Registry<Command>('command')
  .register('env', async () => (await import('./commands/env.ts')).default)
  .register('run', async () => (await import('./commands/run.ts')).default)
  .register('pretrain', async () => (await import('./commands/pretrain.ts')).default)
  .register('methods', async () => (await import('./commands/methods.ts')).default)
  .register('datasets', async () => (await import('./commands/datasets.ts')).default)
  .register('sources', async () => (await import('./commands/sources.ts')).default)
  .register('serve', async () => (await import('./commands/serve.ts')).default)
  .register('eval', async () => (await import('./commands/eval.ts')).default)
  .register('import', async () => (await import('./commands/import.ts')).default)
  .register('gate', async () => (await import('./commands/gate.ts')).default)
  .register('merge', async () => (await import('./commands/merge.ts')).default)
  .register('export', async () => (await import('./commands/export.ts')).default)
  .register('submit', async () => (await import('./commands/submit.ts')).default)
  .register('nightly', async () => (await import('./commands/nightly.ts')).default)
  .register('bench', async () => (await import('./commands/bench.ts')).default)
  .freeze();

async function help(): Promise<string> {
  const lines = ['Usage: rftbench <command> [flags]', '', 'Commands:'];
  for (const name of commands.ids()) lines.push(`  ${name.padEnd(10)} ${(await commands.get(name)).summary}`);
  lines.push('', `Global flag: ${LOG_FORMAT_USAGE}`, "Run 'rftbench <command> --help' for a command's flags.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let taken;
  try {
    taken = takeLogFormat(argv);
  } catch (err) {
    console.error(`rftbench: ${(err as Error).message}`);
    return 2;
  }
  // One logger for the command: every stderr line (console.error/warn included) gets its time and elapsed.
  const logger = new Logger({ format: taken.format });
  setProcessLogger(logger);
  const restoreConsole = logger.captureConsole();
  try {
    return await dispatch(taken.rest, logger);
  } finally {
    logger.clearProgress();
    restoreConsole();
    setProcessLogger(undefined);
  }
}

async function dispatch(argv: string[], logger: Logger): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  if (!commands.has(name)) {
    // The error's first line ("Unknown command 'x'. Did you mean: …?"); the help below lists every command.
    console.error(`rftbench: ${new UnknownIdError('command', name, commands.ids()).message.split('\n')[0]}`);
    console.error(await help());
    return 2;
  }
  const command = await commands.get(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.usage}\n\nGlobal flag: ${LOG_FORMAT_USAGE}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      logger.error(`rftbench ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    // SIGTERM/SIGINT during training: checkpointed, "try again" (the Slurm scripts requeue on it).
    if (err instanceof TrainingStopped) {
      logger.error(`rftbench ${name}: ${err.message}`);
      return EXIT_INTERRUPTED;
    }
    logger.error(`rftbench ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.RFTBENCH_DEBUG) console.error(err);
    return 1;
  } finally {
    const { closeEvaluationWorkers } = await import('../evaluate/workers/attack-pool.ts');
    await closeEvaluationWorkers();
    const { shutdownBackend } = await import('../../foundation/tensor/backend.ts');
    await shutdownBackend();
  }
}
