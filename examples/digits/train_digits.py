#!/usr/bin/python3
"""Train the two bundled demo models of `rnrun` on scikit-learn's digits.

Writes (into the output directory, by default the directory of this script):
  digits_resnet.onnx            small ResNet of BasicBlocks
  digits_effnet.onnx            small EfficientNet-style net of MBConv blocks with SE
  samples/digitL_NNN.png        20 held-out 8x8 grayscale PNGs (2 per class; L = true
                                label, NNN = index in the held-out set)
  samples/expected.tsv          PyTorch's prediction for each sample PNG (read from disk)
  samples/expected_logits.tsv   PyTorch's logits for each sample PNG and model
  samples/expected_summary.txt  held-out accuracy of both models

Usage (from the repository root):
  /usr/bin/python3 examples/digits/train_digits.py [OUTPUT_DIR]

Everything is seeded and runs on 2 CPU threads, so a rerun on the same machine and
library versions regenerates the same files. The preprocessing is exactly what rnrun
applies to a PNG, as described by the models' metadata_props:
  uint8 gray image -> Resize(32) (bilinear) -> CenterCrop(32) -> ToTensor -> Normalize(0.5, 0.5)
"""

import os
import sys
import time
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torchvision import transforms
from torchvision.ops import SqueezeExcitation

SEED = 20240607
IMG = 32
LABELS = [str(i) for i in range(10)]

# Exactly the pipeline rnrun applies to a PNG file (see the rn.* metadata below).
TRANSFORM = transforms.Compose([
    transforms.Resize(IMG),          # bilinear; PIL image in, PIL image out
    transforms.CenterCrop(IMG),
    transforms.ToTensor(),           # [1,H,W] float in 0..1
    transforms.Normalize([0.5], [0.5]),
])


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_uint8(img8x8):
    """sklearn digits values 0..16 -> uint8 0..255 (round(v*255/16))."""
    return np.rint(img8x8.astype(np.float64) * 255.0 / 16.0).astype(np.uint8)


def preprocess(pil_img):
    return TRANSFORM(pil_img)


# --------------------------------------------------------------------------- models

class BasicBlock(nn.Module):
    """The lecture's BasicBlock (ResNet-18/34): two 3x3 convs, projection shortcut."""

    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_ch),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return torch.relu(out)


class DigitsResNet(nn.Module):
    """conv-bn-relu stem, 3 stages (16/32/64, stride 1/2/2), GAP, Linear(64, 10)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
        )
        self.layer1 = BasicBlock(16, 16, 1)   # 32x32
        self.layer2 = BasicBlock(16, 32, 2)   # 16x16
        self.layer3 = BasicBlock(32, 64, 2)   # 8x8
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


class MBConv(nn.Module):
    """EfficientNet MBConv as in torchvision: [1x1 expand-bn-SiLU] -> kxk depthwise-bn-SiLU
    -> SqueezeExcitation(SiLU, Sigmoid) -> 1x1 project-bn, residual when shapes match."""

    def __init__(self, in_ch, out_ch, expand, kernel, stride):
        super().__init__()
        mid = in_ch * expand
        layers = []
        if mid != in_ch:
            layers += [nn.Conv2d(in_ch, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU()]
        layers += [
            nn.Conv2d(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            nn.SiLU(),
            SqueezeExcitation(mid, max(1, in_ch // 4), activation=nn.SiLU),
            nn.Conv2d(mid, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
        ]
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and in_ch == out_ch

    def forward(self, x):
        out = self.block(x)
        if self.use_res:
            out = out + x
        return out


class DigitsEffNet(nn.Module):
    """stem 3x3 stride-2 conv-bn-SiLU (16), 5 MBConv blocks (3x3 and 5x5 depthwise),
    1x1 head conv-bn-SiLU (128), GAP, Linear(128, 10)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.SiLU())      # 16x16
        self.blocks = nn.Sequential(
            MBConv(16, 16, 1, 3, 1),   # 16x16, residual
            MBConv(16, 24, 4, 3, 1),   # 16x16
            MBConv(24, 24, 4, 3, 1),   # residual
            MBConv(24, 40, 4, 5, 2),   # 8x8
            MBConv(40, 40, 4, 5, 1),   # residual
        )
        self.head = nn.Sequential(nn.Conv2d(40, 128, 1, bias=False),
                                  nn.BatchNorm2d(128), nn.SiLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


# --------------------------------------------------------------------------- training

def augment(x, gen):
    """Random shift by up to 2 px (of 32), padding with the background value (-1)."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + IMG, dx[i]:dx[i] + IMG]
    return out


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(1)
    return (pred == y).float().mean().item(), pred


def train(model, xtr, ytr, epochs, lr, seed):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    bs = 64
    steps = epochs * ((len(xtr) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), bs):
            idx = perm[i:i + bs]
            xb = augment(xtr[idx], gen)
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if ep % 5 == 4 or ep == epochs - 1:
            print(f"  epoch {ep + 1:3d}  loss {total / len(xtr):.4f}", flush=True)
    model.eval()
    return model


# --------------------------------------------------------------------------- export

def export(model, path, description):
    model.eval()
    dummy = torch.zeros(1, 1, IMG, IMG)
    torch.onnx.export(model, dummy, path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      training=torch.onnx.TrainingMode.EVAL,
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.helper.set_model_props(m, {
        "rn.resize": str(IMG),
        "rn.crop": str(IMG),
        "rn.mean": "0.5",
        "rn.std": "0.5",
        "rn.color": "gray",
        "rn.labels": ",".join(LABELS),
        "rn.description": description,
    })
    onnx.checker.check_model(m)
    onnx.save(m, path)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node})


def main():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else here
    sdir = os.path.join(out, "samples")
    os.makedirs(sdir, exist_ok=True)

    digits = load_digits()
    images = np.stack([to_uint8(im) for im in digits.images])   # [1797,8,8] uint8
    labels = digits.target.astype(np.int64)
    idx_tr, idx_te = train_test_split(np.arange(len(labels)), test_size=0.2,
                                      stratify=labels, random_state=0)

    def tensors(idx):
        x = torch.stack([preprocess(Image.fromarray(images[i], mode="L")) for i in idx])
        return x, torch.from_numpy(labels[idx])

    xtr, ytr = tensors(idx_tr)
    xte, yte = tensors(idx_te)
    print(f"train {tuple(xtr.shape)}  held-out {tuple(xte.shape)}")

    specs = [
        ("resnet", DigitsResNet, 20, 4e-3,
         "small ResNet (conv-bn-relu stem, BasicBlocks 16/32/64, GAP, FC)"),
        ("effnet", DigitsEffNet, 20, 6e-3,
         "small EfficientNet-style net (MBConv 3x3/5x5 depthwise + SE, SiLU, GAP, FC)"),
    ]
    models, acc, optypes, times = {}, {}, {}, {}
    for k, (name, cls, epochs, lr, arch) in enumerate(specs):
        print(f"training {name} ...", flush=True)
        seed_all(SEED + k)
        model = cls()
        t0 = time.time()
        train(model, xtr, ytr, epochs, lr, SEED + 100 + k)
        times[name] = time.time() - t0
        acc[name], _ = evaluate(model, xte, yte)
        print(f"  {name}: held-out accuracy {acc[name] * 100:.2f}% "
              f"({len(yte)} images), {times[name]:.1f}s", flush=True)
        desc = (f"sklearn digits (8x8 gray, upscaled to 32x32), {arch}; "
                f"held-out accuracy {acc[name] * 100:.2f}% on {len(yte)} images")
        optypes[name] = export(model, os.path.join(out, f"digits_{name}.onnx"), desc)
        models[name] = model

    # 20 held-out samples: the first two held-out images of each class.
    for f in os.listdir(sdir):
        if f.startswith("digit") and f.endswith(".png"):
            os.remove(os.path.join(sdir, f))
    picked = []
    for c in range(10):
        picked += [j for j in range(len(idx_te)) if labels[idx_te[j]] == c][:2]
    rows = []
    for j in picked:
        lab = int(labels[idx_te[j]])
        fname = f"digit{lab}_{j:03d}.png"
        Image.fromarray(images[idx_te[j]], mode="L").save(os.path.join(sdir, fname))
        rows.append((fname, lab))

    # Reference predictions: re-read each PNG file from disk.
    xs = torch.stack([preprocess(Image.open(os.path.join(sdir, f)).convert("L"))
                      for f, _ in rows])
    preds, logits = {}, {}
    with torch.no_grad():
        for name, model in models.items():
            logits[name] = model(xs)
            preds[name] = logits[name].argmax(1).tolist()
    with open(os.path.join(sdir, "expected.tsv"), "w") as fh:
        fh.write("file\ttrue_label\tresnet_pred\teffnet_pred\n")
        for i, (f, lab) in enumerate(rows):
            fh.write(f"{f}\t{lab}\t{preds['resnet'][i]}\t{preds['effnet'][i]}\n")
    with open(os.path.join(sdir, "expected_logits.tsv"), "w") as fh:
        fh.write("file\tmodel\t" + "\t".join(f"logit{c}" for c in range(10)) + "\n")
        for i, (f, _) in enumerate(rows):
            for name in models:
                fh.write(f"{f}\t{name}\t" +
                         "\t".join(f"{v:.6f}" for v in logits[name][i].tolist()) + "\n")
    with open(os.path.join(sdir, "expected_summary.txt"), "w") as fh:
        fh.write(f"held-out split: {len(yte)} of {len(labels)} sklearn digits "
                 f"(stratified 80/20, random_state=0)\n")
        for name in models:
            ok = sum(int(p == lab) for p, (_, lab) in zip(preds[name], rows))
            fh.write(f"{name}: held-out accuracy {acc[name] * 100:.2f}% "
                     f"({round(acc[name] * len(yte))}/{len(yte)}); "
                     f"samples {ok}/{len(rows)}\n")

    for name in models:
        print(f"{name} op types: {optypes[name]}")
        print(f"{name} training time: {times[name]:.1f}s")


if __name__ == "__main__":
    main()
