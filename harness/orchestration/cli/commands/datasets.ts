/**
 * @module `rftbench datasets list | info ID | fetch ID | verify ID`: the datasets, their versions,
 * classes and input sizes; where their files and caches are; downloading (checksum verified) and
 * decoding them ahead of time; and re-checking what is on disk.
 */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { dataRoot } from '../../../../datasets/cache-dir.ts';
import { datasetIds, getDataset } from '../../../../datasets/registry.ts';
import { fileStates, sourceUrl } from '../../../../datasets/sources.ts';
import { listCacheEntries } from '../../../../datasets/split-cache.ts';
import { isCorruptionDataset, type Dataset, type LoadOptions } from '../../../../datasets/types.ts';
import { verifyDataset } from '../../../../datasets/verify.ts';

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** One word for what is on disk: cached (current version), files, partial, or absent. */
function diskState(ds: Dataset, opts: LoadOptions): string {
  if (!ds.source) return ds.id === 'synthetic' ? 'generated' : '-';
  const cached = ds.folder ? listCacheEntries(ds.folder).filter((e) => e.meta.version === ds.version).length : 0;
  const states = fileStates(ds.source, opts);
  const present = states.filter((s) => s.provided).length;
  const files =
    present === states.length
      ? 'files present'
      : present > 0
        ? `${present}/${states.length} files present`
        : 'not downloaded';
  return cached ? `${files}, ${cached} split(s) cached` : files;
}

function downloadSize(ds: Dataset): string {
  if (!ds.source) return '-';
  const sizes = ds.source.files.map((f) => f.bytes);
  return sizes.every((b) => b !== undefined) ? mb(sizes.reduce<number>((a, b) => a + (b ?? 0), 0)) : '?';
}

function printInfo(ds: Dataset, opts: LoadOptions): void {
  const names =
    ds.classNames.length > 12
      ? `${ds.classNames.slice(0, 12).join(', ')}, ... (${ds.classNames.length})`
      : ds.classNames.join(', ');
  console.log(`${ds.id}\n  version  ${ds.version}\n  input    ${ds.inputShape.join('x')}\n  classes  ${names}`);
  if (isCorruptionDataset(ds)) {
    console.log(
      `  clean    ${ds.clean}\n  corruptions ${ds.corruptions.join(', ')}\n  extra    ${ds.extraCorruptions.join(', ') || '-'}\n  severities ${ds.severities.join(', ')}`,
    );
    if (!ds.selected)
      console.log(`  select one split as ${ds.id}:<corruption>:<severity>, e.g. ${ds.id}:${ds.corruptions[0]}:3`);
  }
  if (ds.folder) console.log(`  folder   ${ds.folder}`);
  for (const s of ds.source ? fileStates(ds.source, opts) : []) {
    const expected = s.file.bytes ? `, ${mb(s.file.bytes)}` : '';
    const state =
      s.size !== undefined
        ? `present (${s.size} bytes; \`verify\` checks it)`
        : s.provided
          ? 'not downloaded; its contents are present'
          : 'absent';
    console.log(
      `  file     ${s.file.name}: ${state}\n           ${sourceUrl(s.file, opts)} (${s.file.checksum.algorithm} ${s.file.checksum.hex}${expected})`,
    );
  }
  for (const e of ds.folder ? listCacheEntries(ds.folder) : []) {
    const current = e.meta.version === ds.version ? '' : ` (other version ${e.meta.version})`;
    console.log(
      `  cache    ${e.meta.split}: ${e.meta.n} images, ${mb(e.meta.imageBytes + e.meta.labelBytes)} in ${e.data}${current}`,
    );
  }
}

const command: Command = {
  name: 'datasets',
  summary: 'list datasets, show one, download + cache one (fetch), re-check its checksums (verify)',
  usage: `Usage: rftbench datasets list [--data DIR]
       rftbench datasets info ID [--data DIR] [--load]
       rftbench datasets fetch ID [--data DIR] [--mirror URL]
       rftbench datasets verify ID [--data DIR]

  --data DIR     data root (default $RFTBENCH_DATA or ~/.cache/rftbench); dataset ID lives in DIR/<folder>/,
                 which may be filled by hand with the layout the official archives produce
  --mirror URL   fetch every file as URL/<file name> instead of from the official host
  --load         info: also load the splits (from the cache or local files; never downloads)

fetch downloads what is missing (the checksum is verified before a file is used), extracts it and
decodes every split into the cache. verify recomputes the checksums of the downloaded files and of
the cached splits and reports each; it exits 1 if any does not match.
ID may select classes (svhn[0-4]) and, for corrupted sets, one split (cifar10-c:gaussian_noise:3).
Example: rftbench datasets fetch svhn && rftbench datasets verify svhn`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { data: { type: 'string' }, mirror: { type: 'string' }, load: { type: 'boolean', default: false } },
      { positionals: 2 },
    );
    const [sub = 'list', id] = positionals;
    const log = (line: string) => console.error(line);
    if (sub === 'list') {
      const opts = { dataDir: values.data };
      const rows = datasetIds().map((d) => {
        const ds = getDataset(d, opts);
        return {
          id: d,
          classes: ds.classNames.length,
          input: ds.inputShape.join('x'),
          download: downloadSize(ds),
          state: diskState(ds, opts),
          version: ds.version,
        };
      });
      for (const r of rows) {
        console.log(
          `${r.id.padEnd(16)} ${String(r.classes).padStart(3)} classes  ${r.input.padEnd(8)} ${r.download.padStart(9)}  ${r.state.padEnd(34)} ${r.version}`,
        );
      }
      console.log(`\ndata root: ${dataRoot(opts)}`);
      return 0;
    }
    if (!['info', 'fetch', 'verify'].includes(sub))
      throw new UsageError(`unknown subcommand '${sub}' (list | info | fetch | verify)`);
    if (!id) throw new UsageError(`datasets ${sub} needs an ID`);
    if (sub === 'info') {
      const opts: LoadOptions = { dataDir: values.data, download: false };
      const ds = getDataset(id, opts);
      printInfo(ds, opts);
      if (values.load && !(isCorruptionDataset(ds) && !ds.selected)) {
        for (const split of isCorruptionDataset(ds) ? (['test'] as const) : (['train', 'test'] as const)) {
          const s = await ds.load(split);
          console.log(`  ${split.padEnd(8)} ${s.n} images`);
        }
      }
      return 0;
    }
    if (sub === 'fetch') {
      const opts: LoadOptions = { dataDir: values.data, mirror: values.mirror, log };
      const ds = getDataset(id, opts);
      await ds.prepare?.();
      const splits = isCorruptionDataset(ds) ? (ds.selected ? (['test'] as const) : []) : (['train', 'test'] as const);
      for (const split of splits) {
        const t0 = performance.now();
        const s = await ds.load(split);
        console.log(
          `${ds.id} ${split}: ${s.n} images ${s.shape.join('x')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      }
      if (isCorruptionDataset(ds) && !ds.selected)
        console.log(
          `${ds.id}: files in place; splits are decoded on first use (${ds.corruptions.length} corruptions x ${ds.severities.length} severities)`,
        );
      console.log(`${ds.id}: ${ds.folder ?? 'generated, nothing to fetch'}`);
      return 0;
    }
    const opts: LoadOptions = { dataDir: values.data, download: false };
    const ds = getDataset(id, opts);
    const rows = await verifyDataset(ds, opts);
    if (rows.length === 0) {
      console.log(`${ds.id}: nothing downloaded or cached under ${ds.folder ?? dataRoot(opts)}`);
      return 0;
    }
    for (const r of rows)
      console.log(
        `${r.state === 'ok' ? 'ok      ' : r.state === 'absent' ? 'absent  ' : 'MISMATCH'} ${r.kind.padEnd(6)} ${r.path}\n         ${r.detail}`,
      );
    const bad = rows.filter((r) => r.state === 'mismatch').length;
    console.log(bad ? `${ds.id}: ${bad} of ${rows.length} checks FAILED` : `${ds.id}: all present files verified`);
    return bad ? 1 : 0;
  },
};

export default command;
