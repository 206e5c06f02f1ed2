"""PyTorch side of `npm run bench:peer`: the same CIFAR-style ResNets as harness/models/resnet-cifar.ts
(3x3 stem without max-pool, BasicBlocks, 1x1 conv + BN shortcuts, global average pooling, linear head, input
normalisation), timed for a training step (SGD momentum 0.9, weight decay 5e-4, cross-entropy), a PGD step
(input gradient of the cross-entropy, eval mode, one signed step projected to the Linf ball and [0, 1]) and an
inference pass, at the same batch and thread count. Prints one JSON object per line.

Usage: python3 torch_steps.py THREADS SECONDS NAME:ARCH:H:W:C:CLASSES:BATCH ...
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, widths, blocks, channels, classes):
        super().__init__()
        self.register_buffer('mean', torch.full((1, channels, 1, 1), 0.5))
        self.register_buffer('std', torch.full((1, channels, 1, 1), 0.25))
        self.conv1 = nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(Block(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        x = (x - self.mean) / self.std
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


ARCHS = {'small-resnet': ([16, 32, 64], [1, 1, 1]), 'resnet18': ([64, 128, 256, 512], [2, 2, 2, 2])}


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


def main():
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for case in sys.argv[3:]:
        name, arch, h, w, c, classes, batch = case.split(':')
        h, w, c, classes, batch = int(h), int(w), int(c), int(classes), int(batch)
        widths, blocks = ARCHS[arch]
        model = ResNet(widths, blocks, c, classes)
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
            print(json.dumps({'model': name, 'task': task, 'batch': batch, 'msPerBatch': ms, 'imagesPerSecond': batch * 1000 / ms, 'threads': threads, 'torch': torch.__version__}))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
