#!/usr/bin/env python3
"""Does the conv initialization explain why our resnet8 ends ~1 point under an
independent PyTorch resnet8 on Fashion-MNIST (issue 33)? A PyTorch resnet8 that
matches src/models/resnet.ts (depth 8: one basic block per stage, 1x1 conv + BN
shortcuts; bench/compare-pytorch.py's ResNet20 with n = 1), trained with the
fashion-mnist preset's recipe (all 60,000 images, 10 epochs, SGD lr 0.1,
momentum 0.9, weight decay 1e-4, batch 128, lr /10 from the 8th epoch, no
flips, inputs normalized in the model), printing one JSON line per epoch with
the accuracy on all 10,000 test images and on the first 1,024.

  --init paper    convs ~ N(0, 2/(k*k*out)), as ours (src/nn/layers.ts); Linear and BN PyTorch's defaults
  --init pytorch  every layer PyTorch's default (conv kaiming_uniform(a=sqrt 5))

  /usr/bin/python3 bench/fashion-init.py --init paper --seed 0   # Debian's Python, where python3-torch is

Needs Debian's python3-torch and dataset-fashion-mnist; not used by the tests.
Written 2026-12-06; what it found so far is in issue 33's notes.
"""
import argparse
import gzip
import importlib.util
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

D = '/usr/share/datasets/fashion-mnist'


def idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_compare_pytorch():
    """bench/compare-pytorch.py's models (its ResNet20 with n = 1 is our resnet8); importing it sets 2 threads and seed 0, which main() then sets again."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'compare-pytorch.py')
    spec = importlib.util.spec_from_file_location('compare_pytorch', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = []
    with torch.no_grad():
        for s in range(0, len(y), bs):
            correct.append(model(x[s:s + bs]).argmax(1) == y[s:s + bs])
    c = torch.cat(correct)
    return c.float().mean().item(), c[:1024].float().mean().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--init', choices=['paper', 'pytorch'], required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--milestone', type=int, nargs='+', default=[7], help='epochs (0-based) from which lr is ÷10, as MultiStepLR')
    p.add_argument('--flip', action='store_true', help='random horizontal flips, as the paper\'s code and the loader\'s `flip`')
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--depth', type=int, default=1, help='blocks per stage n: resnet(6n+2); 1 is resnet8, 3 is resnet20')
    p.add_argument('--limit', type=int, default=60000)
    p.add_argument('--steps', type=int, default=0, help='stop after this many steps (timing)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--no-channels-last', action='store_true', help='channels_last only changes memory layout (1.6x faster here)')
    a = p.parse_args()
    models = load_compare_pytorch()  # first: importing it seeds torch with 0
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    xtr = torch.from_numpy(idx(f'{D}/train-images-idx3-ubyte.gz')[:a.limit].astype(np.float32) / 255).unsqueeze(1)
    ytr = torch.from_numpy(idx(f'{D}/train-labels-idx1-ubyte.gz')[:a.limit].astype(np.int64))
    xte = torch.from_numpy(idx(f'{D}/t10k-images-idx3-ubyte.gz').astype(np.float32) / 255).unsqueeze(1)
    yte = torch.from_numpy(idx(f'{D}/t10k-labels-idx1-ubyte.gz').astype(np.int64))

    model = models.ResNet20(n=a.depth)
    if a.init == 'paper':
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0]
                m.weight.data.normal_(0, math.sqrt(2.0 / (k * k * m.out_channels)))
    cl = not a.no_channels_last
    if cl:
        model = model.to(memory_format=torch.channels_last)
        xtr = xtr.contiguous(memory_format=torch.channels_last)
        xte = xte.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=a.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=a.milestone, gamma=0.1)
    g = torch.Generator().manual_seed(a.seed)
    start = time.time()
    step = 0
    print(json.dumps({'init': a.init, 'seed': a.seed, 'train': len(ytr), 'epochs': a.epochs, 'milestone': a.milestone, 'flip': a.flip, 'weightDecay': a.weight_decay, 'batch': a.batch, 'depth': a.depth, 'channelsLast': cl, 'params': sum(q.numel() for q in model.parameters())}), flush=True)
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=g)
        loss_sum, correct, t0 = 0.0, 0, time.time()
        for s in range(0, len(ytr), a.batch):  # drop_last=False
            b = order[s:s + a.batch]
            xb, yb = xtr[b], ytr[b]
            if a.flip:
                mirrored = torch.rand(len(b), generator=g) < 0.5
                xb = torch.where(mirrored[:, None, None, None], xb.flip(3), xb)
            if cl:
                xb = xb.contiguous(memory_format=torch.channels_last)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(b)
            correct += (logits.argmax(1) == yb).sum().item()
            step += 1
            if a.steps and step >= a.steps:
                print(f'{step} steps in {time.time() - start:.1f} s ({(time.time() - start) / step * 1000:.0f} ms/step)', flush=True)
                return
        lr = opt.param_groups[0]['lr']
        sched.step()
        full, first = evaluate(model, xte, yte)
        print(json.dumps({'epoch': epoch + 1, 'lr': lr, 'trainLoss': round(loss_sum / len(ytr), 4), 'trainAcc': round(correct / len(ytr), 4),
                          'testFull': round(full, 4), 'test1024': round(first, 4), 'epochSeconds': round(time.time() - t0, 1),
                          'elapsed': round(time.time() - start, 1)}), flush=True)


if __name__ == '__main__':
    main()
