/**
 * The cluster files run real commands: every `rftbench` command line in the Slurm scripts and the Kubernetes
 * manifests names an existing subcommand and only flags that subcommand documents; the manifests parse, and
 * the Indexed Job's shard count matches its completions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cluster = join(root, 'harness/cluster');

/** `npx rftbench <cmd> --a x --b` occurrences in a text. */
function commandLines(text: string): { command: string; flags: string[] }[] {
  return [...text.matchAll(/npx rftbench ([a-z]+)([^\n"]*)/g)].map((m) => ({ command: m[1], flags: [...m[2].matchAll(/(--[a-z-]+)/g)].map((f) => f[1]) }));
}

async function usageOf(command: string): Promise<string> {
  return ((await import(join(root, 'harness/cli/commands', `${command}.ts`))) as { default: { usage: string } }).default.usage;
}

describe('cluster files', () => {
  const files = [
    ...readdirSync(join(cluster, 'slurm')).map((f) => join(cluster, 'slurm', f)),
    ...readdirSync(join(cluster, 'k8s')).map((f) => join(cluster, 'k8s', f)),
  ];

  it('use only real subcommands and documented flags', async () => {
    let seen = 0;
    for (const file of files) {
      for (const { command, flags } of commandLines(readFileSync(file, 'utf8'))) {
        const usage = await usageOf(command);
        for (const flag of flags) expect(usage, `${file}: rftbench ${command} ${flag}`).toContain(flag);
        seen++;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(6);
  });

  it('Kubernetes manifests parse; the Indexed Job runs one shard per completion on one GPU each', () => {
    for (const file of files.filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) expect(doc.errors, file).toEqual([]);
    }
    const job = parseAllDocuments(readFileSync(join(cluster, 'k8s/standard-indexed-job.yaml'), 'utf8'))[0].toJS();
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBe(job.spec.completions);
    const container = job.spec.template.spec.containers[0];
    const count = container.env.find((e: { name: string }) => e.name === 'RFTBENCH_SHARD_COUNT').value;
    expect(Number(count)).toBe(job.spec.completions);
    expect(container.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(container.args.join(' ')).toContain('$JOB_COMPLETION_INDEX');
  });
});
