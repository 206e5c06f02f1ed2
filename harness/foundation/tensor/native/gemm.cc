// OpenBLAS sgemm with row results that do not depend on how many rows come with them.
// OpenBLAS 0.3.21 on x86-64 sends small products (M·N·K up to about 1e6; measured here for NN and NT) to
// other kernels whose sums round differently from its blocked kernels: the same image's outputs then differ
// in the last bits between a batch of 8 and a batch of 1, and AutoAttack, which splits points across
// workers, would move. Products at or below kSmallProduct are therefore computed with zero rows added
// past that size, on per-thread scratch: the rows that matter go through the blocked kernels every time.
#include "kernels.h"

#include <cblas.h>

#include <cstring>
#include <vector>

namespace rftbench {

namespace {
constexpr int64_t kSmallProduct = int64_t(1) << 21;
}  // namespace

void RowStableSgemm(bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                    int64_t ldb, float* C, int64_t ldc) {
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  if (M * N * K > kSmallProduct) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc);
    return;
  }
  const int64_t rows = kSmallProduct / (N * K) + 1;
  float* a = Scratch<ScratchSlot::kPad>(rows * (K + N));
  float* c = a + rows * K;
  for (int64_t r = 0; r < M; r++) std::memcpy(a + r * K, A + r * lda, K * sizeof(float));
  std::memset(a + M * K, 0, (rows - M) * K * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, rows, N, K, 1.f, a, K, B, ldb, 0.f, c, N);
  for (int64_t r = 0; r < M; r++) std::memcpy(C + r * ldc, c + r * N, N * sizeof(float));
}

}  // namespace rftbench
