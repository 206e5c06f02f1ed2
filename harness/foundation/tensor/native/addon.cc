// N-API glue of the native kernels: each call passes the wasm heap (a Float32Array over the module's
// memory), byte offsets of its tensors in it and their sizes; every tensor is checked to lie inside the
// heap before a kernel writes anything.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"

extern "C" {
// OpenBLAS extensions (declared in its cblas.h, repeated here so the build does not depend on which one).
void openblas_set_num_threads(int);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace rftbench {
namespace {

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// Arguments: (heap: Float32Array, a: byteOffset, b: byteOffset, out: byteOffset, geometry: Int32Array(13), threads).
// `extra`, when given, receives a seventh argument (which must then be present).
// With `extraOptional`, the seventh argument may be left out (*extra is then null).
bool ReadArgs(napi_env env, napi_callback_info info, const char* name, float** heap, size_t* heapFloats, int64_t offsets[3], Geometry* g, int32_t* threads, napi_value* extra = nullptr, bool extraOptional = false) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const size_t expected = extra && !(extraOptional && argc == 6) ? 7 : 6;
  if (extra) *extra = argc == 7 ? argv[6] : nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t byteOffset;
  if (argc != expected || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byteOffset) != napi_ok || type != napi_float32_array) {
    Throw(env, std::string(name) + ": expected (heap: Float32Array, offset, offset, offset, geometry: Int32Array, threads" + (!extra ? ")" : extraOptional ? "[, filterKey])" : ", affine: Float64Array)"));
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

// The data and length of a typed array of `type`; false if `v` is not one.
template <typename T>
bool TypedArray(napi_env env, napi_value v, napi_typedarray_type type, T** data, size_t* length) {
  napi_typedarray_type actual;
  napi_value buffer;
  size_t byteOffset;
  void* raw;
  if (napi_get_typedarray_info(env, v, &actual, length, &raw, &buffer, &byteOffset) != napi_ok || actual != type)
    return false;
  *data = static_cast<T*>(raw);
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

// kind: 0 conv2d, 1 its input gradient, 2 its filter gradient; 3 and 4 are 0 and 1 by Winograd, 5 and 6 direct;
// 7 MaxPool's gradient (x, dy, dx).
template <Kernel kernel, int kind>
napi_value Run(napi_env env, napi_callback_info info) {
  static const char* names[] = {"conv2d", "conv2dBackpropInput", "conv2dBackpropFilter", "conv2dWinograd",
                                "conv2dBackpropInputWinograd", "conv2dDirect", "conv2dBackpropInputDirect", "maxPoolGrad"};
  const char* name = names[kind];
  float* heap;
  size_t heapFloats;
  int64_t off[3];
  Geometry g;
  int32_t threads;
  napi_value keyArg;
  if (!ReadArgs(env, info, name, &heap, &heapFloats, off, &g, &threads, &keyArg, true)) return nullptr;
  const int64_t xFloats = g.n * g.h * g.w * g.ci, wFloats = g.K() * g.co, yFloats = g.pixels() * g.co;
  // (a, b, out) per kernel: conv2d (x, w, y), backprop input (dy, w, dx), backprop filter (x, dy, dw).
  const int64_t sizes[4][3] = {
      {xFloats, wFloats, yFloats}, {yFloats, wFloats, xFloats}, {xFloats, yFloats, wFloats}, {xFloats, yFloats, xFloats}};
  static const int roles[] = {0, 1, 2, 0, 1, 0, 1, 3};  // which of the three size rows each kind uses
  if ((kind == 3 || kind == 4) && !WinogradApplies(g)) {
    Throw(env, std::string(name) + ": needs a 3x3 filter and stride 1");
    return nullptr;
  }
  if (kind == 7 && (g.ci != g.co || g.h * g.w * g.ci > INT32_MAX)) {
    Throw(env, std::string(name) + ": a pooling geometry has as many channels out as in, and images under 2^31 floats");
    return nullptr;
  }
  if ((kind == 5 && !DirectConvApplies(g)) || (kind == 6 && !DirectBackpropInputApplies(g))) {
    Throw(env, std::string(name) + ": needs AVX2 + FMA and a multiple of 8 channels out (stride 1 for the gradient)");
    return nullptr;
  }
  for (int i = 0; i < 3; i++)
    if (!InHeap(env, name, heapFloats, off[i], sizes[roles[kind]][i])) return nullptr;
  // Winograd's: the filter's key for the transformed-filter cache, -1 (or left out) for none.
  int64_t key = -1;
  if (keyArg && napi_get_value_int64(env, keyArg, &key) != napi_ok)
    return Throw(env, std::string(name) + ": the filter key must be an integer (-1 for none)");
  if (kind == 3)
    Conv2DWinogradWith(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4, nullptr, key);
  else if (kind == 4)
    Conv2DBackpropInputWinogradWith(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4, key);
  else
    kernel(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4);
  return nullptr;
}

// (heap, x, w, y, geometry, threads, affine: Float64Array [scale byte offset, shift byte offset, relu 0|1,
// algorithm 0 im2col | 1 Winograd | 2 direct, residual byte offset or -1 for none, filter key or -1]):
// Conv2D with an eval-mode BatchNorm (then the residual, then ReLU) applied to its output as it is made.
napi_value RunConv2DAffine(napi_env env, napi_callback_info info) {
  const char* name = "conv2dAffine";
  float* heap;
  size_t heapFloats;
  int64_t off[3];
  Geometry g;
  int32_t threads;
  napi_value extra;
  if (!ReadArgs(env, info, name, &heap, &heapFloats, off, &g, &threads, &extra)) return nullptr;
  napi_typedarray_type type;
  size_t length;
  double* a;
  napi_value buffer;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, extra, &type, &length, reinterpret_cast<void**>(&a), &buffer, &byteOffset) != napi_ok || type != napi_float64_array || length != 6) {
    Throw(env, std::string(name) +
                   ": affine must be a Float64Array of 6 numbers (scale, shift, relu, algorithm, residual, filter key)");
    return nullptr;
  }
  for (int i = 0; i < 2; i++)
    if (!(a[i] >= 0) || std::fmod(a[i], 4.0) != 0) {
      Throw(env, std::string(name) + ": offsets must be non-negative multiples of 4");
      return nullptr;
    }
  const bool hasResidual = a[4] != -1;
  if (hasResidual && (!(a[4] >= 0) || std::fmod(a[4], 4.0) != 0)) {
    Throw(env, std::string(name) + ": the residual offset must be -1 or a non-negative multiple of 4");
    return nullptr;
  }
  const int64_t sizes[6] = {g.n * g.h * g.w * g.ci, g.K() * g.co, g.pixels() * g.co, g.co, g.co, g.pixels() * g.co};
  const int64_t at[6] = {off[0], off[1], off[2], int64_t(a[0]), int64_t(a[1]), hasResidual ? int64_t(a[4]) : 0};
  for (int i = 0; i < (hasResidual ? 6 : 5); i++)
    if (!InHeap(env, name, heapFloats, at[i], sizes[i])) return nullptr;
  // The residual must not overlap the output it is read beside.
  if (hasResidual && at[5] < off[2] + sizes[2] * 4 && off[2] < at[5] + sizes[5] * 4) {
    Throw(env, std::string(name) + ": the residual overlaps the output");
    return nullptr;
  }
  const Affine affine{heap + at[3] / 4, heap + at[4] / 4, a[2] != 0, hasResidual, (at[5] - off[2]) / 4};
  if (a[3] == 2 && DirectConvApplies(g))
    Conv2DDirectWith(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4, &affine);
  else if (a[3] == 1 && WinogradApplies(g))
    Conv2DWinogradWith(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4, &affine, int64_t(a[5]));
  else
    Conv2DWith(threads, g, heap + off[0] / 4, heap + off[1] / 4, heap + off[2] / 4, &affine);
  return nullptr;
}

// BatchNorm arguments: (heap, offsets: Float64Array, pixels, channels, [eps, relu,] threads).
struct BnArgs {
  float* heap;
  size_t heapFloats;
  double offsets[10];
  bool relu;
  int64_t pixels, channels;
  double eps;
  int32_t threads;
};

bool ReadBnArgs(napi_env env, napi_callback_info info, const char* name, size_t tensors, bool withEps, BnArgs* a) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const size_t expected = withEps ? 7 : 5;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t byteOffset;
  if (argc != expected || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byteOffset) != napi_ok || type != napi_float32_array) {
    Throw(env, std::string(name) + ": expected (heap: Float32Array, offsets: Float64Array, pixels, channels, " + (withEps ? "eps, relu, " : "") + "threads)");
    return false;
  }
  a->heap = static_cast<float*>(data);
  a->heapFloats = length;
  double* offsets;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, reinterpret_cast<void**>(&offsets), &buffer, &byteOffset) != napi_ok || type != napi_float64_array || length != tensors) {
    Throw(env, std::string(name) + ": offsets must be a Float64Array of " + std::to_string(tensors) + " byte offsets");
    return false;
  }
  for (size_t i = 0; i < tensors; i++) {
    a->offsets[i] = offsets[i];
    // -1: an optional tensor left out (BnInHeap says which may be).
    if (offsets[i] != -1 && (!(offsets[i] >= 0) || std::fmod(offsets[i], 4.0) != 0)) {
      Throw(env, std::string(name) + ": offsets must be non-negative multiples of 4 (or -1 for none)");
      return false;
    }
  }
  if (napi_get_value_int64(env, argv[2], &a->pixels) != napi_ok || napi_get_value_int64(env, argv[3], &a->channels) != napi_ok || a->pixels < 1 || a->channels < 1) {
    Throw(env, std::string(name) + ": pixels and channels must be positive integers");
    return false;
  }
  a->eps = 0;
  if (withEps && (napi_get_value_double(env, argv[4], &a->eps) != napi_ok || !(a->eps >= 0))) {
    Throw(env, std::string(name) + ": eps must be a non-negative number");
    return false;
  }
  a->relu = false;
  if (withEps && napi_get_value_bool(env, argv[5], &a->relu) != napi_ok) {
    Throw(env, std::string(name) + ": relu must be a boolean");
    return false;
  }
  if (napi_get_value_int32(env, argv[expected - 1], &a->threads) != napi_ok || a->threads < 1) {
    Throw(env, std::string(name) + ": threads must be a positive integer");
    return false;
  }
  return true;
}

// Tensors in offset order: `full[i]` says whether tensor i holds pixels x channels floats (else one per
// channel); those at or past `required` may be left out (-1).
bool BnInHeap(napi_env env, const char* name, const BnArgs& a, const std::vector<bool>& full,
              size_t required = SIZE_MAX) {
  for (size_t i = 0; i < full.size(); i++) {
    if (a.offsets[i] == -1) {
      if (i < required) return Throw(env, std::string(name) + ": tensor " + std::to_string(i) + " is required"), false;
      continue;
    }
    if (!InHeap(env, name, a.heapFloats, int64_t(a.offsets[i]), full[i] ? a.pixels * a.channels : a.channels)) return false;
  }
  return true;
}

float* At(const BnArgs& a, int i) { return a.offsets[i] == -1 ? nullptr : a.heap + int64_t(a.offsets[i]) / 4; }

// (x, w, b, y, mean, variance, invStd, [residual]), eps, relu
napi_value RunBatchNormTrain(napi_env env, napi_callback_info info) {
  BnArgs a;
  if (!ReadBnArgs(env, info, "batchNormTrain", 8, true, &a)) return nullptr;
  if (!BnInHeap(env, "batchNormTrain", a, {true, false, false, true, false, false, false, true}, 7)) return nullptr;
  TrainEpilogue epilogue;
  epilogue.residual = At(a, 7);
  epilogue.relu = a.relu;
  BatchNormTrain(a.threads, a.pixels, a.channels, float(a.eps), At(a, 0), At(a, 1), At(a, 2), At(a, 3), At(a, 4),
                 At(a, 5), At(a, 6), epilogue);
  return nullptr;
}

// (dy, x, mean, invStd, w, dx, dw, db, [reluOut], [dMasked])
napi_value RunBatchNormTrainGrad(napi_env env, napi_callback_info info) {
  BnArgs a;
  if (!ReadBnArgs(env, info, "batchNormTrainGrad", 10, false, &a)) return nullptr;
  if (!BnInHeap(env, "batchNormTrainGrad", a, {true, true, false, false, false, true, false, false, true, true}, 8))
    return nullptr;
  BatchNormTrainGrad(a.threads, a.pixels, a.channels, At(a, 0), At(a, 1), At(a, 2), At(a, 3), At(a, 4), At(a, 5),
                     At(a, 6), At(a, 7), At(a, 8), At(a, 9));
  return nullptr;
}

// (dy, y, scale, shift, out)
napi_value RunReluBatchNormGrad(napi_env env, napi_callback_info info) {
  BnArgs a;
  if (!ReadBnArgs(env, info, "reluBatchNormGrad", 5, false, &a)) return nullptr;
  if (!BnInHeap(env, "reluBatchNormGrad", a, {true, true, false, false, true})) return nullptr;
  ReluBatchNormGrad(a.threads, a.pixels, a.channels, At(a, 0), At(a, 1), At(a, 2), At(a, 3), At(a, 4));
  return nullptr;
}

// (heap, offsets: Float64Array [w, grad, buf, wOut, bufOut] (-1: no buffer), n, coefficients: Float64Array
// [weightDecay, momentum, 1 - dampening, lr, decay?, momentum?, nesterov?, maximize?], threads)
napi_value RunSgdStep(napi_env env, napi_callback_info info) {
  const char* name = "sgdStep";
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* heap;
  size_t heapLength, offsetCount, coefficientCount;
  double *offsets, *c;
  int64_t n;
  int32_t threads;
  if (argc != 5 || !TypedArray(env, argv[0], napi_float32_array, &heap, &heapLength) ||
      !TypedArray(env, argv[1], napi_float64_array, &offsets, &offsetCount) || offsetCount != 5 ||
      napi_get_value_int64(env, argv[2], &n) != napi_ok || n < 1 ||
      !TypedArray(env, argv[3], napi_float64_array, &c, &coefficientCount) || coefficientCount != 8 ||
      napi_get_value_int32(env, argv[4], &threads) != napi_ok || threads < 1)
    return Throw(env, std::string(name) + ": expected (heap: Float32Array, offsets: Float64Array(5), n > 0, "
                                          "coefficients: Float64Array(8), threads > 0)");
  const SgdCoefficients k{float(c[0]), float(c[1]), float(c[2]), float(c[3]), c[4] != 0, c[5] != 0, c[6] != 0, c[7] != 0};
  float* at[5];
  for (int i = 0; i < 5; i++) {
    const bool optional = i == 2 || (i == 4 && !k.withMomentum);
    if (optional && offsets[i] == -1) {
      at[i] = nullptr;
      continue;
    }
    if (!(offsets[i] >= 0) || std::fmod(offsets[i], 4.0) != 0)
      return Throw(env, std::string(name) + ": offset " + std::to_string(i) + " must be a non-negative multiple of 4");
    if (!InHeap(env, name, heapLength, int64_t(offsets[i]), n)) return nullptr;
    at[i] = heap + int64_t(offsets[i]) / 4;
  }
  SgdStep(threads, n, k, at[0], at[1], at[2], at[3], at[4]);
  return nullptr;
}

// (heap, x byte offset, y byte offset, images, pixels, channels, mean: boolean, threads)
napi_value RunSpatialReduce(napi_env env, napi_callback_info info) {
  const char* name = "spatialReduce";
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* heap;
  size_t heapFloats;
  int64_t at[2], dims[3];
  bool mean;
  int32_t threads;
  bool ok = argc == 8 && TypedArray(env, argv[0], napi_float32_array, &heap, &heapFloats);
  for (int i = 0; ok && i < 2; i++) ok = napi_get_value_int64(env, argv[1 + i], &at[i]) == napi_ok && at[i] >= 0 && at[i] % 4 == 0;
  for (int i = 0; ok && i < 3; i++) ok = napi_get_value_int64(env, argv[3 + i], &dims[i]) == napi_ok && dims[i] > 0;
  ok = ok && napi_get_value_bool(env, argv[6], &mean) == napi_ok && napi_get_value_int32(env, argv[7], &threads) == napi_ok &&
       threads > 0;
  if (!ok)
    return Throw(env, std::string(name) + ": expected (heap: Float32Array, x, y: byte offsets (multiples of 4), images, "
                                          "pixels, channels > 0, mean: boolean, threads > 0)");
  if (!InHeap(env, name, heapFloats, at[0], dims[0] * dims[1] * dims[2]) || !InHeap(env, name, heapFloats, at[1], dims[0] * dims[2]))
    return nullptr;
  SpatialReduce(threads, dims[0], dims[1], dims[2], mean, heap + at[0] / 4, heap + at[1] / 4);
  return nullptr;
}

// (bytes): the transformed-filter cache's budget for this JS thread (0 empties it and keeps nothing).
napi_value SetFilterCacheLimit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t bytes;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 1 || napi_get_value_int64(env, argv[0], &bytes) != napi_ok || bytes < 0)
    return Throw(env, "setFilterCacheLimit: expected a non-negative byte count");
  WinogradFilters().SetLimit(bytes);
  return nullptr;
}

// (key): the weight tensor named `key` was disposed; its transform's storage is kept for the next one.
napi_value ReleaseFilter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t key;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 1 || napi_get_value_int64(env, argv[0], &key) != napi_ok)
    return Throw(env, "releaseFilter: expected a weight key");
  WinogradFilters().Release(key);
  return nullptr;
}

// This JS thread's cache: { hits, misses, evictions, released, entries, bytes, spareBytes }.
napi_value FilterCacheStatsJs(napi_env env, napi_callback_info) {
  const FilterCacheStats s = WinogradFilters().Stats();
  napi_value out, value;
  napi_create_object(env, &out);
  const std::pair<const char*, int64_t> fields[] = {
      {"hits", s.hits},         {"misses", s.misses},   {"evictions", s.evictions},  {"released", s.released},
      {"entries", s.entries},   {"bytes", s.bytes},     {"spareBytes", s.spareBytes}};
  for (const auto& [key, v] : fields) {
    napi_create_int64(env, v, &value);
    napi_set_named_property(env, out, key, value);
  }
  return out;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, value;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "config", value);
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "core", value);
  napi_get_boolean(env, DirectConvSupported(), &value);
  napi_set_named_property(env, out, "direct", value);
  return out;
}

}  // namespace
}  // namespace rftbench

using namespace rftbench;

NAPI_MODULE_INIT() {
  // OpenBLAS never starts threads of its own: ours split the work (ForImageRanges).
  openblas_set_num_threads(1);
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Run<Conv2D, 0>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Run<Conv2DBackpropInput, 1>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Run<Conv2DBackpropFilter, 2>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dWinograd", nullptr, Run<Conv2DWinograd, 3>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInputWinograd", nullptr, Run<Conv2DBackpropInputWinograd, 4>, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"conv2dDirect", nullptr, Run<Conv2DDirect, 5>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInputDirect", nullptr, Run<Conv2DBackpropInputDirect, 6>, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"maxPoolGrad", nullptr, Run<MaxPoolGrad, 7>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dAffine", nullptr, RunConv2DAffine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrain", nullptr, RunBatchNormTrain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, RunBatchNormTrainGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluBatchNormGrad", nullptr, RunReluBatchNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spatialReduce", nullptr, RunSpatialReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdStep", nullptr, RunSgdStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setFilterCacheLimit", nullptr, SetFilterCacheLimit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"filterCacheStats", nullptr, FilterCacheStatsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseFilter", nullptr, ReleaseFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
