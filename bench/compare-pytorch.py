#!/usr/bin/env python3
"""The rows of `npm run bench` in PyTorch (CPU, 2 threads), for `npm run bench -- --compare`.

Optional: needs Debian's python3-torch (`apt-get install -y python3-torch`); the
library never needs it. Prints {row name: best milliseconds} as JSON with --json.
The models mirror src/models (smallCnn: three 3x3 convs 1->16, 16->32 stride 2,
32->64 stride 2, each BatchNorm + ReLU, then linear 64*7*7->10; resnet20: the
paper's ResNet(6n+2) with n = 3), with the same input normalization layer.
Best of 10 after 3 warm-ups (see best_ms); PGD-20 best of 3 after a warm-up.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
B = 128


class Normalize(nn.Module):
    def forward(self, x):
        return (x - 0.1307) / 0.3081


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.normalize = Normalize()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
        self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32)
        self.conv3, self.bn3 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64)
        self.linear = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        x = self.normalize(x)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return self.linear(x.flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.normalize = Normalize()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(self.normalize(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def best_ms(fn, repeats=10, warmups=3):
    """Best of `repeats` after `warmups`. More runs than the TypeScript side takes:
    PyTorch's times on a shared 2-core VM scatter by 3-6x from run to run
    (measured: the small-cnn step 17-104 ms), and the best of 10 settles near its
    quiet-machine figure; taking the best favours PyTorch, never us."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def pgd(model, x, labels, eps=0.3, steps=20):
    step = eps / 10
    delta = (torch.rand_like(x) * 2 - 1) * eps
    for p in model.parameters():
        p.requires_grad_(False)
    for _ in range(steps):
        xa = (x + delta).clamp(0, 1).requires_grad_(True)
        loss = F.cross_entropy(model(xa), labels)
        (grad,) = torch.autograd.grad(loss, xa)
        delta = (delta + step * grad.sign()).clamp(-eps, eps)
        delta = (x + delta).clamp(0, 1) - x
    for p in model.parameters():
        p.requires_grad_(True)
    return x + delta


def blas_libraries():
    """The BLAS shared libraries this process has loaded (Linux only; [] elsewhere)."""
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if 'blas' in line or 'mkl' in line}
    except OSError:
        return []
    return sorted(paths)


def warn_if_reference_blas():
    """Debian's python3-torch uses whichever libblas.so.3 is installed: without
    libopenblas0-pthread that is the unoptimized reference BLAS, which makes
    PyTorch's matmul and linear layers ~15x slower (measured: matmul 1024² 385
    vs 25 ms) and every ratio against it flattering."""
    libraries = blas_libraries()
    if libraries and not any(name in path for path in libraries for name in ('openblas', 'blis', 'mkl')):
        print('WARNING: PyTorch is using the reference BLAS (' + ', '.join(libraries) + '); '
              'install libopenblas0-pthread for a fair baseline.', file=sys.stderr)


def main():
    rows = {}
    for size in (512, 1024):
        a, b = torch.randn(size, size), torch.randn(size, size)
        rows[f'matmul {size}²'] = best_ms(lambda: a @ b)
    warn_if_reference_blas()
    x = torch.randn(B, 16, 28, 28)
    w = torch.randn(32, 16, 3, 3)
    g = torch.randn(B, 32, 28, 28)
    label = 'conv 128×16→32 28² 3×3'
    rows[f'{label} forward'] = best_ms(lambda: F.conv2d(x, w, padding=1))
    rows[f'{label} grad-input'] = best_ms(lambda: torch.nn.grad.conv2d_input(x.shape, w, g, padding=1))
    rows[f'{label} grad-weight'] = best_ms(lambda: torch.nn.grad.conv2d_weight(x, w.shape, g, padding=1))
    images = torch.rand(B, 1, 28, 28)
    labels = torch.randint(0, 10, (B,))
    for name, make in (('small-cnn', SmallCnn), ('resnet20', ResNet20)):
        model = make()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

        def step():
            model.train()
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()

        rows[f'{name} train step'] = best_ms(step)
        model.eval()
        with torch.no_grad():
            rows[f'{name} eval forward'] = best_ms(lambda: model(images))
        rows[f'{name} PGD-20'] = best_ms(lambda: pgd(model, images, labels), repeats=3, warmups=1)
    if '--json' in sys.argv:
        print(json.dumps(rows))
    else:
        for key, value in rows.items():
            print(f'{key:45s} {value:9.1f} ms')


if __name__ == '__main__':
    main()
