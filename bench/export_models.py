#!/usr/bin/python3
"""Export the benchmark models and inputs (run with Debian's /usr/bin/python3).

Usage: export_models.py [--models resnet18 ...] [--batches 1 8] [--outdir DIR] [--force]

Writes, in DIR (default bench/models):
  <model>.onnx   torchvision model, seeded random weights with calibrated
                 BatchNorm statistics, eval mode, opset 17, dynamic batch axis
                 (input 'input' [batch,3,224,224], output 'logits' [batch,1000]);
                 skipped if already there (--force rewrites it)
  input_b<N>.bin one seeded N x 3 x 224 x 224 input, raw little-endian float32,
                 that both rn-bench and ort_bench.js read
"""

import argparse
import io
import os
import sys
import time

import numpy as np
import onnx
import onnx.checker
import torch

# The model tests' builder: seeded weights, and BatchNorm running statistics
# calibrated on seeded data, without which random-weight deep nets give
# exploding or vanishing logits.  Reused so the benchmark runs the same
# weights the correctness tests check.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in tests/
sys.path.insert(0, os.path.join(HERE, "..", "tests", "models"))
from export_torchvision import IMAGE, TOL_MAX_REL, build_model  # noqa: E402

MODELS = ("resnet18", "resnet50", "efficientnet_b0", "mobilenet_v2")
BATCHES = (1, 8)
OPSET = 17
# Chosen so that on every input image each model's top-1 logit beats its
# top-2 by more than twice run.py's tolerance (checked at export): any output
# within tolerance then has the same top-1, so that check cannot be flaky.
INPUT_SEED = 1


def input_path(outdir, batch):
    return os.path.join(outdir, f"input_b{batch}.bin")


def write_atomic(path, data):
    # A run interrupted half-way must not leave a file that looks complete.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def make_input(batch):
    rng = np.random.default_rng(INPUT_SEED + batch)
    return rng.standard_normal((batch,) + IMAGE, dtype=np.float32)


def check_top1_gaps(name, logits):
    top2 = np.sort(logits, axis=1)[:, -2:]
    gap = float((top2[:, 1] - top2[:, 0]).min())
    bound = 2 * TOL_MAX_REL * float(np.abs(logits).max())
    assert gap > bound, f"{name}: top-1/top-2 gap {gap:.3g} <= {bound:.3g}; change INPUT_SEED"


def export_model(name, path, inputs):
    model = build_model(name)
    with torch.no_grad():
        for x in inputs:
            logits = model(torch.from_numpy(x)).numpy()
            assert np.all(np.isfinite(logits)), name
            check_top1_gaps(name, logits)
    buf = io.BytesIO()
    torch.onnx.export(
        model, (torch.from_numpy(inputs[0]),), buf,
        export_params=True,
        input_names=["input"],
        output_names=["logits"],
        opset_version=OPSET,
        do_constant_folding=True,   # folds BatchNorm into Conv, as a deployed model would
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    write_atomic(path, buf.getvalue())
    print(f"{path}: max|logit| {float(np.abs(logits).max()):.3f}", flush=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--batches", nargs="+", type=int, default=list(BATCHES))
    ap.add_argument("--outdir", default=os.path.join(HERE, "models"))
    ap.add_argument("--force", action="store_true", help="re-export models already there")
    args = ap.parse_args(argv)

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.outdir, exist_ok=True)
    t0 = time.monotonic()
    # Inputs are cheap and deterministic: always rewritten.
    inputs = [make_input(batch) for batch in args.batches]
    for batch, x in zip(args.batches, inputs):
        write_atomic(input_path(args.outdir, batch), x.astype("<f4").tobytes())
    for name in args.models:
        path = os.path.join(args.outdir, f"{name}.onnx")
        if args.force or not os.path.exists(path):
            export_model(name, path, inputs)
    print(f"models and inputs in {args.outdir} ({time.monotonic() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
