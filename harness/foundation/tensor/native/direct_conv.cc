// Direct NHWC convolution on AVX2 + FMA registers, for layers with few channels out: there im2col's
// product has only 16-64 columns and OpenBLAS spends as long packing the im2col rows as multiplying
// them. Here each output tile (6 pixels of a row x 16 channels) lives in 12 registers while the taps
// stream by: per tap and input channel, two filter vectors and six broadcast inputs feed 12 FMAs.
// Every output sums its taps in (ky, kx, c) order whatever the batch, tile or thread count.
#include <immintrin.h>

#include <cstring>

#include "kernels.h"

namespace rftbench {

bool DirectConvSupported() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

bool DirectConvApplies(const Geometry& g) { return DirectConvSupported() && g.co % 8 == 0; }

namespace {

constexpr int kTilePixels = 6;

// A tile: six output pixels (consecutive in the image's row-major order, so rows wrap inside a tile) x 16 or 8
// channels. x[r] is pixel r's first tap in the padded image; the last tile of an image repeats its last pixel.
struct TileArgs {
  const float* x[kTilePixels];
  const float* w;  // the filter at the tile's first channel
  int64_t kh, kw, ci, co;
  int64_t rowStep;  // floats between padded input rows
};

// The accumulators are named variables, not an array: GCC keeps an array's elements in registers but also
// stores them on every iteration, which halved the speed.
#define RFT_TAPS(...)                                                               \
  for (int64_t ky = 0; ky < a.kh; ky++)                                             \
    for (int64_t kx = 0; kx < a.kw; kx++) {                                         \
      const int64_t at = ky * a.rowStep + kx * a.ci;                                \
      const float *x0 = a.x[0] + at, *x1 = a.x[1] + at, *x2 = a.x[2] + at;          \
      const float *x3 = a.x[3] + at, *x4 = a.x[4] + at, *x5 = a.x[5] + at;          \
      const float* wp = a.w + (ky * a.kw + kx) * a.ci * a.co;                       \
      for (int64_t c = 0; c < a.ci; c++, wp += a.co) { __VA_ARGS__ }                     \
    }

__attribute__((target("avx2,fma"))) void Tile16(const TileArgs& a, float* y[kTilePixels], int pixels) {
  __m256 p0 = _mm256_setzero_ps(), q0 = p0, p1 = p0, q1 = p0, p2 = p0, q2 = p0;
  __m256 p3 = p0, q3 = p0, p4 = p0, q4 = p0, p5 = p0, q5 = p0;
  RFT_TAPS({
    const __m256 lo = _mm256_loadu_ps(wp), hi = _mm256_loadu_ps(wp + 8);
    __m256 b = _mm256_broadcast_ss(x0 + c);
    p0 = _mm256_fmadd_ps(b, lo, p0), q0 = _mm256_fmadd_ps(b, hi, q0);
    b = _mm256_broadcast_ss(x1 + c);
    p1 = _mm256_fmadd_ps(b, lo, p1), q1 = _mm256_fmadd_ps(b, hi, q1);
    b = _mm256_broadcast_ss(x2 + c);
    p2 = _mm256_fmadd_ps(b, lo, p2), q2 = _mm256_fmadd_ps(b, hi, q2);
    b = _mm256_broadcast_ss(x3 + c);
    p3 = _mm256_fmadd_ps(b, lo, p3), q3 = _mm256_fmadd_ps(b, hi, q3);
    b = _mm256_broadcast_ss(x4 + c);
    p4 = _mm256_fmadd_ps(b, lo, p4), q4 = _mm256_fmadd_ps(b, hi, q4);
    b = _mm256_broadcast_ss(x5 + c);
    p5 = _mm256_fmadd_ps(b, lo, p5), q5 = _mm256_fmadd_ps(b, hi, q5);
  })
  const __m256 lo[kTilePixels] = {p0, p1, p2, p3, p4, p5}, hi[kTilePixels] = {q0, q1, q2, q3, q4, q5};
  for (int r = 0; r < pixels; r++) _mm256_storeu_ps(y[r], lo[r]), _mm256_storeu_ps(y[r] + 8, hi[r]);
}

__attribute__((target("avx2,fma"))) void Tile8(const TileArgs& a, float* y[kTilePixels], int pixels) {
  __m256 p0 = _mm256_setzero_ps(), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0;
  RFT_TAPS({
    const __m256 lo = _mm256_loadu_ps(wp);
    p0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + c), lo, p0);
    p1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x1 + c), lo, p1);
    p2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x2 + c), lo, p2);
    p3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x3 + c), lo, p3);
    p4 = _mm256_fmadd_ps(_mm256_broadcast_ss(x4 + c), lo, p4);
    p5 = _mm256_fmadd_ps(_mm256_broadcast_ss(x5 + c), lo, p5);
  })
  const __m256 lo[kTilePixels] = {p0, p1, p2, p3, p4, p5};
  for (int r = 0; r < pixels; r++) _mm256_storeu_ps(y[r], lo[r]);
}
#undef RFT_TAPS

// One image, zero-padded so that every tap of every output pixel is inside it: hp x wp x ci.
void PadImage(const Geometry& g, const float* x, float* padded, int64_t hp, int64_t wp) {
  std::memset(padded, 0, hp * wp * g.ci * sizeof(float));
  for (int64_t iy = 0; iy < g.h; iy++) {
    const int64_t py = iy + g.top;
    if (py >= hp) break;
    // Columns that land inside the padded width (a conv may leave the last input columns unused).
    const int64_t columns = std::min(g.w, wp - g.left);
    if (columns > 0)
      std::memcpy(padded + (py * wp + g.left) * g.ci, x + iy * g.w * g.ci, columns * g.ci * sizeof(float));
  }
}

}  // namespace

void Conv2DDirectWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine) {
  const int64_t hp = (g.oh - 1) * g.sh + g.kh, wp = (g.ow - 1) * g.sw + g.kw, perImage = g.oh * g.ow;
  ForRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    float* padded = Scratch<ScratchSlot::kConv>(hp * wp * g.ci);
    for (int64_t img = i0; img < i1; img++) {
      PadImage(g, x + img * g.h * g.w * g.ci, padded, hp, wp);
      float* yImage = y + img * perImage * g.co;
      for (int64_t p0 = 0; p0 < perImage; p0 += kTilePixels) {
        const int pixels = int(std::min<int64_t>(kTilePixels, perImage - p0));
        TileArgs a{{}, w, g.kh, g.kw, g.ci, g.co, wp * g.ci};
        float* out[kTilePixels];
        for (int r = 0; r < kTilePixels; r++) {
          const int64_t p = p0 + std::min(r, pixels - 1), oy = p / g.ow, ox = p % g.ow;
          a.x[r] = padded + (oy * g.sh * wp + ox * g.sw) * g.ci;
          out[r] = yImage + p * g.co;
        }
        for (int64_t c0 = 0; c0 < g.co; c0 += 16) {
          a.w = w + c0;
          float* at[kTilePixels];
          for (int r = 0; r < kTilePixels; r++) at[r] = out[r] + c0;
          if (c0 + 16 <= g.co)
            Tile16(a, at, pixels);
          else
            Tile8(a, at, pixels);
        }
        if (affine) affine->Apply(out[0], pixels, g.co);
      }
    }
  });
}

void Conv2DDirect(int threads, const Geometry& g, const float* x, const float* w, float* y) {
  Conv2DDirectWith(threads, g, x, w, y, nullptr);
}

// A stride-1 convolution's input gradient is the convolution of dy with the filter turned half a turn and its
// channel axes swapped, padded by kh-1-top and kw-1-left.
void Conv2DBackpropInputDirect(int threads, const Geometry& g, const float* dy, const float* w, float* dx) {
  float* turned = Scratch<ScratchSlot::kTurnedFilter>(g.K() * g.co);
  for (int64_t ky = 0; ky < g.kh; ky++)
    for (int64_t kx = 0; kx < g.kw; kx++)
      for (int64_t i = 0; i < g.ci; i++)
        for (int64_t o = 0; o < g.co; o++)
          turned[(((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.co + o) * g.ci + i] =
              w[((ky * g.kw + kx) * g.ci + i) * g.co + o];
  const Geometry back{g.n, g.oh, g.ow, g.co, g.ci, g.kh, g.kw, 1, 1, g.h, g.w, g.kh - 1 - g.top, g.kw - 1 - g.left};
  Conv2DDirectWith(threads, back, dy, turned, dx, nullptr);
}

bool DirectBackpropInputApplies(const Geometry& g) {
  return DirectConvSupported() && g.sh == 1 && g.sw == 1 && g.ci % 8 == 0 && g.kh - 1 - g.top >= 0 &&
         g.kw - 1 - g.left >= 0;
}

}  // namespace rftbench
