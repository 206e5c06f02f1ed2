/**
 * @module GTSRB, the German Traffic Sign Recognition Benchmark (Stallkamp et al. 2012): 43 classes,
 * 39,209 train and 12,630 test PPM images of varying size. Layout under `<data>/gtsrb/` (what the three
 * official zips produce): `GTSRB/Final_Training/Images/000NN/GT-000NN.csv` + `*.ppm`,
 * `GTSRB/Final_Test/Images/*.ppm`, and `GT-final_test.csv` (the test labels). Each image is cropped to
 * its ROI from the CSV (X1..X2, Y1..Y2 taken as inclusive pixel coordinates) and resized to 32x32 with
 * the bilinear filter of resize.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePpm } from './formats/ppm.ts';
import { memoize } from './memo.ts';
import { crop, resizeBilinear } from './resize.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

const BASE = 'https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/';
export const GTSRB_SIZE = 32;
const TRAIN_DIR = 'GTSRB/Final_Training/Images';
const TEST_DIR = 'GTSRB/Final_Test/Images';
const TEST_CSV = 'GT-final_test.csv';

export const GTSRB_SOURCE: DatasetSource = {
  folderName: 'gtsrb',
  files: [
    {
      name: 'GTSRB_Final_Training_Images.zip',
      md5: 'f33fd80ac59bff73c82d25ab499e03a3',
      provides: ['GTSRB/Final_Training'],
    },
    { name: 'GTSRB_Final_Test_Images.zip', md5: 'c7e4e6327067d32654124b0fe9e82185', provides: ['GTSRB/Final_Test'] },
    { name: 'GTSRB_Final_Test_GT.zip', md5: 'fe31e9c9270bbcd7b84b7f21a9d9d9e5', provides: [TEST_CSV] },
  ].map((f) => ({
    name: f.name,
    url: BASE + f.name,
    checksum: { algorithm: 'md5' as const, hex: f.md5 },
    archive: 'zip' as const,
    provides: f.provides,
  })),
};

export const GTSRB_CLASSES = [
  'Speed limit (20km/h)',
  'Speed limit (30km/h)',
  'Speed limit (50km/h)',
  'Speed limit (60km/h)',
  'Speed limit (70km/h)',
  'Speed limit (80km/h)',
  'End of speed limit (80km/h)',
  'Speed limit (100km/h)',
  'Speed limit (120km/h)',
  'No passing',
  'No passing for vehicles over 3.5 metric tons',
  'Right-of-way at the next intersection',
  'Priority road',
  'Yield',
  'Stop',
  'No vehicles',
  'Vehicles over 3.5 metric tons prohibited',
  'No entry',
  'General caution',
  'Dangerous curve to the left',
  'Dangerous curve to the right',
  'Double curve',
  'Bumpy road',
  'Slippery road',
  'Road narrows on the right',
  'Road work',
  'Traffic signals',
  'Pedestrians',
  'Children crossing',
  'Bicycles crossing',
  'Beware of ice/snow',
  'Wild animals crossing',
  'End of all speed and passing limits',
  'Turn right ahead',
  'Turn left ahead',
  'Ahead only',
  'Go straight or right',
  'Go straight or left',
  'Keep right',
  'Keep left',
  'Roundabout mandatory',
  'End of no passing',
  'End of no passing by vehicles over 3.5 metric tons',
];

export interface GtsrbRow {
  filename: string;
  roi: [number, number, number, number];
  classId: number;
}

const COLUMNS = ['Filename', 'Roi.X1', 'Roi.Y1', 'Roi.X2', 'Roi.Y2', 'ClassId'];

/** Parses a GTSRB annotation CSV (semicolon separated, with a header naming the columns). */
export function parseGtsrbCsv(text: string, file: string): GtsrbRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty CSV`);
  const header = lines[0].split(';').map((s) => s.trim());
  const col = COLUMNS.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: header has no '${name}' column (header: ${lines[0]})`);
    return i;
  });
  return lines.slice(1).map((line, k) => {
    const cells = line.split(';');
    const nums = col.slice(1).map((i) => Number(cells[i]));
    if (cells.length < header.length || nums.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new Error(`${file}: line ${k + 2} is malformed ('${line}')`);
    }
    const classId = nums[4];
    if (classId >= GTSRB_CLASSES.length) throw new Error(`${file}: line ${k + 2}: ClassId ${classId} is not 0..42`);
    return { filename: cells[col[0]].trim(), roi: [nums[0], nums[1], nums[2], nums[3]], classId };
  });
}

/** Reads, crops and resizes the images a CSV lists, in CSV order, into a split. */
export function gtsrbImages(dir: string, rows: GtsrbRow[], size = GTSRB_SIZE): DataSplit {
  const per = size * size * 3;
  const images = new Uint8Array(rows.length * per);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const file = join(dir, r.filename);
    if (!existsSync(file)) throw new Error(`gtsrb: missing ${file} (listed in the CSV)`);
    const img = parsePpm(readFileSync(file), file);
    const [x1, y1, x2, y2] = r.roi;
    if (x1 > x2 || y1 > y2 || x1 >= img.width || y1 >= img.height)
      throw new Error(`gtsrb: ${file}: ROI (${r.roi.join(', ')}) is outside the ${img.width}x${img.height} image`);
    images.set(resizeBilinear(crop(img, x1, y1, x2, y2), size, size).data, i * per);
    labels[i] = r.classId;
  });
  return { images, labels, n: rows.length, shape: [size, size, 3] };
}

function concat(parts: DataSplit[]): DataSplit {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const per = parts[0].images.length / Math.max(1, parts[0].n);
  const images = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * per);
    labels.set(p.labels, at);
    at += p.n;
  }
  return { images, labels, n, shape: parts[0].shape };
}

function classFolders(trainDir: string): string[] {
  const folders = readdirSync(trainDir)
    .filter((d) => /^\d{5}$/.test(d))
    .sort();
  if (folders.length === 0) throw new Error(`gtsrb: ${trainDir} has no class folders (00000 ... 00042)`);
  return folders;
}

export function gtsrb(opts: LoadOptions = {}): Dataset {
  const folder = datasetFolder(GTSRB_SOURCE, opts);
  const version = `gtsrb-final-roi-bilinear${GTSRB_SIZE}-v1`;
  const decode = async (split: SplitName): Promise<DataSplit> => {
    if (split === 'train') {
      const trainDir = join(await ensureFiles('gtsrb', GTSRB_SOURCE, [TRAIN_DIR], opts), TRAIN_DIR);
      return concat(
        classFolders(trainDir).map((c) => {
          const csv = join(trainDir, c, `GT-${c}.csv`);
          if (!existsSync(csv)) throw new Error(`gtsrb: missing ${csv}`);
          return gtsrbImages(join(trainDir, c), parseGtsrbCsv(readFileSync(csv, 'utf8'), csv));
        }),
      );
    }
    const dir = await ensureFiles('gtsrb', GTSRB_SOURCE, [TEST_DIR, TEST_CSV], opts);
    const csv = join(dir, TEST_CSV);
    return gtsrbImages(join(dir, TEST_DIR), parseGtsrbCsv(readFileSync(csv, 'utf8'), csv));
  };
  const sources = (split: SplitName): string[] => {
    if (split === 'test') return [join(folder, TEST_CSV)];
    const trainDir = join(folder, TRAIN_DIR);
    return existsSync(trainDir) ? classFolders(trainDir).map((c) => join(trainDir, c, `GT-${c}.csv`)) : [];
  };
  return {
    id: 'gtsrb',
    version,
    classNames: GTSRB_CLASSES,
    inputShape: [GTSRB_SIZE, GTSRB_SIZE, 3],
    mean: [0.3403, 0.3121, 0.3214],
    std: [0.2724, 0.2608, 0.2669],
    source: GTSRB_SOURCE,
    folder,
    load: memoize((split: SplitName) =>
      cachedSplit(
        { folder, version, split },
        () => sources(split),
        () => decode(split),
        opts.log,
      ),
    ),
    async prepare() {
      await ensureFiles('gtsrb', GTSRB_SOURCE, [TRAIN_DIR, TEST_DIR, TEST_CSV], opts);
    },
  };
}
