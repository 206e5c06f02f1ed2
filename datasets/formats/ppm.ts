/**
 * @module Binary PPM (`P6`), the format of GTSRB: ASCII header `P6 <width> <height> <maxval>` with `#`
 * comments, one whitespace byte, then RGB bytes row by row. 16-bit files (maxval > 255) are refused;
 * a maxval below 255 is rescaled to 0..255.
 */

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major, `width * height * 3` bytes. */
  data: Uint8Array;
}

export function parsePpm(bytes: Uint8Array, file: string): RgbImage {
  if (bytes.length < 2 || bytes[0] !== 0x50 || bytes[1] !== 0x36)
    throw new Error(`${file}: not a binary PPM (magic is not 'P6')`);
  let at = 2;
  const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const nextNumber = (field: string): number => {
    for (;;) {
      while (at < bytes.length && isSpace(bytes[at])) at++;
      if (bytes[at] !== 0x23) break; // '#': comment to end of line
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    }
    const start = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++;
    if (at === start) throw new Error(`${file}: truncated or malformed PPM header (no ${field})`);
    return Number(new TextDecoder().decode(bytes.subarray(start, at)));
  };
  const width = nextNumber('width');
  const height = nextNumber('height');
  const maxval = nextNumber('maxval');
  if (width === 0 || height === 0) throw new Error(`${file}: PPM size ${width}x${height} is empty`);
  if (maxval < 1 || maxval > 255)
    throw new Error(`${file}: PPM maxval ${maxval} is not 1..255 (16-bit PPM is not supported)`);
  if (!isSpace(bytes[at])) throw new Error(`${file}: malformed PPM header (no whitespace after maxval)`);
  at++;
  const need = width * height * 3;
  if (bytes.length - at < need)
    throw new Error(
      `${file}: truncated: ${width}x${height} PPM needs ${need} pixel bytes, the file has ${bytes.length - at}`,
    );
  let data = bytes.subarray(at, at + need);
  if (maxval !== 255) data = Uint8Array.from(data, (v) => Math.round((v * 255) / maxval));
  return { width, height, data };
}
