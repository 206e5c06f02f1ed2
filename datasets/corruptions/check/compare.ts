// Usage: npx tsx datasets/corruptions/check/compare.ts RECORDS.bin REF_DIR (REF_DIR from reference_corrupt.py).
// Ours vs the reference on the 100 real CIFAR-10 test images: for deterministic corruptions the max |diff| and
// the share of identical bytes; for random ones the mean |change from clean| of both (different RNGs).
import { readFileSync } from 'node:fs';
import { corrupt, IMPLEMENTED_CORRUPTIONS } from '../corruptions.ts';
import { frostTextures } from '../frost-textures.ts';
import { jpegCodec } from '../jpeg-codec.ts';
import { Rng } from '../../../harness/foundation/rng.ts';
const raw = readFileSync(process.argv[2]);
const imgs: Uint8Array[] = [];
for (let i = 0; i < 100; i++) {
  const rec = raw.subarray(i * 3073 + 1, (i + 1) * 3073);
  const hwc = new Uint8Array(3072);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) hwc[p * 3 + c] = rec[c * 1024 + p];
  imgs.push(hwc);
}
const RANDOM = new Set([
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'speckle_noise',
  'glass_blur',
  'fog',
  'elastic_transform',
  'frost',
  'motion_blur',
  'snow',
  'jpeg_compression',
  'spatter',
]);
// Frost textures from RFTBENCH_FROST_DIR or <data>/frost; never downloaded here.
const jpeg = await jpegCodec();
const frost = await frostTextures(0.2, { download: false });
const rows: string[] = [];
for (const name of IMPLEMENTED_CORRUPTIONS) {
  const cells: string[] = [];
  for (let s = 1; s <= 5; s++) {
    const ref = readFileSync(`${process.argv[3]}/${name}_${s}.bin`);
    const rng = new Rng(s);
    let maxDiff = 0,
      same = 0,
      oursChange = 0,
      refChange = 0;
    imgs.forEach((img, i) => {
      const ours = corrupt(name, img, [32, 32, 3], s, rng, { frost, jpeg });
      for (let p = 0; p < 3072; p++) {
        const r = ref[i * 3072 + p];
        const d = Math.abs(ours[p] - r);
        maxDiff = Math.max(maxDiff, d);
        if (d === 0) same++;
        oursChange += Math.abs(ours[p] - img[p]);
        refChange += Math.abs(r - img[p]);
      }
    });
    const n = 100 * 3072;
    cells.push(
      RANDOM.has(name)
        ? `${(oursChange / n).toFixed(2)} / ${(refChange / n).toFixed(2)}`
        : `${maxDiff} (${((100 * same) / n).toFixed(1)}%)`,
    );
  }
  rows.push(
    `| ${name} | ${RANDOM.has(name) ? 'mean abs change, ours / reference' : 'max abs diff (identical bytes)'} | ${cells.join(' | ')} |`,
  );
}
console.log(rows.join('\n'));
