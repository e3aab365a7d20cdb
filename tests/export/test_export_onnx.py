#!/usr/bin/python3
"""rn's saved models against the reference ONNX package.

For a few dozen conformance models and the bundled digits models: rn loads
each one and saves it (test_export_roundtrip --resave); then
onnx.checker.check_model(full_check=True) must accept the copy, and onnx.load
must see the same graph as in the original: opsets, graph inputs (initializers
excluded) and outputs with their types, nodes (op type, domain, inputs,
outputs, attributes) and initializers (equal values).

Usage: test_export_onnx.py ROUNDTRIP_BIN CONFORMANCE_DIR EXAMPLES_DIR
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper


def pick_models(conf, examples):
    models = []
    for sub, step in (("node", 12), ("pytorch-converted", 3), ("pytorch-operator", 2), ("simple", 1)):
        folders = sorted(glob.glob(os.path.join(conf, sub, "*", "model.onnx")))
        models += folders[::step]
    models += sorted(glob.glob(os.path.join(examples, "digits", "*.onnx")))
    return models


def arrays_equal(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return a.tobytes() == b.tobytes() or np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def attr_value(a):
    v = helper.get_attribute_value(a)
    if isinstance(v, onnx.TensorProto):
        return ("tensor", numpy_helper.to_array(v))
    if isinstance(v, list) and v and isinstance(v[0], onnx.TensorProto):
        return ("tensors", [numpy_helper.to_array(t) for t in v])
    return (a.type, v)


def values_equal(x, y):
    if isinstance(x, np.ndarray):
        return isinstance(y, np.ndarray) and arrays_equal(x, y)
    if isinstance(x, (list, tuple)):
        return isinstance(y, (list, tuple)) and len(x) == len(y) and all(values_equal(a, b) for a, b in zip(x, y))
    if isinstance(x, float) and isinstance(y, float):
        return np.float32(x).tobytes() == np.float32(y).tobytes()
    return x == y


def type_of(vi):
    t = vi.type.tensor_type
    if not vi.type.HasField("tensor_type") or not t.HasField("elem_type"):
        return None
    shape = None
    if t.HasField("shape"):
        shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]
    return (t.elem_type, shape)


def norm_domain(d):
    return "" if d in ("", "ai.onnx") else d


def compare(orig, new):
    """Empty list if equal, else what differs."""
    go, gn = orig.graph, new.graph
    diffs = []
    ops_o = {norm_domain(o.domain): o.version for o in orig.opset_import} or {"": 1}
    ops_n = {norm_domain(o.domain): o.version for o in new.opset_import}
    if ops_o != ops_n:
        diffs.append("opsets %s vs %s" % (ops_o, ops_n))
    inits = {t.name for t in go.initializer}
    ins_o = [(i.name, type_of(i)) for i in go.input if i.name not in inits]
    ins_n = [(i.name, type_of(i)) for i in gn.input]
    if ins_o != ins_n:
        diffs.append("inputs %s vs %s" % (ins_o, ins_n))
    outs_o = [(o.name, type_of(o)) for o in go.output]
    outs_n = [(o.name, type_of(o)) for o in gn.output]
    if outs_o != outs_n:
        diffs.append("outputs %s vs %s" % (outs_o, outs_n))
    if len(go.node) != len(gn.node):
        diffs.append("%d nodes vs %d" % (len(go.node), len(gn.node)))
    for a, b in zip(go.node, gn.node):
        outs_a = list(a.output)
        while outs_a and not outs_a[-1]:
            outs_a.pop()  # rn drops trailing omitted outputs
        same = (a.name == b.name and a.op_type == b.op_type and norm_domain(a.domain) == b.domain
                and list(a.input) == list(b.input) and outs_a == list(b.output)
                and [x.name for x in a.attribute] == [x.name for x in b.attribute])
        if same:
            for x, y in zip(a.attribute, b.attribute):
                vx, vy = attr_value(x), attr_value(y)
                if not values_equal(vx[1], vy[1]):
                    same = False
        if not same:
            diffs.append("node '%s' (%s) differs:\n%s\nvs\n%s" % (a.name, a.op_type, a, b))
            break
    io = {t.name: numpy_helper.to_array(t) for t in go.initializer}
    inn = {t.name: numpy_helper.to_array(t) for t in gn.initializer}
    if set(io) != set(inn):
        diffs.append("initializer names %s vs %s" % (sorted(io), sorted(inn)))
    else:
        for k in io:
            if not arrays_equal(io[k], inn[k]):
                diffs.append("initializer '%s' differs" % k)
    md_o = [(p.key, p.value) for p in orig.metadata_props]
    md_n = [(p.key, p.value) for p in new.metadata_props]
    if md_o != md_n:
        diffs.append("metadata %s vs %s" % (md_o, md_n))
    if new.ir_version != 8 or new.producer_name != "rn":
        diffs.append("ir_version %d producer %r" % (new.ir_version, new.producer_name))
    return diffs


def check_synthetic(binary, tmp):
    """The C test's synthetic graph (every attribute kind and dtype) as ONNX sees it."""
    out = os.path.join(tmp, "synthetic.onnx")
    r = subprocess.run([binary, "--synthetic", out], capture_output=True, text=True)
    if r.returncode != 0:
        return ["--synthetic failed: " + r.stdout + r.stderr]
    m = onnx.load(out)
    onnx.checker.check_model(m, full_check=True)
    errs = []
    g = m.graph
    if [type_of(i) for i in g.input] != [(1, ["batch", None, 3])]:
        errs.append("input type %s" % [type_of(i) for i in g.input])
    if [(v.name, type_of(v)) for v in g.value_info] != [("y", (1, [None, None, 3]))]:
        errs.append("value_info %s" % g.value_info)
    if list(g.node[0].input) != ["x", "", "w"]:
        errs.append("omitted input: %s" % list(g.node[0].input))
    if g.node[1].domain != "com.example" or g.node[0].domain != "":
        errs.append("domains")
    w = numpy_helper.to_array(g.initializer[0])
    if w.tobytes() != np.array([-0.0, 1.5, 0], np.float32).tobytes()[:8] + bytes.fromhex("2301c07f"):
        errs.append("initializer bytes %s" % w.tobytes().hex())
    attrs = {a.name: a for a in g.node[1].attribute}
    pattern = bytes((k * 37 + 11) & 255 for k in range(64))
    want = {
        "f": (onnx.AttributeProto.FLOAT, np.float32(-3.25e-7)),
        "i": (onnx.AttributeProto.INT, -2**63),
        "s": (onnx.AttributeProto.STRING, b"a\0b"),
        "empty_s": (onnx.AttributeProto.STRING, b""),
        "floats": (onnx.AttributeProto.FLOATS, [1.0, -2.5]),
        "no_floats": (onnx.AttributeProto.FLOATS, []),
        "ints": (onnx.AttributeProto.INTS, [1, -1, 2**63 - 1]),
        "strings": (onnx.AttributeProto.STRINGS, [b"one", b""]),
    }
    for name, (t, v) in want.items():
        a = attrs.get(name)
        if a is None or a.type != t or not values_equal(helper.get_attribute_value(a), v):
            errs.append("attribute %s: %s" % (name, a))
    t = numpy_helper.to_array(attrs["t"].t)
    if t.dtype != np.float64 or t.shape != () or t != 2.718281828459045:
        errs.append("tensor attribute %r" % t)
    dts = [np.float32, np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.bool_,
           np.float16, np.float64, np.uint32, np.uint64]
    ts = [numpy_helper.to_array(x) for x in attrs["tensors"].tensors]
    for dt, got in zip(dts, ts):
        if dt == np.bool_:
            exp = (np.arange(6) & 1).astype(np.bool_).reshape(2, 3)
        else:
            exp = np.frombuffer(pattern, dtype=np.dtype(dt).newbyteorder("<"))[:6].reshape(2, 3).astype(dt)
        if got.dtype != dt or not arrays_equal(got, exp):
            errs.append("tensors[%s]: %r vs %r" % (np.dtype(dt), got, exp))
    if len(ts) != 13 or ts[12].shape != (0, 4) or ts[12].dtype != np.float32:
        errs.append("empty tensor")
    return errs


def main():
    binary, conf, examples = sys.argv[1:4]
    models = pick_models(conf, examples)
    failures = checked = skipped = orig_rejected = 0
    with tempfile.TemporaryDirectory(prefix="rn-export-py-") as tmp:
        errs = check_synthetic(binary, tmp)
        for e in errs:
            print("FAIL synthetic: " + e)
        failures += bool(errs)
        pairs = []
        for i, m in enumerate(models):
            pairs += [m, os.path.join(tmp, "%03d.onnx" % i)]
        r = subprocess.run([binary, "--resave"] + pairs, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print("FAIL: --resave exited with %d" % r.returncode)
            failures += 1
        for i, m in enumerate(models):
            out = pairs[2 * i + 1]
            name = os.path.relpath(m, conf) if m.startswith(conf) else m
            if not os.path.exists(out):
                skipped += 1
                continue
            orig = onnx.load(m)
            try:
                onnx.checker.check_model(orig, full_check=True)
                orig_ok = True
            except Exception:  # the original itself does not pass: only require what it passes
                orig_ok = False
                orig_rejected += 1
            new = onnx.load(out)
            try:
                if orig_ok:
                    onnx.checker.check_model(new, full_check=True)
                else:
                    onnx.checker.check_model(new)
            except Exception as e:
                print("FAIL %s: onnx.checker rejects rn's copy: %s" % (name, e))
                failures += 1
                continue
            diffs = compare(orig, new)
            if diffs:
                print("FAIL %s: %s" % (name, "; ".join(diffs)))
                failures += 1
                continue
            checked += 1
    print("%d models: %d re-saved copies pass onnx.checker and match the original "
          "(%d originals fail full_check, checked without it), %d skipped (rn cannot load/save), %d failures"
          % (len(models), checked, orig_rejected, skipped, failures))
    if checked < 30:
        print("too few models checked")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
