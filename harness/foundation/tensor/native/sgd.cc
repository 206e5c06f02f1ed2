// One torch.optim.SGD step over a parameter in one pass: read w, grad and the momentum buffer once, write the
// new w and buffer. tfjs's composite runs up to seven element-wise kernels (and allocations) per parameter.
// Each operation rounds to float32 in the composite's order, and the build has -ffp-contract=off (no FMA),
// so the results are the same bits as SGD's tfjs ops (test/harness/foundation/nn/optim.test.ts).
#include "kernels.h"

namespace rftbench {

void SgdStep(int threads, int64_t n, const SgdCoefficients& k, const float* w, const float* grad, const float* buf,
             float* wOut, float* bufOut) {
  ForRanges(threads, n, [&](int64_t, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      float g = k.maximize ? -grad[i] : grad[i];
      if (k.decay) {
        const float decay = w[i] * k.weightDecay;
        g = g + decay;
      }
      if (k.withMomentum) {
        float b = g;
        if (buf) {
          const float kept = buf[i] * k.momentum;
          const float added = g * k.undamped;
          b = kept + added;
        }
        bufOut[i] = b;
        if (k.nesterov) {
          const float ahead = b * k.momentum;
          g = g + ahead;
        } else {
          g = b;
        }
      }
      const float move = g * k.lr;
      wOut[i] = w[i] - move;
    }
  });
}

}  // namespace rftbench
