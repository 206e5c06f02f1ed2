/**
 * @module The allow-list of globals a torch checkpoint may name, each interpreted by our own code:
 * OrderedDict, the tensor/parameter rebuild functions, storage classes, torch dtypes, torch.Size, numpy
 * scalars and dtypes (as plain numbers), `_codecs.encode` (how protocol 2 writes bytes), set/frozenset/
 * slice. Any other name becomes a placeholder in pickle.ts: nothing from the file ever runs.
 */
import { f16ToF32 } from '../dtypes.ts';
import { acceptBuild, describe, knownGlobal, latin1Bytes } from './pickle.ts';
import { STORAGE_DTYPES, TorchStorage, TorchStorageType, TorchTensor } from './tensor.ts';

/** The value of a `torch.float32`-style global. */
export class TorchDtype {
  constructor(readonly name: string) {}
}

const TORCH_DTYPES = [
  'float32',
  'float',
  'float16',
  'half',
  'bfloat16',
  'float64',
  'double',
  'int64',
  'long',
  'int32',
  'int',
  'int16',
  'short',
  'int8',
  'uint8',
  'bool',
];

/** numpy.dtype('<i8')-style value; BUILD sets the byte order. */
class NumpyDtype {
  order = '<';
  constructor(readonly code: string) {}
}

const NUMPY_SCALARS: Record<string, (v: DataView, little: boolean) => number | bigint | boolean> = {
  f2: (v, le) => f16ToF32(Uint8Array.of(v.getUint8(le ? 0 : 1), v.getUint8(le ? 1 : 0)))[0],
  f4: (v, le) => v.getFloat32(0, le),
  f8: (v, le) => v.getFloat64(0, le),
  i1: (v) => v.getInt8(0),
  i2: (v, le) => v.getInt16(0, le),
  i4: (v, le) => v.getInt32(0, le),
  i8: (v, le) => narrowBig(v.getBigInt64(0, le)),
  u1: (v) => v.getUint8(0),
  u2: (v, le) => v.getUint16(0, le),
  u4: (v, le) => v.getUint32(0, le),
  u8: (v, le) => narrowBig(v.getBigUint64(0, le)),
  b1: (v) => v.getUint8(0) !== 0,
};

function narrowBig(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function ints(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || !x.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) {
    throw new Error(`${what} is not a tuple of ints (${describe(x)})`);
  }
  return x as number[];
}

/** Storage views from very old legacy files: a window on a root storage. */
export class StorageView {
  constructor(
    readonly root: TorchStorage,
    readonly offset: number,
  ) {}
}

function rebuildTensor(args: unknown[], made: TorchTensor[]): TorchTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  const base =
    storage instanceof StorageView
      ? storage
      : storage instanceof TorchStorage
        ? new StorageView(storage, 0)
        : undefined;
  if (!base) throw new Error(`expects a storage, got a ${describe(storage)}`);
  if (typeof offset !== 'number') throw new Error(`storage offset is a ${describe(offset)}`);
  const shape = ints(size, 'size');
  const t = new TorchTensor(base.root, base.offset + offset, shape, ints(stride, 'stride'), requiresGrad === true);
  made.push(t);
  return t;
}

/** `made` collects every tensor so the reader can check each against its storage once data is in. */
export function torchGlobals(made: TorchTensor[]): (module: string, name: string) => unknown {
  const table = new Map<string, unknown>();
  const fn = (full: string, call: (args: unknown[]) => unknown) => table.set(full, knownGlobal(full, call));

  fn('collections.OrderedDict', (args) => {
    const map = new Map<unknown, unknown>();
    for (const pair of (args[0] as unknown[] | undefined) ?? []) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error('items are not (key, value) pairs');
      map.set(pair[0], pair[1]);
    }
    return map;
  });
  fn('torch._utils._rebuild_tensor', (args) => rebuildTensor(args, made));
  fn('torch._utils._rebuild_tensor_v2', (args) => rebuildTensor(args, made));
  // A Parameter is its data: requires_grad and hooks do not matter to a state dict.
  fn('torch._utils._rebuild_parameter', (args) => args[0]);
  fn('torch._utils._rebuild_parameter_with_state', (args) => args[0]);
  fn('torch.Size', (args) => ints(args[0] ?? [], 'torch.Size'));
  fn('builtins.set', (args) => new Set((args[0] as Iterable<unknown>) ?? []));
  fn('builtins.frozenset', (args) => new Set((args[0] as Iterable<unknown>) ?? []));
  fn('builtins.slice', (args) => ({ $slice: args }));
  fn('_codecs.encode', ([text, encoding]) => {
    if (typeof text !== 'string') throw new Error(`expects a string, got a ${describe(text)}`);
    const e = String(encoding ?? 'utf-8')
      .toLowerCase()
      .replace('_', '-');
    if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') return latin1Bytes(text);
    if (e === 'utf-8' || e === 'utf8') return new Uint8Array(Buffer.from(text, 'utf8'));
    throw new Error(`encoding ${JSON.stringify(encoding)} is not read`);
  });
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    table.set(`torch.${name}`, new TorchStorageType(`torch.${name}`, dtype));
    table.set(`torch.cuda.${name}`, new TorchStorageType(`torch.cuda.${name}`, dtype));
  }
  for (const name of TORCH_DTYPES) table.set(`torch.${name}`, new TorchDtype(`torch.${name}`));
  for (const np of ['numpy.core.multiarray', 'numpy._core.multiarray']) fn(`${np}.scalar`, numpyScalar);
  fn('numpy.dtype', ([code]) => {
    if (typeof code !== 'string') throw new Error(`dtype code is a ${describe(code)}`);
    return acceptBuild(new NumpyDtype(code), (d, state) => {
      const order = Array.isArray(state) ? state[1] : undefined;
      if (typeof order === 'string') d.order = order;
      return d;
    });
  });
  return (module, name) => table.get(`${module}.${name}`);
}

/** numpy.core.multiarray.scalar(dtype, raw bytes) → the plain number it holds. */
function numpyScalar([dtype, raw]: unknown[]): unknown {
  if (!(dtype instanceof NumpyDtype)) throw new Error(`expects a numpy dtype, got a ${describe(dtype)}`);
  if (!(raw instanceof Uint8Array)) throw new Error(`expects bytes, got a ${describe(raw)}`);
  const read = NUMPY_SCALARS[dtype.code.replace(/^[<>|=]/, '')];
  if (!read) throw new Error(`numpy dtype ${dtype.code} is not read (numbers and bools only)`);
  return read(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), dtype.order !== '>');
}
