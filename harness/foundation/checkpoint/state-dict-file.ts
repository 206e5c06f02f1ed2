/**
 * @module One entry point for every checkpoint file rftbench reads: safetensors (ours or others') and
 * both torch.save formats, told apart by their first bytes (not the extension). It finds the state
 * dict inside the file's container (the root, or `state_dict` / `model` / `net` / `model_state_dict`)
 * and returns it flat, every tensor F32 (floats) or I64 (integers), in PyTorch names and layout.
 */
import { createHash } from 'node:crypto';
import { toStandardDtype } from './dtypes.ts';
import { decodeSafetensors, type SafeTensor } from './safetensors.ts';
import { Placeholder } from './torch/pickle.ts';
import { parseTorch, readFileBytes, torchFormatOf } from './torch/read-torch.ts';
import { TorchTensor } from './torch/tensor.ts';

export interface StateDictFile {
  path: string;
  sha256: string;
  format: 'safetensors' | 'torch-zip' | 'torch-legacy';
  /** Flat name → tensor, converted to F32 (floats) or I64 (integers); the nested container unwrapped. */
  tensors: Map<string, SafeTensor>;
  /** Where the state dict was found inside the file, e.g. "['model']" or "['state_dict']" or "(root)". */
  container: string;
  /** Non-tensor scalars found beside it (e.g. epoch: 90); bigints beyond 2^53 as decimal strings. */
  extras: Record<string, unknown>;
  /** Globals the file named that rftbench did not interpret (kept as inert data), once each. */
  placeholders: string[];
  /** safetensors: the parsed rftbench JSON when present, else the raw __metadata__ strings; torch: {}. */
  metadata: Record<string, unknown>;
}

/** Where torch checkpoints keep the state dict when it is not the root, in order of preference. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'net', 'model_state_dict'] as const;

/** safetensors: 8-byte header length, then the JSON header, which starts with '{'. */
function isSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[8] === 0x7b;
}

export function readStateDictFile(path: string): StateDictFile {
  const bytes = readFileBytes(path, 'checkpoint');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (torchFormatOf(bytes)) return fromTorch(path, sha256, bytes);
  if (isSafetensors(bytes)) return fromSafetensors(path, sha256, bytes);
  const head = Buffer.from(bytes.subarray(0, 8)).toString('hex');
  throw new Error(
    `${path}: not a checkpoint rftbench reads (neither safetensors nor a torch.save zip or legacy file; ` +
      `first bytes ${head})`,
  );
}

function fromSafetensors(path: string, sha256: string, bytes: Uint8Array): StateDictFile {
  const { tensors, metadata: raw } = decodeSafetensors(bytes, path);
  let metadata: Record<string, unknown> = raw ?? {};
  if (typeof raw?.rftbench === 'string') {
    try {
      metadata = JSON.parse(raw.rftbench);
    } catch {
      throw new Error(`${path}: __metadata__.rftbench is not valid JSON`);
    }
  }
  const standard = new Map([...tensors].map(([name, t]) => [name, toStandardDtype(t)]));
  return {
    path,
    sha256,
    format: 'safetensors',
    tensors: standard,
    container: '(root)',
    extras: {},
    placeholders: [],
    metadata,
  };
}

function isTensorDict(x: unknown): x is Map<string, TorchTensor> {
  return x instanceof Map && x.size > 0 && [...x].every(([k, v]) => typeof k === 'string' && v instanceof TorchTensor);
}

function fromTorch(path: string, sha256: string, bytes: Uint8Array): StateDictFile {
  const { root, placeholders, format } = parseTorch(bytes, path);
  let dict: Map<string, TorchTensor> | undefined;
  let container = '(root)';
  const extras: Record<string, unknown> = {};
  if (isTensorDict(root)) dict = root;
  else if (root instanceof Map) {
    const key = STATE_DICT_KEYS.find((k) => isTensorDict(root.get(k)));
    if (key) {
      dict = root.get(key) as Map<string, TorchTensor>;
      container = `['${key}']`;
      for (const [k, v] of root) if (typeof k === 'string' && k !== key && isScalar(v)) extras[k] = scalar(v);
    }
  }
  if (!dict) throw new Error(`${path}: no state dict found: ${describeRoot(root)}${placeholderNote(placeholders)}`);
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of dict) tensors.set(name, toStandardDtype(t.toSafeTensor()));
  return { path, sha256, format, tensors, container, extras, placeholders, metadata: {} };
}

function isScalar(v: unknown): boolean {
  return v === null || ['number', 'bigint', 'string', 'boolean'].includes(typeof v);
}

function scalar(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function describeRoot(root: unknown): string {
  if (root instanceof Placeholder) return `the file's object is ${root.$global}(...), which rftbench does not run`;
  if (root instanceof Map) {
    const keys = [...root.keys()].slice(0, 12).map((k) => JSON.stringify(typeof k === 'bigint' ? k.toString() : k));
    const where = STATE_DICT_KEYS.join('/');
    return `the root is a dict with keys [${keys.join(', ')}] and neither it nor its ${where} entry is a dict of tensors`;
  }
  if (root instanceof TorchTensor) return 'the root is a single tensor, not a dict of tensors';
  return `the root is a ${Array.isArray(root) ? 'list' : root === null ? 'None' : typeof root}, not a dict of tensors`;
}

function placeholderNote(placeholders: string[]): string {
  return placeholders.length ? ` (it names globals rftbench does not run: ${placeholders.join(', ')})` : '';
}
