/**
 * Test-only file and image makers beside the production format writers (`datasets/formats/writers.ts`):
 * zip archives (stored or deflated, via node:zlib) and simple RGB images to put in them.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** A width x height RGB image filled with `outside`, with the box x1..x2, y1..y2 (inclusive) filled with `inside`. */
export function boxImage(
  width: number,
  height: number,
  box: [number, number, number, number],
  inside: number[],
  outside: number[],
): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3] ? inside : outside;
      rgb.set(c, (y * width + x) * 3);
    }
  return rgb;
}

// ---------------------------------------------------------------- ZIP
/** A zip archive (local headers, central directory, end record); entries ending in '/' are folders. */
export function writeZip(entries: { name: string; data?: Uint8Array }[], { deflate = true } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = Buffer.from(e.data ?? new Uint8Array(0));
    const method = deflate && raw.length > 0 ? 8 : 0;
    const body = method === 8 ? deflateRawSync(raw) : raw;
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** A solid-colour RGB image. */
export function solid(width: number, height: number, color: number[]): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(color, 3 * i);
  return rgb;
}
