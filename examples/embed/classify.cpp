// Embedding rn from C++: the same as classify.c, with RAII owners.
//   c++ -std=c++17 classify.cpp $(pkg-config --cflags --libs rn) -o classify_cpp
#include <rn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void check(rn_status *st) {
  if (!st) return;
  std::string msg = rn_status_message(st);
  rn_status_free(st);
  throw std::runtime_error(msg);
}

template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Model = std::unique_ptr<rn_model, Deleter<rn_model, rn_model_free>>;
using Session = std::unique_ptr<rn_session, Deleter<rn_session, rn_session_free>>;
using Image = std::unique_ptr<rn_image, Deleter<rn_image, rn_image_free>>;
using Tensor = std::unique_ptr<rn_tensor, Deleter<rn_tensor, rn_tensor_free>>;

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx IMAGE\n", argv[0]);
    return 2;
  }
  try {
    rn_model *m = nullptr;
    check(rn_model_load_file(nullptr, argv[1], &m));
    Model model(m);
    rn_session *s = nullptr;
    check(rn_session_create(nullptr, model.get(), nullptr, &s));
    Session session(s);

    rn_value_info info;
    check(rn_session_input_info(session.get(), 0, &info));
    int h = info.rank == 4 && info.dims[2] > 0 ? int(info.dims[2]) : 224;
    int w = info.rank == 4 && info.dims[3] > 0 ? int(info.dims[3]) : 224;
    rn_preprocess pp;
    rn_preprocess_imagenet(&pp, h, w);
    if (info.rank == 4 && info.dims[1] == 1) {
      pp.channels = 1;
      pp.resize = h;
      pp.mean[0] = 0.5f;
      pp.std[0] = 0.5f;
    }
    rn_image *img = nullptr;
    check(rn_image_load_file(argv[2], &img));
    Image image(img);
    rn_tensor *x = nullptr;
    check(rn_images_to_tensor(&img, 1, &pp, &x));
    Tensor input(x);

    const char *in_name = rn_session_input_name(session.get(), 0);
    const char *out_name = rn_session_output_name(session.get(), 0);
    rn_tensor *y = nullptr;
    rn_tensor *inputs[] = {input.get()};
    check(rn_session_run(session.get(), 1, &in_name, inputs, 1, &out_name, &y));
    Tensor output(y);

    const float *logits = static_cast<const float *>(rn_tensor_data(output.get()));
    std::vector<double> p(logits, logits + rn_tensor_numel(output.get()));
    double mx = *std::max_element(p.begin(), p.end());
    for (double &v : p) v = std::exp(v - mx);
    double z = std::accumulate(p.begin(), p.end(), 0.0);
    std::vector<int> idx(p.size());
    std::iota(idx.begin(), idx.end(), 0);
    size_t top = std::min<size_t>(5, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + top, idx.end(), [&](int a, int b) { return p[a] > p[b]; });
    for (size_t r = 0; r < top; r++)
      std::printf("%zu. class %d  %.2f%%\n", r + 1, idx[r], 100 * p[idx[r]] / z);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "classify_cpp: %s\n", e.what());
    return 1;
  }
  return 0;
}
