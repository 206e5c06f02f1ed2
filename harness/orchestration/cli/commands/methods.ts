/** @module `rftbench methods list | show ID`: the registered entries, their papers and config defaults. */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { methods } from '../../../../methods/registry.ts';
import { describeMethod } from '../../run/method-info.ts';

const command: Command = {
  name: 'methods',
  summary: 'list method entries, or show one (paper, config schema with defaults)',
  usage: `Usage: rftbench methods list
       rftbench methods show ID [--json]

Example: rftbench methods show at`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, { positionals: 2 });
    const [sub = 'list', id] = positionals;
    if (sub === 'list') {
      for (const mid of methods.ids()) {
        const e = await methods.get(mid);
        console.log(`${mid.padEnd(16)} ${e.title}${e.paper ? `  (${e.paper.venue ?? e.paper.url})` : ''}`);
      }
      return 0;
    }
    if (sub !== 'show') throw new UsageError(`unknown subcommand '${sub}' (list | show)`);
    if (!id) throw new UsageError('methods show needs an ID');
    const e = await methods.get(id);
    // The same JSON Schema the store keeps for the site (run/method-info.ts).
    const schema = describeMethod(e).configSchema ?? {};
    if (values.json) {
      console.log(
        JSON.stringify(
          { id: e.id, title: e.title, paper: e.paper, description: e.description, config: schema },
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(`${e.id}: ${e.title}`);
    if (e.paper) console.log(`paper: ${e.paper.title}${e.paper.venue ? ` (${e.paper.venue})` : ''} ${e.paper.url}`);
    console.log(`\n${e.description}\n\nconfig:`);
    const props =
      (
        schema as {
          properties?: Record<string, { type?: string; default?: unknown; description?: string; enum?: unknown[] }>;
        }
      ).properties ?? {};
    const required = new Set((schema as { required?: string[] }).required ?? []);
    const typeOf = (p: { type?: string; enum?: unknown[] }) => (p.enum ? p.enum.join(' | ') : (p.type ?? ''));
    const keyWidth = Math.max(14, ...Object.keys(props).map((k) => k.length + 1));
    const typeWidth = Math.max(20, ...Object.values(props).map((p) => typeOf(p).length + 1));
    for (const [key, p] of Object.entries(props)) {
      const dflt =
        p.default !== undefined ? `default ${JSON.stringify(p.default)}` : required.has(key) ? 'required' : 'optional';
      console.log(
        `  ${key.padEnd(keyWidth)} ${typeOf(p).padEnd(typeWidth)} ${dflt}${p.description ? `  ${p.description}` : ''}`,
      );
    }
    return 0;
  },
};

export default command;
