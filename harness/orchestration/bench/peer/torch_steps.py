"""PyTorch side of `npm run bench:peer`: the zoo's ResNets rebuilt in PyTorch with our parameter names, so a
checkpoint of ours loads name for name (torch_autoattack.py does), timed for a training step (SGD momentum 0.9,
weight decay 5e-4, cross-entropy), a PGD step (input gradient of the cross-entropy, eval mode, one signed step
projected to the Linf ball and [0, 1]) and an inference pass, at the same batch and thread count.

- CIFAR-style (harness/foundation/models/resnet-cifar.ts): 3x3 stride-1 stem without max-pool, BasicBlocks, 1x1 conv + BN
  shortcuts, global average pooling, `linear` head.
- ImageNet-style ResNet-50 (harness/foundation/models/resnet-imagenet.ts): 7x7/2 stem, 3x3/2 max-pool, bottleneck blocks
  (expansion 4, stride on the 3x3 conv), 1x1 conv + BN `downsample`, global average pooling, `fc` head.
Both normalise the input first (mean/std as non-persistent buffers: our checkpoints keep them in the metadata).

Usage: python3 torch_steps.py THREADS SECONDS NAME:ARCH:H:W:C:CLASSES:BATCH ...   one JSON line per task
       python3 torch_steps.py --count NAME:ARCH:H:W:C:CLASSES:BATCH ...           parameter counts per case
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """Stages `layer1..K`: the first block of every stage after the first strides by 2 (harness/foundation/models/stages.ts)."""

    def __init__(self, block, widths, blocks, channels, classes, mean, std, imagenet_stem):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean).view(1, channels, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, channels, 1, 1), persistent=False)
        self.imagenet_stem = imagenet_stem
        if imagenet_stem:
            self.conv1 = nn.Conv2d(channels, widths[0], 7, 2, 3, bias=False)
        else:
            self.conv1 = nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layer = []
            for j in range(n):
                layer.append(block(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w * block.expansion
            setattr(self, f'layer{i + 1}', nn.Sequential(*layer))
        self.n_layers = len(widths)
        # The head's name follows the reference each family copies: torchvision's `fc`, kuangliu's `linear`.
        self.head_name = 'fc' if imagenet_stem else 'linear'
        setattr(self, self.head_name, nn.Linear(cin, classes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1((x - self.mean) / self.std)))
        if self.imagenet_stem:
            out = F.max_pool2d(out, 3, 2, 1)
        for i in range(self.n_layers):
            out = getattr(self, f'layer{i + 1}')(out)
        return getattr(self, self.head_name)(F.adaptive_avg_pool2d(out, 1).flatten(1))


# arch id (harness/foundation/models/zoo.ts) -> (block, stage widths, blocks per stage, ImageNet stem)
ARCHS = {
    'small-resnet': (BasicBlock, [16, 32, 64], [1, 1, 1], False),
    'resnet18': (BasicBlock, [64, 128, 256, 512], [2, 2, 2, 2], False),
    'resnet34': (BasicBlock, [64, 128, 256, 512], [3, 4, 6, 3], False),
    'resnet50': (Bottleneck, [64, 128, 256, 512], [3, 4, 6, 3], True),
}


def build(arch, channels, classes, mean=None, std=None):
    if arch not in ARCHS:
        raise SystemExit(f'torch_steps.py: no PyTorch build of arch {arch!r} (known: {", ".join(ARCHS)})')
    block, widths, blocks, imagenet_stem = ARCHS[arch]
    mean = mean if mean is not None else [0.5] * channels
    std = std if std is not None else [0.25] * channels
    return ResNet(block, widths, blocks, channels, classes, mean, std, imagenet_stem)


def parse_case(case):
    name, arch, h, w, c, classes, batch = case.split(':')
    return name, arch, int(h), int(w), int(c), int(classes), int(batch)


def timed(fn, seconds):
    for _ in range(2):
        fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 2:
            return elapsed / n


def count(cases):
    for case in cases:
        name, arch, _, _, c, classes, _ = parse_case(case)
        params = list(build(arch, c, classes).parameters())
        print(json.dumps({'model': name, 'parameters': sum(p.numel() for p in params), 'tensors': len(params)}))


def main():
    if sys.argv[1] == '--count':
        return count(sys.argv[2:])
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for case in sys.argv[3:]:
        name, arch, h, w, c, classes, batch = parse_case(case)
        model = build(arch, c, classes)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        x = torch.rand(batch, c, h, w)
        y = torch.arange(batch) % classes
        eps, alpha = 8 / 255, 2 / 255

        def train():
            model.train()
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        def pgd_step():
            model.eval()
            xa = x.clone().requires_grad_(True)
            loss = F.cross_entropy(model(xa), y)
            (g,) = torch.autograd.grad(loss, xa)
            with torch.no_grad():
                (torch.min(torch.max(xa + alpha * g.sign(), x - eps), x + eps)).clamp_(0, 1)

        def infer():
            model.eval()
            with torch.no_grad():
                model(x)

        for task, fn in (('train step', train), ('PGD step', pgd_step), ('inference', infer)):
            ms = timed(fn, seconds) * 1000
            print(json.dumps({'model': name, 'task': task, 'batch': batch, 'msPerBatch': ms,
                              'imagesPerSecond': batch * 1000 / ms, 'threads': threads, 'torch': torch.__version__}))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
