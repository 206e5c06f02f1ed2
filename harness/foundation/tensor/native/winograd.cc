// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2
// output tile costs 16 multiply-adds per (ci, co) pair instead of 36. Per chunk of tiles: the input
// transform V = Bᵀ d B of every 4x4 input patch, 16 OpenBLAS products M_k = V_k · U_k ([tiles, ci] by
// [ci, co]), and the output transform Y = Aᵀ M A. The filter transform U = G g Gᵀ comes from
// WinogradFilters (filter_cache.cc): made once per weight tensor when the caller names it, else per call.
// Sums differ from im2col's in the last bits (the transforms add before they multiply); the records say
// which algorithm ran (native-kernels.ts).
#include "kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace rftbench {
namespace {

// Floats of transformed tiles (input and output) per chunk and thread, and the fewest tiles per chunk:
// the 16 products need enough rows to amortise OpenBLAS's packing of U.
constexpr int64_t kChunkFloats = int64_t(1) << 19;
constexpr int64_t kMinChunkTiles = 96;

// A stride-1 3x3 correlation of x [n, h, w, ci] into y [n, oh, ow, co]; input row oy + ky - top.
struct Plan {
  int64_t n, h, w, ci, co, oh, ow, top, left;
  int64_t tilesY() const { return (oh + 1) / 2; }
  int64_t tilesX() const { return (ow + 1) / 2; }
  int64_t tilesPerImage() const { return tilesY() * tilesX(); }
};

// U[k][c][o] = (G g Gᵀ)[k] for the 3x3 filter g = f(ky, kx)[c][o], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
// over the elements [e0, e1) of the [ci][co] block. `tap(ky, kx)` points at that tap's block.
// Element-wise along e, so the compiler vectorises it.
template <typename Tap>
void TransformFilter(int64_t block, Tap tap, float* U, int64_t e0, int64_t e1) {
  const float* g[3][3];
  for (int ky = 0; ky < 3; ky++)
    for (int kx = 0; kx < 3; kx++) g[ky][kx] = tap(ky, kx);
  for (int a = 0; a < 4; a++) {
    // Row a of G g: t[kx] = Σ_ky G[a][ky] g[ky][kx].
    float* u = U + (a * 4) * block;
    for (int64_t e = e0; e < e1; e++) {
      float t[3];
      for (int kx = 0; kx < 3; kx++) {
        const float g0 = g[0][kx][e], g1 = g[1][kx][e], g2 = g[2][kx][e];
        t[kx] = a == 0 ? g0 : a == 1 ? 0.5f * (g0 + g1 + g2) : a == 2 ? 0.5f * (g0 - g1 + g2) : g2;
      }
      u[e] = t[0];
      u[block + e] = 0.5f * (t[0] + t[1] + t[2]);
      u[2 * block + e] = 0.5f * (t[0] - t[1] + t[2]);
      u[3 * block + e] = t[2];
    }
  }
}

// The whole filter transform, its elements split over the threads.
template <typename Tap>
void TransformFilterThreaded(int threads, int64_t block, Tap tap, float* U) {
  ForRanges(threads, block, [&](int64_t, int64_t e0, int64_t e1) { TransformFilter(block, tap, U, e0, e1); });
}

// V[k][t - t0][c] = (Bᵀ d B)[k] of tile t's 4x4 input patch d (zero outside x),
// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Vectorised along the channels.
void TransformInput(const Plan& p, const float* x, float* V, int64_t t0, int64_t t1) {
  const int64_t ci = p.ci, T = t1 - t0, perImage = p.tilesPerImage();
  // ci zeros (the padding's taps), then the 4x4 column-transformed patch.
  float* zero = Scratch<ScratchSlot::kWinogradTile>(17 * ci);
  float* t = zero + ci;
  std::fill(zero, zero + ci, 0.f);
  const float* rows[4][4];
  for (int64_t tile = t0; tile < t1; tile++) {
    const int64_t img = tile / perImage, ty = (tile % perImage) / p.tilesX(), tx = tile % p.tilesX();
    const int64_t iy0 = 2 * ty - p.top, ix0 = 2 * tx - p.left;
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        const int64_t iy = iy0 + i, ix = ix0 + j;
        rows[i][j] = (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) ? zero : x + ((img * p.h + iy) * p.w + ix) * ci;
      }
    // Columns first: t[i][b] = Σ_j d[i][j] B[j][b].
    for (int i = 0; i < 4; i++) {
      float* t0r = t + (i * 4) * ci;
      const float *d0 = rows[i][0], *d1 = rows[i][1], *d2 = rows[i][2], *d3 = rows[i][3];
      for (int64_t c = 0; c < ci; c++) {
        t0r[c] = d0[c] - d2[c];
        t0r[ci + c] = d1[c] + d2[c];
        t0r[2 * ci + c] = d2[c] - d1[c];
        t0r[3 * ci + c] = d1[c] - d3[c];
      }
    }
    // Then rows: V[a][b] = Σ_i Bᵀ[a][i] t[i][b].
    float* out = V + (tile - t0) * ci;
    const int64_t plane = T * ci;
    for (int b = 0; b < 4; b++) {
      const float *s0 = t + b * ci, *s1 = s0 + 4 * ci, *s2 = s1 + 4 * ci, *s3 = s2 + 4 * ci;
      float *v0 = out + b * plane, *v1 = v0 + 4 * plane, *v2 = v1 + 4 * plane, *v3 = v2 + 4 * plane;
      for (int64_t c = 0; c < ci; c++) {
        v0[c] = s0[c] - s2[c];
        v1[c] = s1[c] + s2[c];
        v2[c] = s2[c] - s1[c];
        v3[c] = s1[c] - s3[c];
      }
    }
  }
}

// y of tile t = Aᵀ M A, Aᵀ = [1 1 1 0; 0 1 -1 -1], written where the 2x2 tile lies inside y.
void TransformOutput(const Plan& p, const float* M, float* y, int64_t t0, int64_t t1, const Affine* affine) {
  const int64_t co = p.co, T = t1 - t0, perImage = p.tilesPerImage(), plane = T * co;
  float* s = Scratch<ScratchSlot::kWinogradTile>(2 * 4 * co);
  for (int64_t tile = t0; tile < t1; tile++) {
    const int64_t img = tile / perImage, ty = (tile % perImage) / p.tilesX(), tx = tile % p.tilesX();
    const float* m = M + (tile - t0) * co;
    // Rows first: s[r][b] = Σ_a Aᵀ[r][a] M[a][b].
    for (int b = 0; b < 4; b++) {
      const float *m0 = m + b * plane, *m1 = m0 + 4 * plane, *m2 = m1 + 4 * plane, *m3 = m2 + 4 * plane;
      float *r0 = s + b * co, *r1 = r0 + 4 * co;
      for (int64_t o = 0; o < co; o++) {
        r0[o] = m0[o] + m1[o] + m2[o];
        r1[o] = m1[o] - m2[o] - m3[o];
      }
    }
    for (int r = 0; r < 2; r++) {
      const int64_t oy = 2 * ty + r;
      if (oy >= p.oh) break;
      const float *q0 = s + (r * 4) * co, *q1 = q0 + co, *q2 = q1 + co, *q3 = q2 + co;
      float* dst = y + ((img * p.oh + oy) * p.ow + 2 * tx) * co;
      for (int64_t o = 0; o < co; o++) dst[o] = q0[o] + q1[o] + q2[o];
      if (affine) affine->Apply(dst, co);
      if (2 * tx + 1 < p.ow) {
        for (int64_t o = 0; o < co; o++) dst[co + o] = q1[o] - q2[o] - q3[o];
        if (affine) affine->Apply(dst + co, co);
      }
    }
  }
}

// kTurned[k]: the index of the forward filter's transform that a turned filter's transform k equals. Turning g
// (g'[ky][kx] = g[2-ky][2-kx]) is g' = J g J with J the reversal, and G J = P G with P swapping rows 0 and 3 of
// G, so G g' Gᵀ = P (G g Gᵀ) Pᵀ: rows and columns 0 and 3 swap.
constexpr int kTurned[16] = {15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0};

// The products M_k = V_k · U_k. U is the transformed filter [16][ci][co] of this convolution or, when `turned`,
// the forward filter's [16][co][ci] of the convolution whose input gradient this is: its turned, in/out-swapped
// filter's transform k is U[kTurned[k]] transposed.
void Run(int threads, const Plan& p, const float* x, const float* U, float* y, const Affine* affine, bool turned) {
  const int64_t perImage = p.tilesPerImage();
  const int64_t chunk = std::max<int64_t>(kMinChunkTiles, kChunkFloats / (16 * (p.ci + p.co)));
  ForRanges(threads, p.n, [&](int64_t, int64_t i0, int64_t i1) {
    const int64_t T0 = i0 * perImage, T1 = i1 * perImage;
    const int64_t most = std::min(chunk, T1 - T0);
    float* V = Scratch<ScratchSlot::kWinograd>(16 * most * (p.ci + p.co));
    float* M = V + 16 * most * p.ci;
    for (int64_t t0 = T0; t0 < T1; t0 += chunk) {
      const int64_t t1 = std::min(T1, t0 + chunk), T = t1 - t0;
      TransformInput(p, x, V, t0, t1);
      for (int k = 0; k < 16; k++) {
        const float* Uk = U + (turned ? kTurned[k] : k) * p.ci * p.co;
        RowStableSgemm(turned, T, p.co, p.ci, V + k * T * p.ci, p.ci, Uk, turned ? p.ci : p.co, M + k * T * p.co,
                       p.co);
      }
      TransformOutput(p, M, y, t0, t1, affine);
    }
  });
}

}  // namespace

bool WinogradApplies(const Geometry& g) { return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1; }

void WinogradFilter(int threads, const Geometry& g, const float* w, float* U) {
  TransformFilterThreaded(threads, g.ci * g.co, [&](int ky, int kx) { return w + (ky * 3 + kx) * g.ci * g.co; }, U);
}

// y = x ⋆ w, filter [3, 3, ci, co], then `affine` when given.
void Conv2DWinogradWith(int threads, const Geometry& g, const float* x, const float* w, float* y, const Affine* affine,
                        int64_t filterKey) {
  const float* U = WinogradFilters().Get(threads, g, w, filterKey);
  Run(threads, Plan{g.n, g.h, g.w, g.ci, g.co, g.oh, g.ow, g.top, g.left}, x, U, y, affine, false);
}

void Conv2DWinograd(int threads, const Geometry& g, const float* x, const float* w, float* y) {
  Conv2DWinogradWith(threads, g, x, w, y, nullptr, -1);
}

// dx = dy ⋆ w', w'[ky][kx][o][c] = w[2-ky][2-kx][c][o]: the input gradient of a stride-1 3x3 convolution
// is itself one, over dy padded by 2 - top (2 - left), with the filter turned and in/out swapped, whose
// transform is the forward filter's, permuted and transposed (kTurned): the same cached transform serves both.
void Conv2DBackpropInputWinogradWith(int threads, const Geometry& g, const float* dy, const float* w, float* dx,
                                     int64_t filterKey) {
  const float* U = WinogradFilters().Get(threads, g, w, filterKey);
  Run(threads, Plan{g.n, g.oh, g.ow, g.co, g.ci, g.h, g.w, 2 - g.top, 2 - g.left}, dy, U, dx, nullptr, true);
}

void Conv2DBackpropInputWinograd(int threads, const Geometry& g, const float* dy, const float* w, float* dx) {
  Conv2DBackpropInputWinogradWith(threads, g, dy, w, dx, -1);
}

}  // namespace rftbench
