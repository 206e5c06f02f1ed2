// Convolution kernels as chunked im2col + OpenBLAS sgemm. Layouts are tfjs's: NHWC activations,
// filters [kh, kw, ci, co], so a filter is a K x co matrix with K = kh*kw*ci and an im2col row of an
// output pixel lists its taps in that same (ky, kx, c) order.
#include "kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace rftbench {
namespace {

// Floats of im2col rows per chunk and thread: large enough for efficient products, small enough to
// stay in a core's cache between im2col and the product.
// Measured on ResNet-18 and the small model: 2^16..2^20 alike, 2^18 best by a few percent.
constexpr int64_t kChunkFloats = int64_t(1) << 18;

int64_t ChunkPixels(const Geometry& g, int64_t pixels) { return std::max<int64_t>(1, std::min(pixels, kChunkFloats / std::max<int64_t>(1, g.K()))); }

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
  float* cols = Scratch<ScratchSlot::kConv>(chunk * g.K());
  for (int64_t p0 = P0; p0 < P1; p0 += chunk) f(cols, p0, std::min(P1, p0 + chunk));
}

// Few rows and a wide filter (ResNet-50's 2x2 stage at batch 16: 32 output pixels a thread against a 4-9 MB
// filter): split by images, every thread packed the whole filter for a product of a few rows. Then the threads
// split the filter's columns instead, in blocks of kColumnBlock (OpenBLAS's micro-tiles stay whole, and each
// output is the same sum in the same order as in one product: the same bits on any thread count, which
// native-kernels.test.ts checks). Measured here, forward + input gradient, ms: 2x2x512 3x3 4.5 to 3.9, 1x1 to
// 2048 2.8 to 2.4; at 128 rows a thread (the 4x4 stage) it lost (2.3 to 2.4, 3.8 to 5.1), hence kColumnSplitRows.
constexpr int64_t kColumnSplitRows = 64;
constexpr int64_t kColumnBlock = 32;
constexpr int64_t kColumnSplitFloats = int64_t(1) << 22;

bool SplitColumns(int threads, const Geometry& g, int64_t columns) {
  const int64_t P = g.n * g.oh * g.ow;
  return threads > 1 && P <= kColumnSplitRows * threads && columns >= 2 * kColumnBlock &&
         (g.pointwise() || P * g.K() <= kColumnSplitFloats);
}

// f(c0, c1) over column ranges of `columns`, in whole blocks, on the threads.
template <typename F>
void ForColumns(int threads, int64_t columns, F f) {
  const int64_t blocks = (columns + kColumnBlock - 1) / kColumnBlock;
  ForRanges(threads, blocks, [&](int64_t, int64_t b0, int64_t b1) {
    f(b0 * kColumnBlock, std::min(columns, b1 * kColumnBlock));
  });
}

// im2col of every output pixel, the rows split over the threads; x itself for a plain product.
const float* AllColumns(int threads, const Geometry& g, const float* x) {
  if (g.pointwise()) return x;
  const int64_t P = g.n * g.oh * g.ow, K = g.K();
  float* cols = Scratch<ScratchSlot::kConv>(P * K);
  ForRanges(threads, P, [&](int64_t, int64_t p0, int64_t p1) { Im2col(g, x, cols + p0 * K, p0, p1); });
  return cols;
}

void Conv2DByColumns(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine) {
  const int64_t K = g.K(), P = g.n * g.oh * g.ow;
  const float* cols = AllColumns(threads, g, x);
  ForColumns(threads, g.co, [&](int64_t c0, int64_t c1) {
    RowStableSgemm(false, P, c1 - c0, K, cols, K, w + c0, g.co, y + c0, g.co);
  });
  if (affine)
    ForRanges(threads, P, [&](int64_t, int64_t p0, int64_t p1) { affine->Apply(y + p0 * g.co, p1 - p0, g.co); });
}

}  // namespace

// y[P, co] = im2col(x) · W, then `affine` on each chunk's rows while they are in cache (when given).
void Conv2DWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine) {
  const int64_t K = g.K(), perImage = g.oh * g.ow;
  if (SplitColumns(threads, g, g.co)) {
    Conv2DByColumns(threads, g, x, w, y, affine);
    return;
  }
  ForRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    const int64_t P0 = i0 * perImage, P1 = i1 * perImage;
    if (g.pointwise()) {
      RowStableSgemm(false, P1 - P0, g.co, K, x + P0 * K, K, w, g.co, y + P0 * g.co, g.co);
      if (affine) affine->Apply(y + P0 * g.co, P1 - P0, g.co);
      return;
    }
    ForChunks(g, P0, P1, [&](float* cols, int64_t p0, int64_t p1) {
      Im2col(g, x, cols, p0, p1);
      RowStableSgemm(false, p1 - p0, g.co, K, cols, K, w, g.co, y + p0 * g.co, g.co);
      if (affine) affine->Apply(y + p0 * g.co, p1 - p0, g.co);
    });
  });
}

void Conv2D(int threads, const Geometry& g, const float* x, const float* w, float* y) { Conv2DWith(threads, g, x, w, y, nullptr); }

// dx = col2im(dy · Wᵀ); threads own whole images, so their scatter-adds never overlap.
void Conv2DBackpropInput(int threads, const Geometry& g, const float* dy, const float* w, float* dx) {
  const int64_t K = g.K(), perImage = g.oh * g.ow, inImage = g.h * g.w * g.ci;
  if (SplitColumns(threads, g, K)) {
    // cols = dy · Wᵀ by column ranges of K (straight into dx for a plain product), then col2im by images.
    const int64_t P = g.n * perImage;
    float* cols = g.pointwise() ? dx : Scratch<ScratchSlot::kConv>(P * K);
    ForColumns(threads, K, [&](int64_t c0, int64_t c1) {
      RowStableSgemm(true, P, c1 - c0, g.co, dy, g.co, w + c0 * g.co, g.co, cols + c0, K);
    });
    if (g.pointwise()) return;
    ForRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
      std::memset(dx + i0 * inImage, 0, (i1 - i0) * inImage * sizeof(float));
      Col2imAdd(g, cols + i0 * perImage * K, dx, i0 * perImage, i1 * perImage);
    });
    return;
  }
  ForRanges(threads, g.n, [&](int64_t, int64_t i0, int64_t i1) {
    const int64_t P0 = i0 * perImage, P1 = i1 * perImage;
    if (g.pointwise()) {
      RowStableSgemm(true, P1 - P0, K, g.co, dy + P0 * g.co, g.co, w, g.co, dx + P0 * K, K);
      return;
    }
    std::memset(dx + i0 * inImage, 0, (i1 - i0) * inImage * sizeof(float));
    ForChunks(g, P0, P1, [&](float* cols, int64_t p0, int64_t p1) {
      RowStableSgemm(true, p1 - p0, K, g.co, dy + p0 * g.co, g.co, w, g.co, cols, K);
      Col2imAdd(g, cols, dx, p0, p1);
    });
  });
}

// dW[K, co] = Σ im2col(x)ᵀ · dy: each thread sums its images into its own partial, then thread 0's
// (which is dw itself) receives the others in a fixed order, so results do not depend on timing.
void Conv2DBackpropFilter(int threads, const Geometry& g, const float* x, const float* dy, float* dw) {
  const int64_t K = g.K(), perImage = g.oh * g.ow, size = K * g.co;
  // The workers' partials live in the caller's scratch (kept between calls, never zero-filled): a worker's own
  // would vanish with it when the pool is busy and ForRanges starts short-lived threads.
  const int64_t workers = std::max<int64_t>(0, std::min<int64_t>(threads, g.n) - 1);
  float* partials = Scratch<ScratchSlot::kPartial>(workers * size);
  ForRanges(threads, g.n, [&](int64_t t, int64_t i0, int64_t i1) {
    float* out = t > 0 ? partials + (t - 1) * size : dw;
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
  for (int64_t t = 0; t < workers; t++)
    for (int64_t i = 0; i < size; i++) dw[i] += partials[t * size + i];
}

}  // namespace rftbench
