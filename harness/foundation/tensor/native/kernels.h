// The native kernels of rftbench's wasm backend (see native-kernels.ts): convolutions (conv_gemm.cc) and
// training-mode BatchNorm (batch_norm.cc). They run on the caller's memory, with `threads` threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace rftbench {

// An NHWC convolution (dilation 1): input n x h x w x ci, filter kh x kw x ci x co, output n x oh x ow x co.
struct Geometry {
  int64_t n, h, w, ci, co, kh, kw, sh, sw, oh, ow, top, left;
  int64_t K() const { return kh * kw * ci; }
  int64_t pixels() const { return n * oh * ow; }
  // A 1x1, stride-1, unpadded convolution is a plain matrix product over pixels: no im2col.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && top == 0 && left == 0 && oh == h && ow == w; }
};

// Per-thread scratch that grows and is kept (the pool's threads live on). One buffer per slot, because scratch
// users nest: a convolution's chunk holds kConv or kWinograd while RowStableSgemm inside it uses kPad. Whole
// filters (transformed or turned) and filter-gradient partials live here too: a fresh std::vector of a
// 512-channel filter cost more in zero-filling and page faults than the product it fed.
enum class ScratchSlot { kConv, kWinograd, kWinogradTile, kPad, kFilter, kTurnedFilter, kPartial };
template <ScratchSlot slot>
float* Scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// Runs job(t) for t in [0, parts): t = 0 on the caller, the others on persistent workers (thread_pool.cc).
// False, running nothing, when another call holds the pool (a second JS thread, or a nested call).
bool RunOnPool(int64_t parts, const std::function<void(int64_t)>& job);

// Runs f(t, i0, i1) on `threads` threads over contiguous ranges of [0, n), thread 0 being the caller.
// Our threads split the work and OpenBLAS runs single-threaded inside each: measured here this beats
// OpenBLAS's own threads, which synchronise on every call. The count comes with each call because the
// module is shared by every JS thread (evaluation workers use 1).
template <typename F>
void ForRanges(int threads, int64_t n, F f) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  if (parts == 1) {
    f(0, 0, n);
    return;
  }
  const std::function<void(int64_t)> job = [&](int64_t t) { f(t, n * t / parts, n * (t + 1) / parts); };
  if (RunOnPool(parts, job)) return;
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < parts; t++) workers.emplace_back(job, t);
  job(0);
  for (auto& w : workers) w.join();
}

// C[M×N] = A[M×K] · B (or Bᵀ): each row of C the same bits whatever M is (gemm.cc).
void RowStableSgemm(bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                    int64_t ldb, float* C, int64_t ldc);

void Conv2D(int threads, const Geometry& g, const float* x, const float* w, float* y);

// An eval-mode BatchNorm (then a residual, then ReLU) applied to a convolution's output rows as they are made:
// y = y·scale + shift per channel, two roundings as the separate kernels do (built with -ffp-contract=off), then
// + the residual at the same element (`residual` floats past y, in the same heap) as XNNPACK's add does, then
// max(y, 0) as XNNPACK's clamp does it (0 < y ? y : 0).
struct Affine {
  const float* scale;
  const float* shift;
  bool relu;
  bool hasResidual = false;
  std::ptrdiff_t residual = 0;
  void Apply(float* y, int64_t rows, int64_t channels) const {
    for (int64_t r = 0; r < rows; r++, y += channels) Apply(y, channels);
  }
  void Apply(float* y, int64_t channels) const {
    if (hasResidual)
      Add(y, y + residual, channels);
    else
      Plain(y, channels);
  }

 private:
  // Two loops, the residual's with restrict pointers: with one loop reading y + residual the compiler could not
  // rule out overlap and left it scalar (the small ResNet's fused layers took 7 ms more).
  void Plain(float* __restrict y, int64_t channels) const {
    const float* __restrict s = scale;
    const float* __restrict b = shift;
    for (int64_t o = 0; o < channels; o++) {
      float t = y[o] * s[o];
      t = t + b[o];
      y[o] = relu ? (0.f < t ? t : 0.f) : t;
    }
  }
  void Add(float* __restrict y, const float* __restrict r, int64_t channels) const {
    const float* __restrict s = scale;
    const float* __restrict b = shift;
    for (int64_t o = 0; o < channels; o++) {
      float t = y[o] * s[o];
      t = t + b[o];
      t = t + r[o];
      y[o] = relu ? (0.f < t ? t : 0.f) : t;
    }
  }
};

// Conv2D (im2col) and Conv2DWinograd with `affine` (when not null) applied to each chunk of rows as it is made.
void Conv2DWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine);
// filterKey names the weight tensor for the transformed-filter cache (filter_cache.cc), -1 for none.
void Conv2DWinogradWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine,
                        int64_t filterKey);
void Conv2DBackpropInputWinogradWith(int threads, const Geometry& g, const float* dy, const float* w, float* dx,
                                     int64_t filterKey);
// Winograd's transformed filter U [16][ci][co] of w [3][3][ci][co].
void WinogradFilter(int threads, const Geometry& g, const float* w, float* U);

struct FilterCacheStats {
  int64_t hits, misses, evictions, released, entries, bytes, spareBytes;
};
// Transformed filters by weight key, least recently used dropped past a byte budget (per JS thread).
class FilterCache {
 public:
  // U for w: the kept one when `key` (>= 0) names a weight already seen with this geometry, else made now.
  const float* Get(int threads, const Geometry& g, const float* w, int64_t key);
  // The weight tensor named `key` is gone: its entry's storage waits, as a spare, for the next transform.
  void Release(int64_t key);
  void SetLimit(int64_t bytes);
  FilterCacheStats Stats();

 private:
  struct State;
  static State& state();
};
FilterCache& WinogradFilters();
void Conv2DBackpropInput(int threads, const Geometry& g, const float* dy, const float* w, float* dx);
void Conv2DBackpropFilter(int threads, const Geometry& g, const float* x, const float* dy, float* dw);

// The same for 3x3 stride-1 geometry only (WinogradApplies), by Winograd's F(2x2, 3x3) (winograd.cc).
bool WinogradApplies(const Geometry& g);
// Direct convolution on AVX2 + FMA registers (direct_conv.cc): any geometry with a multiple of 8 channels out on
// a CPU that has them; its input gradient for stride 1 and a multiple of 8 channels in.
bool DirectConvSupported();
bool DirectConvApplies(const Geometry& g);
bool DirectBackpropInputApplies(const Geometry& g);
void Conv2DDirect(int threads, const Geometry& g, const float* x, const float* w, float* y);
void Conv2DDirectWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine);
void Conv2DBackpropInputDirect(int threads, const Geometry& g, const float* dy, const float* w, float* dx);
void Conv2DWinograd(int threads, const Geometry& g, const float* x, const float* w, float* y);
void Conv2DBackpropInputWinograd(int threads, const Geometry& g, const float* dy, const float* w, float* dx);

// MaxPool's gradient (pooling.cc): g as a convolution's geometry, ci = co = channels, kh x kw the window.
void MaxPoolGrad(int threads, const Geometry& g, const float* x, const float* dy, float* dx);
// y[i][c] = Σ_p x[i][p][c] over each image's pixels (float32, in pixel order), / pixels when `mean` (pooling.cc).
void SpatialReduce(int threads, int64_t images, int64_t pixels, int64_t channels, bool mean, const float* x, float* y);

// Training-mode batch normalisation of x [pixels, channels]: batch mean, biased variance and
// 1/sqrt(var + eps) per channel, and y = (x - mean) / sqrt(var + eps) * w + b, then (TrainEpilogue) + residual
// and ReLU as the separate kernels round them (XNNPACK's add, then 0 < y ? y : 0).
struct TrainEpilogue {
  const float* residual = nullptr;
  bool relu = false;
};
void BatchNormTrain(int threads, int64_t pixels, int64_t channels, float eps, const float* x, const float* w,
                    const float* b, float* y, float* mean, float* variance, float* invStd, const TrainEpilogue& epilogue);
// Its gradient: db = Σ g, dw = Σ g·x̂, dx = w·invStd·(g − db/P − x̂·dw/P) with x̂ = (x − mean)·invStd, where g is
// dy, or dy·step(reluOut) (tf.relu's gradient, step(NaN) = NaN) when the forward ended in ReLU and reluOut is its
// output. dMasked, when not null, receives g (the residual's gradient).
void BatchNormTrainGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* x,
                        const float* mean, const float* invStd, const float* w, float* dx, float* dw, float* db,
                        const float* reluOut, float* dMasked);

// ReLU's then eval-mode BatchNorm's input gradient: out = (dy·step(y))·scale + shift per channel.
void ReluBatchNormGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* y,
                       const float* scale, const float* shift, float* out);

// torch.optim.SGD's rule for one parameter (sgd.cc). Factors are the float32 values tfjs multiplies by;
// the flags say which terms the caller's options switch on.
struct SgdCoefficients {
  float weightDecay, momentum, undamped, lr;
  bool decay, withMomentum, nesterov, maximize;
};
// buf may be null (the first momentum step: the buffer starts as g); bufOut is written when withMomentum.
void SgdStep(int threads, int64_t n, const SgdCoefficients& k, const float* w, const float* grad, const float* buf,
             float* wOut, float* bufOut);

}  // namespace rftbench
