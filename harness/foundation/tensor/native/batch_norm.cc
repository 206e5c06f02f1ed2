// Training-mode BatchNorm over NHWC activations seen as [pixels, channels]: two passes forward (sums,
// then normalise) and two backward (sums, then dx), each split over threads by pixels. Per-thread sums
// are kept in double and added in thread order, so results do not depend on timing. tfjs's composite
// (moments, rsqrt, mul, sub, add and their gradients) runs about ten full-size element-wise kernels.
//
// The loops over rows are plain functions built twice (target_clones: AVX2 and the baseline, picked at load by
// the CPU): the double sums ran two lanes wide on SSE2 and took 2.9 ms a call on the small ResNet's
// [128,28,28,16]. Without FMA and with -ffp-contract=off both clones round every operation alike: same bits.
#include "kernels.h"

#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RFTBENCH_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RFTBENCH_CLONES
#endif

namespace rftbench {
namespace {

// Rows of a ReLU-masked gradient made at a time (per thread): long enough for the sums' loops, short enough
// to stay in cache.
constexpr int64_t kBlockRows = 64;

// tf.relu's gradient as its kernels compute it: dy·step(y), step(NaN) = NaN, 1 above 0, else 0. Written so
// GCC turns it into vector blends: with the NaN test first it kept a data-dependent branch (4x slower).
inline float ReluMasked(float dy, float y) {
  const float step = y > 0.f ? 1.f : 0.f;
  return dy * (y != y ? y : step);
}

// sa[c] += x, sb[c] += x·x over `rows` rows of x, in row order.
RFTBENCH_CLONES
void StatSums(const float* __restrict x, int64_t rows, int64_t channels, double* __restrict sa,
              double* __restrict sb) {
  for (int64_t p = 0; p < rows; p++, x += channels)
    for (int64_t c = 0; c < channels; c++) {
      const double v = x[c];
      sa[c] += v;
      sb[c] += v * v;
    }
}

// sa[c] += g, sb[c] += g·(x − mean)·invStd over `rows` rows of g and x, in row order.
RFTBENCH_CLONES
void GradSums(const float* __restrict g, const float* __restrict x, const float* __restrict mean,
              const float* __restrict invStd, int64_t rows, int64_t channels, double* __restrict sa,
              double* __restrict sb) {
  for (int64_t p = 0; p < rows; p++, g += channels, x += channels)
    for (int64_t c = 0; c < channels; c++) {
      const double v = g[c];
      sa[c] += v;
      sb[c] += v * (double(x[c]) - mean[c]) * invStd[c];
    }
}

RFTBENCH_CLONES
void MaskRows(const float* __restrict dy, const float* __restrict y, float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = ReluMasked(dy[i], y[i]);
}

// y = (x − mean)·scale + b (+ r) (then ReLU) over `rows` rows.
RFTBENCH_CLONES
void NormalizeRows(const float* __restrict x, const float* __restrict mean, const float* __restrict scale,
                   const float* __restrict b, const float* __restrict r, bool relu, float* __restrict y, int64_t rows,
                   int64_t channels) {
  for (int64_t p = 0; p < rows; p++, x += channels, y += channels) {
    for (int64_t c = 0; c < channels; c++) y[c] = (x[c] - mean[c]) * scale[c] + b[c];
    if (r) {
      for (int64_t c = 0; c < channels; c++) y[c] = y[c] + r[c];
      r += channels;
    }
    if (relu)
      for (int64_t c = 0; c < channels; c++) y[c] = 0.f < y[c] ? y[c] : 0.f;
  }
}

// dx = k·g − ka − kd·(x − mean) over `rows` rows.
RFTBENCH_CLONES
void GradRows(const float* __restrict g, const float* __restrict x, const float* __restrict mean,
              const float* __restrict k, const float* __restrict ka, const float* __restrict kd, float* __restrict dx,
              int64_t rows, int64_t channels) {
  for (int64_t p = 0; p < rows; p++, g += channels, x += channels, dx += channels)
    for (int64_t c = 0; c < channels; c++) dx[c] = k[c] * g[c] - ka[c] - kd[c] * (x[c] - mean[c]);
}

// Per-thread sums (sums(t, p0, p1, sa, sb) adds rows [p0, p1) into thread t's sa, sb), added in thread order.
template <typename Sums>
void ChannelSums(int threads, int64_t pixels, int64_t channels, Sums sums, std::vector<double>& sumA,
                 std::vector<double>& sumB) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, pixels));
  std::vector<double> partA(parts * channels, 0.0), partB(parts * channels, 0.0);
  ForRanges(threads, pixels, [&](int64_t t, int64_t p0, int64_t p1) {
    sums(t, p0, p1, &partA[t * channels], &partB[t * channels]);
  });
  sumA.assign(channels, 0.0);
  sumB.assign(channels, 0.0);
  for (int64_t t = 0; t < parts; t++)
    for (int64_t c = 0; c < channels; c++) {
      sumA[c] += partA[t * channels + c];
      sumB[c] += partB[t * channels + c];
    }
}

}  // namespace

void BatchNormTrain(int threads, int64_t pixels, int64_t channels, float eps, const float* x, const float* w,
                    const float* b, float* y, float* mean, float* variance, float* invStd, const TrainEpilogue& epilogue) {
  std::vector<double> sum, sumSq;
  ChannelSums(
      threads, pixels, channels,
      [&](int64_t, int64_t p0, int64_t p1, double* sa, double* sb) {
        StatSums(x + p0 * channels, p1 - p0, channels, sa, sb);
      },
      sum, sumSq);
  std::vector<float> scale(channels);
  for (int64_t c = 0; c < channels; c++) {
    const double m = sum[c] / double(pixels);
    const double v = std::max(0.0, sumSq[c] / double(pixels) - m * m);
    const double inv = 1.0 / std::sqrt(v + double(eps));
    mean[c] = float(m);
    variance[c] = float(v);
    invStd[c] = float(inv);
    scale[c] = float(inv * w[c]);
  }
  // Centre first: folding the mean into a bias would cancel digits when |mean| >> std.
  ForRanges(threads, pixels, [&](int64_t, int64_t p0, int64_t p1) {
    const float* r = epilogue.residual ? epilogue.residual + p0 * channels : nullptr;
    NormalizeRows(x + p0 * channels, mean, scale.data(), b, r, epilogue.relu, y + p0 * channels, p1 - p0, channels);
  });
}

void BatchNormTrainGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* x,
                        const float* mean, const float* invStd, const float* w, float* dx, float* dw, float* db,
                        const float* reluOut, float* dMasked) {
  // The gradient at BatchNorm's output g: dy, or dy masked by ReLU's step, kBlockRows rows at a time into dMasked
  // (when asked for) or the thread's block.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, pixels));
  std::vector<float> blocks(reluOut && !dMasked ? parts * kBlockRows * channels : 0);
  // Runs f(g, q0, q1) over blocks of rows [q0, q1) within [p0, p1), g pointing at row q0's gradient.
  const auto eachBlock = [&](int64_t t, int64_t p0, int64_t p1, auto f) {
    for (int64_t q0 = p0; q0 < p1; q0 += kBlockRows) {
      const int64_t q1 = std::min(p1, q0 + kBlockRows), n = (q1 - q0) * channels;
      if (!reluOut) {
        f(dy + q0 * channels, q0, q1);
        continue;
      }
      float* g = dMasked ? dMasked + q0 * channels : &blocks[t * kBlockRows * channels];
      MaskRows(dy + q0 * channels, reluOut + q0 * channels, g, n);
      f(g, q0, q1);
    }
  };
  std::vector<double> sumDy, sumDyXhat;
  ChannelSums(
      threads, pixels, channels,
      [&](int64_t t, int64_t p0, int64_t p1, double* sa, double* sb) {
        eachBlock(t, p0, p1, [&](const float* g, int64_t q0, int64_t q1) {
          GradSums(g, x + q0 * channels, mean, invStd, q1 - q0, channels, sa, sb);
        });
      },
      sumDy, sumDyXhat);
  // dx = k·(dy − a − x̂·d) = k·dy − k·a − k·d·invStd·(x − mean).
  std::vector<float> k(channels), ka(channels), kd(channels);
  for (int64_t c = 0; c < channels; c++) {
    db[c] = float(sumDy[c]);
    dw[c] = float(sumDyXhat[c]);
    const double kc = double(w[c]) * invStd[c];
    const double a = sumDy[c] / double(pixels), d = sumDyXhat[c] / double(pixels);
    k[c] = float(kc);
    ka[c] = float(kc * a);
    kd[c] = float(kc * d * invStd[c]);
  }
  // dMasked already holds g (the sums wrote it); else each block is masked again.
  ForRanges(threads, pixels, [&](int64_t t, int64_t p0, int64_t p1) {
    if (reluOut && dMasked) {
      GradRows(dMasked + p0 * channels, x + p0 * channels, mean, k.data(), ka.data(), kd.data(), dx + p0 * channels,
               p1 - p0, channels);
      return;
    }
    eachBlock(t, p0, p1, [&](const float* g, int64_t q0, int64_t q1) {
      GradRows(g, x + q0 * channels, mean, k.data(), ka.data(), kd.data(), dx + q0 * channels, q1 - q0, channels);
    });
  });
}

// ReLU's and eval-mode BatchNorm's gradients in one pass, as the separate kernels round them: tf.relu's
// dy·step(y) (step: NaN stays NaN, 1 above 0, else 0), then XNNPACK's x·a + c (two roundings; built with
// -ffp-contract=off).
void ReluBatchNormGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* y,
                       const float* scale, const float* shift, float* out) {
  ForRanges(threads, pixels, [&](int64_t, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) {
        const int64_t i = p * channels + c;
        float t = ReluMasked(dy[i], y[i]);
        t = t * scale[c];
        out[i] = t + shift[c];
      }
  });
}

}  // namespace rftbench
