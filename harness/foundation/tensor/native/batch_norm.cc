// Training-mode BatchNorm over NHWC activations seen as [pixels, channels]: two passes forward (sums,
// then normalise) and two backward (sums, then dx), each split over threads by pixels. Per-thread sums
// are kept in double and added in thread order, so results do not depend on timing. tfjs's composite
// (moments, rsqrt, mul, sub, add and their gradients) runs about ten full-size element-wise kernels.
#include "kernels.h"

#include <cmath>

namespace rftbench {
namespace {

// Sums over pixels of a(p, c) and b(p, c) per channel, each thread into its own row, then in order.
template <typename A, typename B>
void ChannelSums(int threads, int64_t pixels, int64_t channels, A a, B b, std::vector<double>& sumA, std::vector<double>& sumB) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, pixels));
  std::vector<double> partA(parts * channels, 0.0), partB(parts * channels, 0.0);
  ForRanges(threads, pixels, [&](int64_t t, int64_t p0, int64_t p1) {
    double* sa = &partA[t * channels];
    double* sb = &partB[t * channels];
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) {
        sa[c] += a(p, c);
        sb[c] += b(p, c);
      }
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

void BatchNormTrain(int threads, int64_t pixels, int64_t channels, float eps, const float* x, const float* w, const float* b, float* y, float* mean, float* variance, float* invStd) {
  std::vector<double> sum, sumSq;
  ChannelSums(
      threads, pixels, channels, [&](int64_t p, int64_t c) { return double(x[p * channels + c]); },
      [&](int64_t p, int64_t c) {
        const double v = x[p * channels + c];
        return v * v;
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
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) y[p * channels + c] = (x[p * channels + c] - mean[c]) * scale[c] + b[c];
  });
}

void BatchNormTrainGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* x, const float* mean, const float* invStd, const float* w, float* dx, float* dw, float* db) {
  std::vector<double> sumDy, sumDyXhat;
  ChannelSums(
      threads, pixels, channels, [&](int64_t p, int64_t c) { return double(dy[p * channels + c]); },
      [&](int64_t p, int64_t c) { return double(dy[p * channels + c]) * (double(x[p * channels + c]) - mean[c]) * invStd[c]; }, sumDy, sumDyXhat);
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
  ForRanges(threads, pixels, [&](int64_t, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) {
        const int64_t i = p * channels + c;
        dx[i] = k[c] * dy[i] - ka[c] - kd[c] * (x[i] - mean[c]);
      }
  });
}

}  // namespace rftbench

namespace rftbench {

// ReLU's and eval-mode BatchNorm's gradients in one pass, as the separate kernels round them: tf.relu's
// dy·step(y) (step: NaN stays NaN, 1 above 0, else 0), then XNNPACK's x·a + c (two roundings; built with
// -ffp-contract=off).
void ReluBatchNormGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* y,
                       const float* scale, const float* shift, float* out) {
  ForRanges(threads, pixels, [&](int64_t, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) {
        const int64_t i = p * channels + c;
        const float v = y[i];
        const float step = v != v ? v : (v > 0.f ? 1.f : 0.f);
        float t = dy[i] * step;
        t = t * scale[c];
        out[i] = t + shift[c];
      }
  });
}

}  // namespace rftbench
