#!/usr/bin/python3
"""rnrun --summary against torchvision: parameter totals equal
sum(p.numel() for p in model.parameters()) and MAC totals equal the standard
counts, on TrainingMode.PRESERVE exports (BatchNorm kept, as torchvision has it).

Usage: test_summary.py RNRUN OUTDIR   (exit 77 without torch/torchvision)"""
import os
import re
import subprocess
import sys

try:
    import torch
    import torchvision
except ImportError:
    print("SKIP: needs python3-torch and python3-torchvision")
    sys.exit(77)

rnrun, outdir = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)
torch.manual_seed(0)
# (model, MACs at 224x224 counted as convolutions + linear layers)
cases = [("resnet18", 1_814_073_344), ("resnet50", 4_089_184_256), ("efficientnet_b0", 385_814_752)]
failed = 0
for name, macs in cases:
    model = getattr(torchvision.models, name)(weights=None).eval()
    params = sum(p.numel() for p in model.parameters())
    path = os.path.join(outdir, f"{name}_preserve_summary.onnx")
    if not os.path.exists(path):
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    out = subprocess.run([rnrun, "--summary", path], capture_output=True, text=True, timeout=600)
    total = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr
    m = re.match(r"total: \d+ nodes, ([\d,]+) parameters, ([\d,]+) MACs", total)
    got_params = int(m.group(1).replace(",", "")) if m else -1
    got_macs = int(m.group(2).replace(",", "")) if m else -1
    ok = out.returncode == 0 and got_params == params and got_macs == macs
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: rnrun {got_params:,} params / {got_macs:,} MACs; "
          f"torchvision {params:,} params / {macs:,} MACs")
print(f"{len(cases) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
