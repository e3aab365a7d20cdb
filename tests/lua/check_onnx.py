#!/usr/bin/python3
"""onnx.checker on models written by g:save (tests/lua/test_nn_onnx.lua).

Usage: check_onnx.py MODEL.onnx [EXPECTED_INITIALIZERS]
Runs onnx.checker.check_model(full_check=True) (strict shape inference included), and
prints the opset, op types, the number of initializers and the input/output types.
Exit 77 (skip) when the onnx package is missing.
"""
import sys

try:
    import onnx
    import onnx.checker
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e}")
    sys.exit(77)


def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


def main(argv):
    path = argv[0]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    g = model.graph
    ops = sorted({n.op_type for n in g.node})
    print(f"{path}: onnx.checker ok (ir_version {model.ir_version}, opset "
          f"{[(o.domain or 'ai.onnx', o.version) for o in model.opset_import]}), "
          f"{len(g.node)} nodes, {len(g.initializer)} initializers, ops {' '.join(ops)}")
    print(f"  inputs {[(i.name, dims(i)) for i in g.input if i.name not in {t.name for t in g.initializer}]}"
          f" outputs {[(o.name, dims(o)) for o in g.output]}")
    if len(argv) > 1 and len(g.initializer) != int(argv[1]):
        print(f"expected {argv[1]} initializers")
        return 1
    inp = [i for i in g.input if i.name == "input"]
    if not inp or dims(inp[0])[0] != "N" or [o.name for o in g.output] != ["logits"]:
        print("expected input 'input' [N,...] and output 'logits'")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
