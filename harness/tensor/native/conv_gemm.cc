// Convolution kernels for the wasm backend as chunked im2col + OpenBLAS sgemm, run in place on the
// wasm heap (a Float32Array over the module's memory; every offset is a byte offset into it). Layouts are tfjs's: NHWC
// activations, filters [kh, kw, ci, co], so a filter is a K x co matrix with K = kh*kw*ci and an
// im2col row of an output pixel lists its taps in that same (ky, kx, c) order.
#include <cblas.h>
#include <node_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern "C" {
// OpenBLAS extensions (declared in its cblas.h, repeated here so the build does not depend on which one).
void openblas_set_num_threads(int);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace {

struct Geometry {
  int64_t n, h, w, ci, co, kh, kw, sh, sw, oh, ow, top, left;
  int64_t K() const { return kh * kw * ci; }
  int64_t pixels() const { return n * oh * ow; }
  // A 1x1, stride-1, unpadded convolution is a plain matrix product over pixels: no im2col.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && top == 0 && left == 0 && oh == h && ow == w; }
};

// Floats of im2col rows per chunk and thread: large enough for efficient products, small enough to
// stay in a core's cache between im2col and the product.
// Measured on ResNet-18 and the small model: 2^16..2^20 alike, 2^18 best by a few percent.
constexpr int64_t kChunkFloats = int64_t(1) << 18;

int64_t ChunkPixels(const Geometry& g, int64_t pixels) { return std::max<int64_t>(1, std::min(pixels, kChunkFloats / std::max<int64_t>(1, g.K()))); }

// Our own threads split the batch by images; each runs single-threaded sgemm on its share. Measured
// here this beats OpenBLAS's threads on each chunk (which sync per call) and parallelises im2col too.
// The count comes with each call: the module is shared by every JS thread (evaluation workers use 1).
template <typename F>
void ForImageRanges(int threads, int64_t n, F f) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < parts; t++) workers.emplace_back(f, t, n * t / parts, n * (t + 1) / parts);
  f(0, 0, n / parts);
  for (auto& w : workers) w.join();
}

// Per-thread scratch, reused across calls.
float* Scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// cols[p - p0][(ky*kw + kx)*ci + c] = x under tap (ky, kx) of output pixel p, zero in the padding.
void Im2col(const Geometry& g, const float* x, float* cols, int64_t p0, int64_t p1) {
  const int64_t K = g.K(), perImage = g.oh * g.ow, rowFloats = g.kw * g.ci;
  for (int64_t p = p0; p < p1; p++) {
    const int64_t img = p / perImage, oy = (p % perImage) / g.ow, ox = p % g.ow;
    float* row = cols + (p - p0) * K;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      const int64_t iy = oy * g.sh - g.top + ky;
      float* dst = row + ky * rowFloats;
      if (iy < 0 || iy >= g.h) {
        std::memset(dst, 0, rowFloats * sizeof(float));
        continue;
      }
      const float* src = x + ((img * g.h + iy) * g.w) * g.ci;
      const int64_t ix0 = ox * g.sw - g.left;
      // Taps inside the row are one contiguous run of kx·ci floats; zero those off either edge.
      const int64_t first = std::max<int64_t>(0, -ix0), end = std::min<int64_t>(g.kw, g.w - ix0);
      if (first >= end) {
        std::memset(dst, 0, rowFloats * sizeof(float));
        continue;
      }
      if (first > 0) std::memset(dst, 0, first * g.ci * sizeof(float));
      std::memcpy(dst + first * g.ci, src + (ix0 + first) * g.ci, (end - first) * g.ci * sizeof(float));
      if (end < g.kw) std::memset(dst + end * g.ci, 0, (g.kw - end) * g.ci * sizeof(float));
    }
  }
}

// The adjoint of Im2col: dx under each tap of each output pixel += the matching column entry.
void Col2imAdd(const Geometry& g, const float* cols, float* dx, int64_t p0, int64_t p1) {
  const int64_t K = g.K(), perImage = g.oh * g.ow;
  for (int64_t p = p0; p < p1; p++) {
    const int64_t img = p / perImage, oy = (p % perImage) / g.ow, ox = p % g.ow;
    const float* row = cols + (p - p0) * K;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      const int64_t iy = oy * g.sh - g.top + ky;
      if (iy < 0 || iy >= g.h) continue;
      const int64_t ix0 = ox * g.sw - g.left;
      const int64_t first = std::max<int64_t>(0, -ix0), end = std::min<int64_t>(g.kw, g.w - ix0);
      if (first >= end) continue;
      const float* src = row + (ky * g.kw + first) * g.ci;
      float* dst = dx + ((img * g.h + iy) * g.w + ix0 + first) * g.ci;
      const int64_t count = (end - first) * g.ci;
      for (int64_t i = 0; i < count; i++) dst[i] += src[i];
    }
  }
}

// Runs f(cols, p0, p1) over chunks of the output pixels [P0, P1), cols being this thread's scratch.
template <typename F>
void ForChunks(const Geometry& g, int64_t P0, int64_t P1, F f) {
  const int64_t chunk = ChunkPixels(g, P1 - P0);
  float* cols = Scratch(chunk * g.K());
  for (int64_t p0 = P0; p0 < P1; p0 += chunk) f(cols, p0, std::min(P1, p0 + chunk));
}

// y[P, co] = im2col(x) · W
void Conv2D(int threads, const Geometry& g, const float* x, const float* w, float* y) {
  const int64_t K = g.K(), perImage = g.oh * g.ow;
  ForImageRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    const int64_t P0 = i0 * perImage, P1 = i1 * perImage;
    if (g.pointwise()) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, P1 - P0, g.co, K, 1.f, x + P0 * K, K, w, g.co, 0.f, y + P0 * g.co, g.co);
      return;
    }
    ForChunks(g, P0, P1, [&](float* cols, int64_t p0, int64_t p1) {
      Im2col(g, x, cols, p0, p1);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p1 - p0, g.co, K, 1.f, cols, K, w, g.co, 0.f, y + p0 * g.co, g.co);
    });
  });
}

// dx = col2im(dy · Wᵀ); threads own whole images, so their scatter-adds never overlap.
void Conv2DBackpropInput(int threads, const Geometry& g, const float* dy, const float* w, float* dx) {
  const int64_t K = g.K(), perImage = g.oh * g.ow, inImage = g.h * g.w * g.ci;
  ForImageRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    const int64_t P0 = i0 * perImage, P1 = i1 * perImage;
    if (g.pointwise()) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, P1 - P0, K, g.co, 1.f, dy + P0 * g.co, g.co, w, g.co, 0.f, dx + P0 * K, K);
      return;
    }
    std::memset(dx + i0 * inImage, 0, (i1 - i0) * inImage * sizeof(float));
    ForChunks(g, P0, P1, [&](float* cols, int64_t p0, int64_t p1) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p1 - p0, K, g.co, 1.f, dy + p0 * g.co, g.co, w, g.co, 0.f, cols, K);
      Col2imAdd(g, cols, dx, p0, p1);
    });
  });
}

// dW[K, co] = Σ im2col(x)ᵀ · dy: each thread sums its images into its own partial, then thread 0's
// (which is dw itself) receives the others in a fixed order, so results do not depend on timing.
void Conv2DBackpropFilter(int threads, const Geometry& g, const float* x, const float* dy, float* dw) {
  const int64_t K = g.K(), perImage = g.oh * g.ow, size = K * g.co;
  std::vector<std::vector<float>> partials(std::max<int64_t>(0, std::min<int64_t>(threads, g.n) - 1));
  ForImageRanges(threads, g.n, [&](int64_t t, int64_t i0, int64_t i1) {
    float* out = dw;
    if (t > 0) {
      partials[t - 1].resize(size);
      out = partials[t - 1].data();
    }
    const int64_t P0 = i0 * perImage, P1 = i1 * perImage;
    if (P1 == P0) {
      std::memset(out, 0, size * sizeof(float));
      return;
    }
    if (g.pointwise()) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, g.co, P1 - P0, 1.f, x + P0 * K, K, dy + P0 * g.co, g.co, 0.f, out, g.co);
      return;
    }
    ForChunks(g, P0, P1, [&](float* cols, int64_t p0, int64_t p1) {
      Im2col(g, x, cols, p0, p1);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, g.co, p1 - p0, 1.f, cols, K, dy + p0 * g.co, g.co, p0 == P0 ? 0.f : 1.f, out, g.co);
    });
  });
  for (const auto& part : partials)
    for (int64_t i = 0; i < size; i++) dw[i] += part[i];
}

// ---- N-API glue --------------------------------------------------------------------------------

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// Arguments: (heap: Float32Array, a: byteOffset, b: byteOffset, out: byteOffset, geometry: Int32Array(13), threads).
bool ReadArgs(napi_env env, napi_callback_info info, const char* name, float** heap, size_t* heapFloats, int64_t offsets[3], Geometry* g, int32_t* threads) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t byteOffset;
  if (argc != 6 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byteOffset) != napi_ok || type != napi_float32_array) {
    Throw(env, std::string(name) + ": expected (heap: Float32Array, offset, offset, offset, geometry: Int32Array, threads)");
    return false;
  }
  *heap = static_cast<float*>(data);
  *heapFloats = length;
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int64(env, argv[1 + i], &offsets[i]) != napi_ok || offsets[i] < 0 || offsets[i] % 4 != 0) {
      Throw(env, std::string(name) + ": offsets must be non-negative multiples of 4");
      return false;
    }
  }
  int32_t* dims;
  if (napi_get_typedarray_info(env, argv[4], &type, &length, reinterpret_cast<void**>(&dims), &buffer, &byteOffset) != napi_ok || type != napi_int32_array || length != 13) {
    Throw(env, std::string(name) + ": geometry must be an Int32Array of 13 numbers");
    return false;
  }
  if (napi_get_value_int32(env, argv[5], threads) != napi_ok || *threads < 1) {
    Throw(env, std::string(name) + ": threads must be a positive integer");
    return false;
  }
  *g = Geometry{dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9], dims[10], dims[11], dims[12]};
  // Extents and strides positive, paddings not negative (the caller keeps empty shapes on wasm).
  for (int i = 0; i < 11; i++) {
    if (dims[i] < 1) {
      Throw(env, std::string(name) + ": geometry entry " + std::to_string(i) + " must be positive");
      return false;
    }
  }
  if (g->top < 0 || g->left < 0) {
    Throw(env, std::string(name) + ": padding must not be negative");
    return false;
  }
  return true;
}

// Every tensor a kernel touches must lie inside the heap.
bool InHeap(napi_env env, const char* name, size_t heapFloats, int64_t byteOffset, int64_t floats) {
  if (byteOffset / 4 + floats > static_cast<int64_t>(heapFloats)) {
    Throw(env, std::string(name) + ": a tensor extends past the end of the heap");
    return false;
  }
  return true;
}

using Kernel = void (*)(int, const Geometry&, const float*, const float*, float*);

template <Kernel kernel, int kind>
napi_value Run(napi_env env, napi_callback_info info) {
  static const char* names[] = {"conv2d", "conv2dBackpropInput", "conv2dBackpropFilter"};
  const char* name = names[kind];
  float* heap;
  size_t heapFloats;
  int64_t off[3];
  Geometry g;
  int32_t threads;
  if (!ReadArgs(env, info, name, &heap, &heapFloats, off, &g, &threads)) return nullptr;
  const int64_t xFloats = g.n * g.h * g.w * g.ci, wFloats = g.K() * g.co, yFloats = g.pixels() * g.co;
  // (a, b, out) per kernel: conv2d (x, w, y), backprop input (dy, w, dx), backprop filter (x, dy, dw).
  const int64_t sizes[3][3] = {{xFloats, wFloats, yFloats}, {yFloats, wFloats, xFloats}, {xFloats, yFloats, wFloats}};
  for (int i = 0; i < 3; i++)
    if (!InHeap(env, name, heapFloats, off[i], sizes[kind][i])) return nullptr;
  kernel(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4);
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, value;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "config", value);
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "core", value);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  // OpenBLAS never starts threads of its own: ours split the work (ForImageRanges).
  openblas_set_num_threads(1);
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Run<Conv2D, 0>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Run<Conv2DBackpropInput, 1>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Run<Conv2DBackpropFilter, 2>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
