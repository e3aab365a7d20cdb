#!/usr/bin/env node
// ort_bench.js: rn-bench (rn_bench.c) for ONNX Runtime, same arguments and output.
//
//   node ort_bench.js MODEL INPUT.bin --batch N --threads N --warmup N --runs N [--output FILE]
//
// Prints one JSON line, {"times_ms":[...]}; with --output writes the first
// output of the last run as raw float32.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

const USAGE = 'usage: node ort_bench.js MODEL INPUT.bin --batch N --threads N --warmup N --runs N [--output FILE]';

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { batch: 1, threads: 1, warmup: 1, runs: 10, output: null };
  const minimum = { batch: 1, threads: 1, warmup: 0, runs: 1 };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(batch|threads|warmup|runs|output)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      if (argv[i].startsWith('--')) throw new UsageError(`unknown option ${argv[i]}`);
      positional.push(argv[i]);
      continue;
    }
    const value = m[2] !== undefined ? m[2] : argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    if (m[1] === 'output') {
      opts.output = value;
    } else {
      if (!/^\d+$/.test(value) || Number(value) < minimum[m[1]])
        throw new UsageError(`--${m[1]}: expected an integer >= ${minimum[m[1]]}, got '${value}'`);
      opts[m[1]] = Number(value);
    }
  }
  if (positional.length !== 2) throw new UsageError('expected MODEL and INPUT.bin');
  [opts.model, opts.input] = positional;
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(opts.model, {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  try {
    // [batch, C, H, W]: C, H, W from the model, the batch axis is dynamic.
    const meta = session.inputMetadata[0];
    const chw = meta.shape.slice(1);
    if (meta.type !== 'float32' || meta.shape.length !== 4 || !chw.every(Number.isInteger))
      throw new Error(`${opts.model}: expected a float32 [N, C, H, W] input with static C, H, W`);
    const dims = [opts.batch, ...chw];
    const nbytes = 4 * dims.reduce((a, b) => a * b, 1);
    const bytes = fs.readFileSync(opts.input);
    if (bytes.length !== nbytes)
      throw new Error(`${opts.input}: expected exactly ${nbytes} bytes of float32 input`);
    // Copy into an aligned buffer (x86 is little-endian, as the file is).
    const pixels = new Float32Array(nbytes / 4);
    new Uint8Array(pixels.buffer).set(bytes);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, dims) };

    const times = [];
    let result;
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      const t0 = process.hrtime.bigint();
      result = await session.run(feeds);
      const t1 = process.hrtime.bigint();
      if (i >= opts.warmup) times.push(Number(t1 - t0) / 1e6);
    }
    if (opts.output) {
      const out = result[session.outputNames[0]].data;
      fs.writeFileSync(opts.output, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    }
    console.log(JSON.stringify({ times_ms: times.map((t) => Number(t.toFixed(4))) }));
  } finally {
    await session.release();
  }
}

main().catch((err) => {
  console.error(`ort-bench: ${err.message}`);
  if (err instanceof UsageError) console.error(USAGE);
  process.exit(err instanceof UsageError ? 2 : 1);
});
