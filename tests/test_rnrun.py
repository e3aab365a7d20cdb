#!/usr/bin/python3
"""rnrun end to end: predictions equal PyTorch's on the bundled digit PNGs
(examples/digits/samples/expected.tsv, written by train_digits.py from the
same files), the demo's accuracy equals PyTorch's, and every documented error
is a one-line message with its exit code.

Usage: test_rnrun.py RNRUN SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

rnrun, src = sys.argv[1], sys.argv[2]
digits = os.path.join(src, "examples", "digits")
samples = os.path.join(digits, "samples")
failures = []


def run(*args):
    p = subprocess.run([rnrun, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# 1. Top-1 of every sample equals PyTorch's prediction for the same file.
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(samples, "expected.tsv"))][1:]
files = [os.path.join(samples, r[0]) for r in rows]
for col, model in ((2, "digits_resnet.onnx"), (3, "digits_effnet.onnx")):
    rc, out, err = run("--json", "--top", "3", os.path.join(digits, model), *files)
    check(rc == 0, f"{model}: rnrun --json exits 0 ({err.strip()})")
    got = [json.loads(l) for l in out.splitlines() if l.strip()]
    check(len(got) == len(rows), f"{model}: one JSON object per image ({len(got)} for {len(rows)})")
    mismatches = [(r[0], g["top"][0]["index"], int(r[col])) for r, g in zip(rows, got)
                  if g["top"][0]["index"] != int(r[col])]
    check(not mismatches, f"{model}: top-1 equals PyTorch's on all {len(rows)} PNGs {mismatches}")
    probs_ok = all(sum(t["prob"] for t in g["top"]) <= 1 + 1e-6 and len(g["top"]) == 3 and
                   all(a["prob"] >= b["prob"] for a, b in zip(g["top"], g["top"][1:])) for g in got)
    check(probs_ok and all(g["top"][0]["label"] == str(g["top"][0]["index"]) for g in got),
          f"{model}: probabilities sorted, labels from the model's metadata")

# 2. The demo prints accuracy equal to PyTorch's on the same samples.
rc, out, err = run("--demo")
check(rc == 0, f"rnrun --demo exits 0 ({err.strip()})")
acc_lines = [l.strip() for l in out.splitlines() if l.strip().startswith("accuracy:")]
for col, line in zip((2, 3), acc_lines):
    correct = sum(1 for r in rows if int(r[col]) == int(r[1]))
    check(line.startswith(f"accuracy: {correct}/{len(rows)}"), f"demo accuracy '{line}' equals PyTorch's {correct}/{len(rows)}")
check(len(acc_lines) == 2, "demo runs both bundled models")
rc2, out2, _ = run()
check(rc2 == 0 and out2 == out, "rnrun with no arguments runs the demo")

# 3. Errors: one line naming the problem, a documented exit code.
with tempfile.TemporaryDirectory() as tmp:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    # A tiny RGB classifier with a fixed batch of 1: [1,3,8,8] -> 3 classes.
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 3], np.eye(3, dtype=np.float32).ravel())
    g = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
         helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Gemm", ["f", "w"], ["y"])],
        "rgb", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [w])
    rgb_model = os.path.join(tmp, "rgb.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), rgb_model)
    # A model with no image-like input.
    g2 = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "vec",
                           [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    vec_model = os.path.join(tmp, "vec.onnx")
    onnx.save(helper.make_model(g2, opset_imports=[helper.make_opsetid("", 13)]), vec_model)
    text = os.path.join(tmp, "notes.png")
    open(text, "w").write("not an image\n")
    labels = os.path.join(tmp, "labels.txt")
    open(labels, "w").write("red\ngreen\nblue\n")
    from PIL import Image
    red = os.path.join(tmp, "red.png")
    Image.new("RGB", (12, 10), (250, 10, 10)).save(red)
    blue = os.path.join(tmp, "blue.jpg")
    Image.new("RGB", (9, 9), (0, 0, 255)).save(blue, quality=95)

    rc, out, err = run("--labels", labels, "--no-normalize", "--top", "1", rgb_model, red, blue)
    check(rc == 0 and "red" in out.splitlines()[1] and "blue" in out.splitlines()[3],
          f"labels file + fixed batch 1 runs images one by one: {out!r} {err!r}")
    model = os.path.join(digits, "digits_resnet.onnx")
    cases = [
        (["/nonexistent/model.onnx", files[0]], 3, "/nonexistent/model.onnx", "missing model"),
        ([model, "/nonexistent/img.png"], 4, "/nonexistent/img.png", "missing image"),
        ([model, text], 4, "notes.png", "a text file named .png"),
        ([vec_model, files[0]], 3, "no image-like input", "model with no image-like input"),
        (["--gray", rgb_model, red], 4, "3 channels", "--gray with an RGB model (channel mismatch)"),
        (["--frobnicate", model, files[0]], 2, "--frobnicate", "unknown flag"),
        (["--top", "zero", model, files[0]], 2, "--top", "bad flag value"),
        ([model], 2, "no image given", "no image"),
        (["--labels", "/nonexistent/labels", model, files[0]], 2, "/nonexistent/labels", "missing labels file"),
    ]
    for args, code, needle, what in cases:
        rc, out, err = run(*args)
        lines = err.strip().splitlines()
        check(rc == code and len(lines) == 1 and needle in lines[0] and lines[0].startswith("rnrun: "),
              f"{what}: exit {rc} (want {code}), message {err.strip()!r}")

# Plugins: listed with their state; a folder that can't be read is a usage error.
plugin_dir = os.path.join(os.path.dirname(os.path.abspath(rnrun)), "..", "examples", "plugins")
rc, out, err = run("--plugins", plugin_dir, "--list-plugins")
check(rc == 0 and any(l.startswith("example ") for l in out.splitlines()) and "built for plugin ABI 99" in out,
      f"--list-plugins shows loaded plugins and why others did not load: {out!r}")
rc, out, err = run("--plugins", "/nonexistent/plugins", files[0])
check(rc == 2 and "/nonexistent/plugins" in err, f"--plugins with a missing folder: exit {rc}, {err.strip()!r}")
rc, out, err = run("--plugins", "none", "--json", "--top", "1", os.path.join(digits, "digits_resnet.onnx"), files[0])
check(rc == 0 and json.loads(out)["top"][0]["index"] == int(rows[0][2]), "--plugins none runs on rn's own kernels")

rc, out, err = run("--help")
check(rc == 0 and all(f in out for f in ("--top", "--labels", "--json", "--resize", "--crop", "--mean",
                                          "--std", "--gray", "--no-normalize", "--summary", "--bench",
                                          "--threads", "--device", "--plugins", "--profile", "--dot", "--no-optimize",
                                          "--demo", "Exit status")), "--help lists every flag and the exit codes")
rc, out, err = run("--bench", "5", os.path.join(digits, "digits_effnet.onnx"))
check(rc == 0 and "median " in out and " ms" in out, f"--bench prints a median line: {out.strip()}")
rc, out, err = run("--summary", os.path.join(digits, "digits_resnet.onnx"))
check(rc == 0 and out.strip().splitlines()[-1].startswith("total:"), "--summary prints totals")
# --summary describes the model as given: the same with or without rewrites;
# --no-optimize keeps the ONNX nodes in what runs (no FusedConv in the profile).
rc2, out2, err2 = run("--summary", "--no-optimize", os.path.join(digits, "digits_resnet.onnx"))
check(rc2 == 0 and out2 == out, "--summary is the model as given: the same table with --no-optimize")
with tempfile.TemporaryDirectory() as tmp:
    ops = {}
    for flag in ("", "--no-optimize"):
        prof = os.path.join(tmp, f"p{flag}.json")
        args = (["--no-optimize"] if flag else []) + ["--profile", prof, os.path.join(digits, "digits_resnet.onnx"),
                                                      files[0]]
        rc, _, err = run(*args)
        ops[flag] = {e["cat"] for e in json.load(open(prof))["traceEvents"]} if rc == 0 else set()
    check("FusedConv" in ops[""] and "FusedConv" not in ops["--no-optimize"] and "Conv" in ops["--no-optimize"],
          f"--no-optimize turns the graph rewrites off: {sorted(ops[''])} vs {sorted(ops['--no-optimize'])}")
with tempfile.TemporaryDirectory() as tmp:
    prof, dot = os.path.join(tmp, "p.json"), os.path.join(tmp, "g.dot")
    rc, out, err = run("--profile", prof, "--dot", dot, os.path.join(digits, "digits_effnet.onnx"), files[0])
    ok = rc == 0 and os.path.exists(prof) and os.path.exists(dot)
    if ok:
        events = json.load(open(prof))["traceEvents"]
        ok = len(events) > 10 and all(e["ph"] == "X" and e["dur"] >= 0 for e in events)
        ok = ok and open(dot).read().startswith("digraph")
    check(ok, "--profile writes a Chrome trace, --dot a Graphviz graph")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
