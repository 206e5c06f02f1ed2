"""PyTorch side of bench:peer's AutoAttack row: the official AutoAttack (fra31/auto-attack, package `autoattack`)
on one of our checkpoints, rebuilt with torch_steps.py's model definitions, on the points the harness wrote.

The package is imported from RFTBENCH_AUTOATTACK_PATH (a checkout's root) or from PYTHONPATH; where it is not
importable the script exits with status 3 and says why, and the row is skipped. APGD-T's and FAB-T's target
counts are capped at classes - 1, as our AutoAttack caps them (the reference indexes past the classes otherwise).

Usage: python3 torch_autoattack.py MODEL.safetensors POINTS.safetensors THREADS EPS VERSION BATCH SEED
  MODEL: an rftbench checkpoint (PyTorch names and layout; its metadata's `spec` names arch, classes, mean, std)
  POINTS: `images` uint8 [N, H, W, C] and `labels` int32 [N]
Prints one JSON object: seconds (the evaluation alone), clean and robust accuracy, the clean predictions (to check
the rebuilt model against ours), torch and autoattack versions.
"""
import json
import os
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_steps import build  # noqa: E402

NOT_IMPORTABLE = 3
DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8}


def read_safetensors(path):
    """Tensors and metadata of a safetensors file: 8-byte header length, JSON header, raw little-endian data."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if entry['dtype'] not in DTYPES:
            raise SystemExit(f'{path}: tensor {name} has dtype {entry["dtype"]}, not one of {", ".join(DTYPES)}')
        begin, end = entry['data_offsets']
        raw = bytearray(body[begin:end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[entry['dtype']]).reshape(entry['shape']).clone()
    return tensors, meta


def load_model(path):
    tensors, meta = read_safetensors(path)
    spec = json.loads(meta.get('rftbench', '{}')).get('spec')
    if not spec:
        raise SystemExit(f'{path}: no model spec in __metadata__.rftbench')
    if spec.get('width') is not None:
        raise SystemExit(f'{path}: spec.width {spec["width"]}: width-scaled models are not built by torch_steps.py')
    h, w, c = spec['inputShape']
    model = build(spec['arch'], c, spec['numClasses'], spec['mean'], spec['std'])
    model.load_state_dict(tensors, strict=True)
    return model.eval(), spec


def main():
    model_path, points_path = sys.argv[1], sys.argv[2]
    threads, eps, version, batch, seed = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(
        sys.argv[7])
    extra = os.environ.get('RFTBENCH_AUTOATTACK_PATH')
    if extra:
        sys.path.insert(0, extra)
    try:
        import autoattack
        from autoattack import AutoAttack
    except ImportError as err:
        where = f'RFTBENCH_AUTOATTACK_PATH={extra}' if extra else 'PYTHONPATH (or set RFTBENCH_AUTOATTACK_PATH)'
        print(f'the official autoattack package is not importable from {where}: {err}', file=sys.stderr)
        sys.exit(NOT_IMPORTABLE)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model, spec = load_model(model_path)
    points, _ = read_safetensors(points_path)
    x = points['images'].permute(0, 3, 1, 2).float() / 255
    y = points['labels'].long()
    with torch.no_grad():
        predictions = model(x).argmax(1)
    clean = (predictions == y).float().mean().item()
    adversary = AutoAttack(model, norm='Linf', eps=eps, version=version, device='cpu', seed=seed, verbose=False)
    targets = min(9, spec['numClasses'] - 1)
    adversary.apgd_targeted.n_target_classes = targets
    adversary.fab.n_target_classes = targets
    start = time.perf_counter()
    x_adv = adversary.run_standard_evaluation(x, y, bs=batch)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        robust = (model(x_adv).argmax(1) == y).float().mean().item()
    linf = (x_adv - x).abs().max().item()
    print(json.dumps({'seconds': seconds, 'cleanAccuracy': clean, 'robustAccuracy': robust, 'maxPerturbation': linf,
                      'points': len(y), 'cleanPredictions': predictions.tolist(), 'threads': threads, 'torch': torch.__version__,
                      'autoattack': getattr(autoattack, '__version__', 'unversioned'),
                      'autoattackPath': os.path.dirname(os.path.abspath(autoattack.__file__))}))


if __name__ == '__main__':
    main()
