#!/usr/bin/env python3
"""PyTorch's half of `npm run paired-training` (see bench/paired-training.ts).

Arguments: the folder paired-training.ts wrote (data, start-SEED.safetensors,
order-SEED.json), the seeds as "0,1,2", and the recipe as JSON. Trains the
smallCnn of bench/compare-pytorch.py from each seed's starting weights with
each epoch's batch order, and prints the test accuracies (%) as a JSON list.
"""
import importlib.util
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

spec = importlib.util.spec_from_file_location('compare_pytorch', os.path.join(os.path.dirname(__file__), 'compare-pytorch.py'))
compare_pytorch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_pytorch)
torch.set_num_threads(1)


def read_safetensors(file):
    with open(file, 'rb') as source:
        data = source.read()
    (header_length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + header_length])
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        values = np.frombuffer(data[8 + header_length + begin:8 + header_length + end], dtype={'F32': '<f4', 'F64': '<f8', 'I64': '<i8'}[entry['dtype']])
        tensor = torch.tensor(values.astype(np.float32)).view(entry['shape'])
        tensors[name] = tensor.long() if name.endswith('num_batches_tracked') else tensor
    return tensors


def read_split(folder, part):
    images = np.fromfile(os.path.join(folder, f'{part}-images.f32'), dtype='<f4')
    labels = np.fromfile(os.path.join(folder, f'{part}-labels.u8'), dtype=np.uint8)
    return torch.tensor(images).view(-1, 1, 28, 28), torch.tensor(labels.astype(np.int64))


def train_and_test(folder, seed, recipe, train, test):
    model = compare_pytorch.SmallCnn()
    model.load_state_dict(read_safetensors(os.path.join(folder, f'start-{seed}.safetensors')))
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe['lr'], momentum=recipe['momentum'], weight_decay=recipe['weightDecay'])
    with open(os.path.join(folder, f'order-{seed}.json')) as source:
        orders = json.load(source)
    images, labels = train
    model.train()
    for order in orders:
        order = torch.tensor(order)
        for start in range(0, len(order), recipe['batchSize']):
            batch = order[start:start + recipe['batchSize']]
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return 100 * (model(test[0]).argmax(1) == test[1]).float().mean().item()


if __name__ == '__main__':
    folder, seeds, recipe = sys.argv[1], [int(seed) for seed in sys.argv[2].split(',')], json.loads(sys.argv[3])
    train, test = read_split(folder, 'train'), read_split(folder, 'test')
    print(json.dumps([train_and_test(folder, seed, recipe, train, test) for seed in seeds]))
