#!/usr/bin/python3
"""Reference data for tests/lua/test_nn_torchvision.lua.

Usage: export_reference.py OUTDIR [MODEL ...]     (default: resnet18 efficientnet_b0)

For each model: torchvision's model with seeded weights and BatchNorm statistics
calibrated exactly as tests/models/export_torchvision.py does (so the logits are of
order 1), exported with training=TrainingMode.PRESERVE and do_constant_folding=False
(BatchNormalization kept, initializers keep their state_dict names), opset 17, batch
dimension "N".  Writes

    OUTDIR/<model>/model.onnx
    OUTDIR/<model>/input.f32     seeded input [2,3,H,W], raw little-endian float32
    OUTDIR/<model>/logits.f32    PyTorch's output [2,1000]
    OUTDIR/<model>/info.txt      "<H> <W> <max|logit|> <names missing from the initializers>"

and OUTDIR/done.  Exit 77 (skip) when torch, torchvision or onnx is missing.
"""

import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import numpy as np
    import onnx
    import onnx.checker
    import torch
    import torchvision  # noqa: F401
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export_torchvision as et  # noqa: E402  (build_model, seeded_input, model_seed)


def export(outdir, name):
    model = et.build_model(name)
    x = et.seeded_input(et.model_seed(name) + 200, 2)
    with torch.no_grad():
        ref = model(x).numpy()
    assert np.all(np.isfinite(ref)), name
    buf = io.BytesIO()
    torch.onnx.export(
        model, (x,), buf,
        export_params=True,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        input_names=["input"],
        output_names=["logits"],
        opset_version=17,
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    assert not any(m.training for m in model.modules()), name
    inits = {i.name for i in proto.graph.initializer}
    keys = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    missing = [k for k in keys if k not in inits]
    mdir = os.path.join(outdir, name)
    os.makedirs(mdir, exist_ok=True)
    with open(os.path.join(mdir, "model.onnx"), "wb") as f:
        f.write(proto.SerializeToString())
    x.numpy().astype("<f4").tofile(os.path.join(mdir, "input.f32"))
    ref.astype("<f4").tofile(os.path.join(mdir, "logits.f32"))
    with open(os.path.join(mdir, "info.txt"), "w") as f:
        f.write(f"{x.shape[2]} {x.shape[3]} {np.abs(ref).max():.6g} {len(missing)}\n")
    print(f"{name}: {len(keys)} state_dict tensors, {len(inits)} initializers, "
          f"{len(missing)} deduplicated by the exporter (Identity aliases), "
          f"max|logit|={np.abs(ref).max():.4f}", flush=True)


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    outdir = argv[0]
    names = argv[1:] or ["resnet18", "efficientnet_b0"]
    torch.set_num_threads(4)
    torch.use_deterministic_algorithms(True)
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        export(outdir, name)
    with open(os.path.join(outdir, "done"), "w") as f:
        f.write(" ".join(names) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
