/**
 * The cluster files run real commands: every `rftbench` command line in the Slurm scripts and the Kubernetes
 * manifests names an existing subcommand and only flags that subcommand documents; the manifests parse, and
 * the Indexed Job's shard count matches its completions. The Slurm jobs get SIGTERM ahead of their time limit,
 * pass it to rftbench and requeue themselves when it stops gracefully (exit 75), shown with real processes.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cluster = join(root, 'harness/orchestration/cluster');

/** `npx rftbench <cmd> --a x --b` (or `node harness/orchestration/cli/rftbench.mjs <cmd> …`) occurrences in a text. */
function commandLines(text: string): { command: string; flags: string[] }[] {
  return [...text.matchAll(/(?:npx rftbench|rftbench\.mjs) ([a-z]+)([^\n"]*)/g)].map((m) => ({
    command: m[1],
    flags: [...m[2].matchAll(/(--[a-z-]+)/g)].map((f) => f[1]),
  }));
}

async function usageOf(command: string): Promise<string> {
  return (
    (await import(join(root, 'harness/orchestration/cli/commands', `${command}.ts`))) as { default: { usage: string } }
  ).default.usage;
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

describe('Slurm jobs stop and requeue gracefully', () => {
  const sbatch = readdirSync(join(cluster, 'slurm')).filter((f) => f.endsWith('.sbatch'));

  it('every job asks for SIGTERM to the batch shell ahead of its time limit, is requeueable, and forwards the signal', () => {
    expect(sbatch.length).toBeGreaterThanOrEqual(3);
    for (const f of sbatch) {
      const text = readFileSync(join(cluster, 'slurm', f), 'utf8');
      const lead = /^#SBATCH --signal=B:TERM@(\d+)$/m.exec(text);
      expect(lead, `${f}: #SBATCH --signal=B:TERM@<seconds>`).not.toBeNull();
      expect(Number(lead![1]), f).toBeGreaterThanOrEqual(60);
      expect(text, f).toMatch(/^#SBATCH --requeue$/m);
      // npx neither forwards SIGTERM to rftbench nor hands back its exit status: rftbench runs under the wrapper.
      expect(text, f).not.toMatch(/npx rftbench/);
      expect(text, f).toMatch(
        /^exec bash harness\/orchestration\/cluster\/slurm\/forward-term\.sh node harness\/orchestration\/cli\/rftbench\.mjs [a-z]+ /m,
      );
    }
  });

  /** Runs forward-term.sh around a node child with a fake `scontrol` on PATH; SIGTERM to the wrapper after the child is up. */
  async function underWrapper(
    childExit: number,
  ): Promise<{ status: number | null; scontrol: string; childLog: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'rftbench-slurm-'));
    try {
      writeFileSync(join(dir, 'scontrol'), `#!/bin/sh\necho "$@" >> "${dir}/scontrol.log"\n`);
      chmodSync(join(dir, 'scontrol'), 0o755);
      const child = `process.on('SIGTERM', () => { require('fs').writeFileSync('${dir}/child.log', 'got SIGTERM'); process.exit(${childExit}); });
        require('fs').writeFileSync('${dir}/ready', ''); setInterval(() => {}, 1000);`;
      const wrapper = spawn('bash', [join(cluster, 'slurm/forward-term.sh'), process.execPath, '-e', child], {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, SLURM_JOB_ID: '4242' },
        stdio: 'ignore',
      });
      const ready = join(dir, 'ready');
      for (let i = 0; i < 200; i++) {
        try {
          readFileSync(ready);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      wrapper.kill('SIGTERM');
      const status = await new Promise<number | null>((r) => wrapper.on('exit', (code) => r(code)));
      const read = (f: string) => {
        try {
          return readFileSync(join(dir, f), 'utf8');
        } catch {
          return '';
        }
      };
      return { status, scontrol: read('scontrol.log'), childLog: read('child.log') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('forward-term.sh passes SIGTERM to the child and requeues the job when it exits 75', async () => {
    const out = await underWrapper(75);
    expect(out.childLog).toBe('got SIGTERM');
    expect(out.scontrol.trim()).toBe('requeue 4242');
    expect(out.status).toBe(0);
  });

  it('any other exit status is passed on, without a requeue', async () => {
    const out = await underWrapper(3);
    expect(out.childLog).toBe('got SIGTERM');
    expect(out.scontrol).toBe('');
    expect(out.status).toBe(3);
  });
});
