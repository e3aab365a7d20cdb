#!/usr/bin/python3
"""Benchmark rn against ONNX Runtime on torchvision models (see bench/README.md).

One command does everything: installs the pinned onnxruntime-node, exports
the models and inputs if missing, builds rn-bench, then for each model x batch
x threads times both runtimes in alternating child processes, and prints a
markdown table of median latencies, rn/ORT ratios, peak memory and output
agreement (also saved as JSON in bench/results/).  Exits non-zero if any
runtime failed or the two runtimes' outputs disagree.
"""

import argparse
import array
import datetime
import glob
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS_DIR = os.path.join(HERE, "models")
RESULTS_DIR = os.path.join(HERE, "results")
PYTHON = "/usr/bin/python3"   # Debian's, with torch/torchvision/onnx
ORT_PACKAGE = os.path.join(HERE, "node_modules", "onnxruntime-node", "package.json")

MODELS = ("resnet18", "resnet50", "efficientnet_b0", "mobilenet_v2")
# Outputs agree when max|rn - ORT| <= TOL_MAX_REL * max|ORT| and every
# image's top-1 class is the same (the model tests' tolerance; the inputs are
# chosen so that a within-tolerance output cannot change the top-1).
TOL_MAX_REL = 1e-3


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def check_call(cmd, **kw):
    log("+ " + " ".join(cmd))
    subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- setup

def ensure_npm():
    if os.path.exists(ORT_PACKAGE):
        return
    # The postinstall script downloads GPU binaries; the CPU ones ship in the package.
    env = dict(os.environ, ONNXRUNTIME_NODE_INSTALL="skip")
    check_call(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=HERE, env=env)


def input_path(batch):
    return os.path.join(MODELS_DIR, f"input_b{batch}.bin")


def model_path(name):
    return os.path.join(MODELS_DIR, f"{name}.onnx")


def ensure_models(models, batches):
    needed = [model_path(m) for m in models] + [input_path(b) for b in batches]
    if all(os.path.exists(p) for p in needed):
        return
    check_call([PYTHON, os.path.join(HERE, "export_models.py"), "--models", *models,
                "--batches", *map(str, batches)])


def ensure_rn(build_dir, rebuild):
    """rn-bench in build_dir: built (configuring build_dir if needed) when
    missing or when asked to, so a broken work tree does not stop a run."""
    exe = os.path.join(build_dir, "bench", "rn-bench")
    if os.path.exists(exe) and not rebuild:
        return exe
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        # -O3 -DNDEBUG; werror off: a warning only -O3 raises must not stop a benchmark
        check_call(["meson", "setup", "--buildtype=release", "-Dwerror=false", build_dir],
                   cwd=ROOT)
    # The plugin is loaded at run time, so no link dependency builds it.
    check_call(["meson", "compile", "-C", build_dir, "rn-bench", "rn-plugin-cpu"], cwd=ROOT,
               stdout=sys.stderr)
    return exe


def build_type(build_dir):
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            return next(o["value"] for o in json.load(f) if o["name"] == "buildtype")
    except (OSError, ValueError, StopIteration):
        return "unknown"


def built_time(build_dir, rn_bench):
    """When rn-bench, librn or a plugin was last linked: HEAD need not be
    what they were built from (see ensure_rn)."""
    files = [rn_bench, *glob.glob(os.path.join(build_dir, "librn.so*")),
             *glob.glob(os.path.join(build_dir, "plugins", "*", "rn-plugin-*.so"))]
    newest = max(os.path.getmtime(f) for f in files)
    return datetime.datetime.fromtimestamp(newest).isoformat(timespec="seconds")


def rn_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- measuring

class ChildError(Exception):
    pass


def run_child(cmd):
    """Runs one benchmark process; returns (times_ms, peak RSS in MiB).

    wait4 gives this child's own ru_maxrss.  Linux carries the parent's peak
    RSS over the exec into it, so this script stays small (no numpy) for the
    children's peaks to be theirs; main() checks that it did."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise ChildError(stderr.strip() or f"{cmd[0]} exited with status {proc.returncode}")
    if stderr.strip():
        log(stderr.rstrip())
    return json.loads(stdout.strip().splitlines()[-1])["times_ms"], usage.ru_maxrss / 1024.0


def read_floats(path):
    values = array.array("f")
    with open(path, "rb") as f:
        values.frombytes(f.read())
    if sys.byteorder != "little":
        values.byteswap()
    return values


def compare(rn_path, ort_path, batch):
    """Max |rn - ORT|, the tolerance it is held to, and how many images agree on top-1."""
    rn, ort = read_floats(rn_path), read_floats(ort_path)
    if len(rn) != len(ort) or len(ort) % batch:
        raise ChildError(f"output sizes differ: rn {len(rn)}, ORT {len(ort)} floats")
    max_diff = max(abs(a - b) for a, b in zip(rn, ort))
    tol = TOL_MAX_REL * max(abs(b) for b in ort)
    n = len(ort) // batch

    def argmax(v, i):
        return max(range(i * n, (i + 1) * n), key=v.__getitem__)

    top1 = sum(argmax(rn, i) == argmax(ort, i) for i in range(batch))
    return max_diff, tol, top1


def runs_per_process(batch, runs):
    # A batch of 8 costs about 8 batches of 1: fewer runs keep the full run short.
    return runs if batch == 1 else (runs + 1) // 2


def bench_config(rn_bench, model, batch, threads, args, tmpdir, first):
    """Times one configuration: `args.rounds` rounds of one rn and one ORT
    process, alternating which goes first (`first` carries the alternation
    across configurations), pooling the timed runs of every round."""
    runs = runs_per_process(batch, args.runs)
    common = [model_path(model), input_path(batch), "--batch", str(batch), "--threads",
              str(threads), "--warmup", str(args.warmup), "--runs", str(runs)]
    outputs = {"rn": os.path.join(tmpdir, "rn.bin"), "ort": os.path.join(tmpdir, "ort.bin")}
    commands = {"rn": [rn_bench, *common, "--output", outputs["rn"]],
                "ort": ["node", os.path.join(HERE, "ort_bench.js"), *common,
                        "--output", outputs["ort"]]}
    times = {"rn": [], "ort": []}
    round_ratios = []  # per round: rn's median / ORT's median, measured back to back
    peak = {"rn": 0.0, "ort": 0.0}
    row = {"model": model, "batch": batch, "threads": threads, "rounds": args.rounds,
           "runs_per_process": runs, "warmup": args.warmup, "error": None}
    try:
        for r in range(args.rounds):
            order = ("rn", "ort") if (first + r) % 2 == 0 else ("ort", "rn")
            medians = {}
            for rt in order:
                t, mib = run_child(commands[rt])
                times[rt] += t
                medians[rt] = statistics.median(t)
                peak[rt] = max(peak[rt], mib)
            round_ratios.append(medians["rn"] / medians["ort"])
        max_diff, tol, top1 = compare(outputs["rn"], outputs["ort"], batch)
    except (ChildError, OSError, ValueError, KeyError) as e:
        row["error"] = str(e)
        return row
    row.update({
        "rn_times_ms": times["rn"], "ort_times_ms": times["ort"],
        "rn_median_ms": statistics.median(times["rn"]),
        "ort_median_ms": statistics.median(times["ort"]),
        "rn_peak_mib": peak["rn"], "ort_peak_mib": peak["ort"],
        "max_abs_diff": max_diff, "tolerance": tol, "top1_agree": top1,
        "outputs_agree": max_diff <= tol and top1 == batch,
    })
    row["ratio"] = row["rn_median_ms"] / row["ort_median_ms"]
    # The machine's speed drifts (shared cores): ratios of processes run back
    # to back are steadier than ratios of pooled medians.
    row["round_ratios"] = round_ratios
    row["paired_ratio"] = statistics.median(round_ratios)
    return row


# ---------------------------------------------------------------- reporting

def table(rows):
    head = ["model", "batch", "threads", "rn median ms", "ORT median ms", "rn/ORT",
            "rn/ORT paired", "rn peak MiB", "ORT peak MiB", "max abs diff", "top-1 agree"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["model"], str(r["batch"]), str(r["threads"])]
        if r["error"]:
            cells += ["ERROR: " + r["error"].splitlines()[0]] + [""] * (len(head) - 4)
        else:
            agree = f"{r['top1_agree']}/{r['batch']}"
            if not r["outputs_agree"]:
                agree += " **DISAGREE**"
            cells += [f"{r['rn_median_ms']:.2f}", f"{r['ort_median_ms']:.2f}",
                      f"{r['ratio']:.2f}", f"{r['paired_ratio']:.2f}", f"{r['rn_peak_mib']:.0f}", f"{r['ort_peak_mib']:.0f}",
                      f"{r['max_abs_diff']:.2e}", agree]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5,
                    help="processes per runtime and configuration (default 5)")
    ap.add_argument("--runs", type=int, default=8,
                    help="timed runs per process at batch 1; half as many at larger "
                         "batches (default 8)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per process (default 2)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke check: 1 round, 2 runs, 1 warmup (numbers are not meaningful)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                    help="meson build dir for rn (default: build/); configured if missing")
    ap.add_argument("--rebuild", action="store_true",
                    help="rebuild rn-bench and the CPU plugin even if rn-bench exists")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.runs, args.warmup = 1, 2, 1
    if min(args.rounds, args.runs, *args.batches, *args.threads) < 1 or args.warmup < 0:
        ap.error("--rounds, --runs, --batches and --threads must be >= 1, --warmup >= 0")
    build_dir = os.path.abspath(args.build_dir)

    try:
        ensure_npm()
        ensure_models(args.models, args.batches)
        rn_bench = ensure_rn(build_dir, args.rebuild)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"run.py: setup failed: {e}")
        return 2
    with open(ORT_PACKAGE) as f:
        ort_version = json.load(f)["version"]

    rows = []
    first = 0
    with tempfile.TemporaryDirectory(prefix="rn-bench-") as tmpdir:
        for model in args.models:
            for batch in args.batches:
                for threads in args.threads:
                    log(f"{model} batch {batch} threads {threads} ...")
                    rows.append(bench_config(rn_bench, model, batch, threads, args, tmpdir, first))
                    if rows[-1]["error"]:
                        log(f"  error: {rows[-1]['error']}")
                    first += args.rounds

    # See run_child: a child peak below this script's own may be this script's.
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if any(not r["error"] and min(r["rn_peak_mib"], r["ort_peak_mib"]) <= own_peak for r in rows):
        log(f"warning: some peak memory figures may be this script's own ({own_peak:.0f} MiB)")

    meta = {
        "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
        "rn_commit": rn_commit(), "rn_buildtype": build_type(build_dir),
        "rn_built": built_time(build_dir, rn_bench),
        "onnxruntime_node": ort_version, "cpu": cpu_model(), "cpus": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "quick": args.quick, "tolerance_max_rel": TOL_MAX_REL,
    }
    os.makedirs(RESULTS_DIR, exist_ok=True)
    out = os.path.join(RESULTS_DIR, meta["timestamp"].replace(":", "") + ".json")
    with open(out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
        f.write("\n")

    print(f"rn built {meta['rn_built']} ({meta['rn_buildtype']}; tree at "
          f"{meta['rn_commit'][:12]}) vs onnxruntime-node {ort_version} "
          f"on {meta['cpu']} ({meta['cpus']} CPUs); "
          f"rounds per configuration: {args.rounds}, each one process per runtime doing "
          f"{args.warmup} warmup + {args.runs} timed runs at batch 1, "
          f"{runs_per_process(2, args.runs)} at larger batches; medians over all timed runs; "
          f"paired: the median over rounds of rn's median / ORT's median in that round\n")
    print(table(rows))
    log(f"\nresults: {out}")
    failed = [r for r in rows if r["error"] or not r["outputs_agree"]]
    if failed:
        log(f"{len(failed)} configuration(s) failed or disagree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
