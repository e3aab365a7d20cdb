#!/usr/bin/python3
"""Export torchvision models to ONNX with PyTorch's own outputs as references.

Usage: export_torchvision.py OUTDIR [--models resnet18 ...] [--opsets 11 17 ...]

Writes the ONNX backend-test layout (the one ONNX's conformance suite uses):

    OUTDIR/<test_name>/model.onnx
    OUTDIR/<test_name>/test_data_set_0/input_0.pb    (onnx.TensorProto)
    OUTDIR/<test_name>/test_data_set_0/output_0.pb

No pretrained weights are available here, so every model is built with seeded
random weights (weights=None, torch.manual_seed).  Default init of deep nets
gives vanishing or exploding logits, so each BatchNorm's running statistics are
set from the activations it actually sees (cumulative average over a few
train-mode forward passes on seeded random inputs), after its affine
weight/bias were made non-trivial (seeded, near 1 / near 0) so that BN folding
is really exercised.  The logits then are of order 1.

Tests written (test names torchvision_<model>_opset<N>[_<variant>]):
  - each model at each requested opset (default 11 and 17), eval export
    (BatchNormalization folded into Conv by the exporter);
  - resnet18, opset 17, training=TrainingMode.PRESERVE with the model in eval
    mode: keeps BatchNormalization nodes, which use the running statistics;
  - resnet18, opset 13, dynamic batch axis on input and output, batch 2.
Input name 'input', output name 'logits'.  Everything is deterministic: the
same seeds give the same weights, inputs and reference outputs on every run.
"""

import argparse
import io
import os
import shutil
import sys
import time

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper
import torch
import torchvision

MODELS = ("resnet18", "resnet50", "efficientnet_b0", "mobilenet_v3_large")
DEFAULT_OPSETS = (11, 17)
IMAGE = (3, 224, 224)
CALIB_PASSES = 2      # train-mode passes that set BN running statistics
CALIB_BATCH = 8
TOL_MAX_REL = 1e-3     # run_model_tests.sh: --tol-max-rel
SEED = 20240601       # base seed; each model/input gets its own derived seed


def model_seed(name):
    # Stable across runs and Python versions (no hash()).
    return SEED + sum((i + 1) * ord(c) for i, c in enumerate(name))


def seeded_input(seed, batch):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((batch,) + IMAGE, generator=g)


def bn_modules(model):
    return [m for m in model.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def build_model(name):
    """A torchvision model with seeded weights and calibrated BatchNorms, in eval mode."""
    torch.manual_seed(model_seed(name))
    model = getattr(torchvision.models, name)(weights=None)
    bns = bn_modules(model)
    assert bns, name
    g = torch.Generator().manual_seed(model_seed(name) + 1)
    for bn in bns:
        # Non-trivial affine parameters: weight near 1, bias near 0.
        bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.75, 1.25, generator=g))
        bn.bias.copy_(torch.empty_like(bn.bias).normal_(0.0, 0.1, generator=g))
        bn.reset_running_stats()
        bn.momentum = None    # cumulative moving average
    # Only the BatchNorms go to train mode: Dropout and EfficientNet's
    # StochasticDepth stay in eval mode so the statistics match inference.
    model.eval()
    for bn in bns:
        bn.train()
    for p in range(CALIB_PASSES):
        model(seeded_input(model_seed(name) + 100 + p, CALIB_BATCH))
    model.eval()
    for bn in bns:
        assert int(bn.num_batches_tracked) == CALIB_PASSES
        bn.momentum = 0.1     # back to the default (it is exported as an attribute)
    # The classifier heads come after every BatchNorm; their init differs by
    # model (MobileNetV3's N(0, 0.01) gives logits ~0.03).  Scale each Linear,
    # in forward order, so that its output has unit standard deviation on the
    # calibration data: logits of order 1, and the hidden Linear of
    # MobileNetV3 drives its Hardswish out of the near-linear range.
    xcal = seeded_input(model_seed(name) + 150, CALIB_BATCH)
    for lin in [m for m in model.modules() if isinstance(m, torch.nn.Linear)]:
        seen = []
        h = lin.register_forward_hook(lambda m, i, o: seen.append(o))
        model(xcal)
        h.remove()
        std = float(seen[0].std())
        assert std > 0, name
        lin.weight.div_(std)
        lin.bias.div_(std)
    assert not any(m.training for m in model.modules()), name
    return model


def save_tensor(arr, name, path):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def op_types(model_proto):
    return sorted({n.op_type for n in model_proto.graph.node})


def export_test(outdir, test_name, model, x, opset, training=torch.onnx.TrainingMode.EVAL,
                dynamic_batch=False):
    with torch.no_grad():
        ref = model(x).numpy()
    assert ref.shape == (x.shape[0], 1000), ref.shape
    assert np.all(np.isfinite(ref)), test_name

    buf = io.BytesIO()
    torch.onnx.export(
        model, (x,), buf,
        export_params=True,
        training=training,
        input_names=["input"],
        output_names=["logits"],
        opset_version=opset,
        # eval-mode constant folding folds BN into Conv; with PRESERVE it
        # keeps BN anyway, and torch warns about folding there.
        do_constant_folding=(training != torch.onnx.TrainingMode.PRESERVE),
        dynamic_axes=({"input": {0: "batch"}, "logits": {0: "batch"}}
                      if dynamic_batch else None))
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    # the exporter must not have left the model in another mode
    assert not any(m.training for m in model.modules()), test_name

    ops = op_types(proto)
    bn_nodes = [n for n in proto.graph.node if n.op_type == "BatchNormalization"]
    if training == torch.onnx.TrainingMode.PRESERVE:
        assert bn_nodes, f"{test_name}: PRESERVE export lost the BatchNormalization nodes"
        for n in bn_nodes:
            # inference-mode BN: running statistics, one output, no training_mode=1
            for a in n.attribute:
                if a.name == "training_mode":
                    assert a.i == 0, f"{test_name}: {n.name} has training_mode=1"
            assert len([o for o in n.output if o]) == 1, f"{test_name}: {n.name} outputs"
    else:
        assert not bn_nodes, f"{test_name}: eval export kept BatchNormalization nodes"
    inp = proto.graph.input[0]
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    if dynamic_batch:
        assert dims[0] == "batch", dims
        out_dims = [d.dim_param or d.dim_value
                    for d in proto.graph.output[0].type.tensor_type.shape.dim]
        assert out_dims[0] == "batch", out_dims
    else:
        assert dims == [x.shape[0], *IMAGE], dims

    tdir = os.path.join(outdir, test_name)
    if os.path.isdir(tdir):
        shutil.rmtree(tdir)
    ddir = os.path.join(tdir, "test_data_set_0")
    os.makedirs(ddir)
    with open(os.path.join(tdir, "model.onnx"), "wb") as f:
        f.write(proto.SerializeToString())
    save_tensor(x.numpy(), "input", os.path.join(ddir, "input_0.pb"))
    save_tensor(ref, "logits", os.path.join(ddir, "output_0.pb"))

    top = np.argsort(-ref, axis=1)
    gaps = [float(ref[r, top[r, 0]] - ref[r, top[r, 1]]) for r in range(ref.shape[0])]
    # The runner checks max|rn-torch| <= TOL_MAX_REL*max|torch| and the top-1:
    # with a top-1/top-2 gap above twice that bound, any result within
    # tolerance has the same top-1, so the top-1 check cannot be flaky.
    assert min(gaps) > 2 * TOL_MAX_REL * np.abs(ref).max(), \
        f"{test_name}: top-1/top-2 gap {min(gaps):.3g} too small; change the seed"
    top1 = ",".join(str(int(t)) for t in top[:, 0])
    print(f"{test_name}: max|logit|={np.abs(ref).max():.4f} top1={top1} "
          f"top1-top2 gap={min(gaps):.3g} ops={len(ops)} "
          f"bn_nodes={len(bn_nodes)}", flush=True)
    return ops


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--opsets", nargs="+", type=int, default=list(DEFAULT_OPSETS))
    ap.add_argument("--no-extra", action="store_true",
                    help="skip the resnet18 PRESERVE and dynamic-batch tests")
    ap.add_argument("--print-ops", action="store_true",
                    help="print the sorted op types of each exported model")
    args = ap.parse_args(argv)

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.outdir, exist_ok=True)
    t0 = time.monotonic()
    all_ops = {}
    for name in args.models:
        model = build_model(name)
        x = seeded_input(model_seed(name) + 200, 1)
        for opset in args.opsets:
            test = f"torchvision_{name}_opset{opset}"
            all_ops[test] = export_test(args.outdir, test, model, x, opset)
        if name == "resnet18" and not args.no_extra:
            test = "torchvision_resnet18_opset17_bn_preserve"
            all_ops[test] = export_test(args.outdir, test, model, x, 17,
                                        training=torch.onnx.TrainingMode.PRESERVE)
            test = "torchvision_resnet18_opset13_dynamic_batch"
            x2 = seeded_input(model_seed(name) + 300, 2)
            all_ops[test] = export_test(args.outdir, test, model, x2, 13,
                                        dynamic_batch=True)
    if args.print_ops:
        for test, ops in all_ops.items():
            print(f"{test} ops: {' '.join(ops)}")
    print(f"exported {len(all_ops)} tests to {args.outdir} "
          f"in {time.monotonic() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
