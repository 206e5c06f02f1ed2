// MaxPool's gradient: each window's first maximum (strictly greater than those before it, in (iy, ix) order)
// receives the window's dy, as the cpu backend and PyTorch do; a window with no value above -inf (or only
// NaN) sends nothing. Threads own whole images, so their adds never overlap.
#include <cstring>
#include <limits>

#include "kernels.h"

namespace rftbench {

// g as a convolution's geometry with ci = co = channels and kh x kw the window.
void MaxPoolGrad(int threads, const Geometry& g, const float* x, const float* dy, float* dx) {
  const int64_t c = g.ci, inImage = g.h * g.w * c;
  ForRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    std::memset(dx + i0 * inImage, 0, (i1 - i0) * inImage * sizeof(float));
    std::vector<float> best(c);
    std::vector<int32_t> where(c);  // offsets inside the image; branch-free selects vectorise
    for (int64_t img = i0; img < i1; img++)
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = std::max<int64_t>(0, oy * g.sh - g.top), y1 = std::min(g.h, oy * g.sh - g.top + g.kh);
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = std::max<int64_t>(0, ox * g.sw - g.left), x1 = std::min(g.w, ox * g.sw - g.left + g.kw);
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(where.begin(), where.end(), -1);
          const float* image = x + img * inImage;
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) {
              const int32_t base = int32_t((iy * g.w + ix) * c);
              const float* v = image + base;
              float* b = best.data();
              int32_t* at = where.data();
              for (int32_t ch = 0; ch < int32_t(c); ch++) {
                const float value = v[ch], old = b[ch];
                const int32_t was = at[ch];
                const int32_t above = -int32_t(value > old);  // all ones where above
                b[ch] = value > old ? value : old;
                at[ch] = (above & (base + ch)) | (~above & was);
              }
            }
          const float* grad = dy + ((img * g.oh + oy) * g.ow + ox) * c;
          float* dxImage = dx + img * inImage;
          for (int64_t ch = 0; ch < c; ch++)
            if (where[ch] >= 0) dxImage[where[ch]] += grad[ch];
        }
      }
  });
}

}  // namespace rftbench

namespace rftbench {

// Σ (or mean) over each image's pixels per channel, as tfjs's Sum/Mean over axes [1, 2] of NHWC compute it: a
// float32 sum in pixel order from 0, then the sum / pixels (the stock kernels transpose first to get there).
void SpatialReduce(int threads, int64_t images, int64_t pixels, int64_t channels, bool mean, const float* x, float* y) {
  ForRanges(threads, images, [&](int64_t, int64_t i0, int64_t i1) {
    for (int64_t img = i0; img < i1; img++) {
      float* __restrict out = y + img * channels;
      std::fill(out, out + channels, 0.f);
      for (int64_t p = 0; p < pixels; p++) {
        const float* __restrict row = x + (img * pixels + p) * channels;
        for (int64_t c = 0; c < channels; c++) out[c] = out[c] + row[c];
      }
      if (mean)
        for (int64_t c = 0; c < channels; c++) out[c] = out[c] / float(pixels);
    }
  });
}

}  // namespace rftbench
