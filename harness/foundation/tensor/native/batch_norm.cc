// Training-mode BatchNorm over NHWC activations seen as [pixels, channels]: two passes forward (sums,
// then normalise) and two backward (sums, then dx), each split over threads by pixels. Per-thread sums
// are kept in double and added in thread order, so results do not depend on timing. tfjs's composite
// (moments, rsqrt, mul, sub, add and their gradients) runs about ten full-size element-wise kernels.
#include "kernels.h"

#include <cmath>

namespace rftbench {
namespace {

// Sums over pixels of a(v, p, c) and b(v, p, c) per channel, v = row(p, t)[c] (t: the thread, which may use a
// row of its own), each thread into its own partial sums, then those in thread order.
template <typename Row, typename A, typename B>
void ChannelSums(int threads, int64_t pixels, int64_t channels, Row row, A a, B b, std::vector<double>& sumA,
                 std::vector<double>& sumB) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, pixels));
  std::vector<double> partA(parts * channels, 0.0), partB(parts * channels, 0.0);
  ForRanges(threads, pixels, [&](int64_t t, int64_t p0, int64_t p1) {
    double* sa = &partA[t * channels];
    double* sb = &partB[t * channels];
    for (int64_t p = p0; p < p1; p++) {
      const float* v = row(p, t);
      for (int64_t c = 0; c < channels; c++) {
        sa[c] += a(v[c], p, c);
        sb[c] += b(v[c], p, c);
      }
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

// tf.relu's gradient as its kernels compute it: dy·step(y), step(NaN) = NaN, 1 above 0, else 0. Written so
// GCC turns it into vector blends: with the NaN test first it kept a data-dependent branch (4x slower).
inline float ReluMasked(float dy, float y) {
  const float step = y > 0.f ? 1.f : 0.f;
  return dy * (y != y ? y : step);
}

// One row of ReLU-masked dy, in its own loop (vectorised; inside the double sums it would not be).
void MaskRow(const float* __restrict dy, const float* __restrict y, float* __restrict out, int64_t channels) {
  for (int64_t c = 0; c < channels; c++) out[c] = ReluMasked(dy[c], y[c]);
}


void BatchNormTrain(int threads, int64_t pixels, int64_t channels, float eps, const float* x, const float* w,
                    const float* b, float* y, float* mean, float* variance, float* invStd, const TrainEpilogue& epilogue) {
  std::vector<double> sum, sumSq;
  ChannelSums(
      threads, pixels, channels, [&](int64_t p, int64_t) { return x + p * channels; },
      [](float v, int64_t, int64_t) { return double(v); },
      [](float v, int64_t, int64_t) { return double(v) * double(v); }, sum, sumSq);
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
  const float* __restrict r = epilogue.residual;
  const bool relu = epilogue.relu;
  ForRanges(threads, pixels, [&](int64_t, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++)
      for (int64_t c = 0; c < channels; c++) {
        const int64_t i = p * channels + c;
        float v = (x[i] - mean[c]) * scale[c] + b[c];
        if (r) v = v + r[i];
        y[i] = relu ? (0.f < v ? v : 0.f) : v;
      }
  });
}

void BatchNormTrainGrad(int threads, int64_t pixels, int64_t channels, const float* dy, const float* x,
                        const float* mean, const float* invStd, const float* w, float* dx, float* dw, float* db,
                        const float* reluOut, float* dMasked) {
  // The gradient at BatchNorm's output g: dy, or dy masked by ReLU's step, a row at a time into the thread's row.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, pixels));
  std::vector<float> rows(reluOut ? parts * channels : 0);
  const auto gRow = [&](int64_t p, int64_t t) -> const float* {
    if (!reluOut) return dy + p * channels;
    float* row = dMasked ? dMasked + p * channels : &rows[t * channels];
    MaskRow(dy + p * channels, reluOut + p * channels, row, channels);
    return row;
  };
  std::vector<double> sumDy, sumDyXhat;
  ChannelSums(
      threads, pixels, channels, gRow, [](float v, int64_t, int64_t) { return double(v); },
      [&](float v, int64_t p, int64_t c) {
        return double(v) * (double(x[p * channels + c]) - mean[c]) * invStd[c];
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
  // dMasked already holds g (the sums wrote it); else the thread's row is made again.
  ForRanges(threads, pixels, [&](int64_t t, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      const float* __restrict gp = dy + p * channels;
      if (reluOut) {
        gp = dMasked ? dMasked + p * channels : &rows[t * channels];
        if (!dMasked) MaskRow(dy + p * channels, reluOut + p * channels, &rows[t * channels], channels);
      }
      const float* __restrict xp = x + p * channels;
      float* __restrict out = dx + p * channels;
      for (int64_t c = 0; c < channels; c++) out[c] = k[c] * gp[c] - ka[c] - kd[c] * (xp[c] - mean[c]);
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
        float t = ReluMasked(dy[i], y[i]);
        t = t * scale[c];
        out[i] = t + shift[c];
      }
  });
}

}  // namespace rftbench
