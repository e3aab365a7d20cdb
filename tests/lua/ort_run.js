// Runs an ONNX model in ONNX Runtime (onnxruntime-node) on a raw float32 input.
// node ort_run.js ORT_PREFIX MODEL.onnx INPUT.f32 DIMS(comma-separated) OUTPUT.f32
// ORT_PREFIX: the folder given to `npm install --prefix`.  Writes the output "logits"
// as raw little-endian float32 and prints its dims.  Exit 77 if onnxruntime-node is
// not installed there.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [prefix, model, input, dimsArg, output] = process.argv.slice(2);
  let ort;
  try {
    ort = require(path.resolve(prefix, 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    console.log('SKIP: onnxruntime-node not available: ' + e.message);
    process.exit(77);
  }
  const dims = dimsArg.split(',').map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
  const feeds = { input: new ort.Tensor('float32', data, dims) };
  const out = await session.run(feeds);
  const y = out.logits;
  fs.writeFileSync(output, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  console.log(`onnxruntime-node ${require(path.resolve(prefix, 'node_modules', 'onnxruntime-node', 'package.json')).version}: ` +
              `${path.basename(model)} -> logits [${y.dims.join(',')}]`);
}

main().catch((e) => { console.error(e); process.exit(1); });
