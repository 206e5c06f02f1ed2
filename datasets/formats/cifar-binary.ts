/**
 * @module The CIFAR binary format: fixed-size records of label byte(s) then 1024 R, 1024 G, 1024 B
 * (each plane row-major 32x32). CIFAR-10 has one label byte, CIFAR-100 two (coarse, fine). Converted
 * to our NHWC layout.
 */

export interface CifarRecords {
  images: Uint8Array;
  /** One array per label byte: CIFAR-10 [label], CIFAR-100 [coarse, fine]. */
  labels: Int32Array[];
  n: number;
}

const PIXELS = 32 * 32;

export function parseCifarBinary(bytes: Uint8Array, labelBytes: 1 | 2, file: string): CifarRecords {
  const record = labelBytes + 3 * PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new Error(
      `${file}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR records (truncated or not CIFAR-${labelBytes === 1 ? 10 : 100})`,
    );
  }
  const n = bytes.length / record;
  const images = new Uint8Array(n * 3 * PIXELS);
  const labels = Array.from({ length: labelBytes }, () => new Int32Array(n));
  for (let i = 0; i < n; i++) {
    const base = i * record;
    for (let l = 0; l < labelBytes; l++) labels[l][i] = bytes[base + l];
    const px = base + labelBytes;
    const out = i * 3 * PIXELS;
    // Planar RGB to interleaved HWC.
    for (let p = 0; p < PIXELS; p++) {
      images[out + 3 * p] = bytes[px + p];
      images[out + 3 * p + 1] = bytes[px + PIXELS + p];
      images[out + 3 * p + 2] = bytes[px + 2 * PIXELS + p];
    }
  }
  return { images, labels, n };
}
