// Worker threads that live as long as the process, for ForRanges (kernels.h). Starting threads on every call
// cost a thread start per kernel call, and every new thread's scratch buffers (im2col, Winograd, padded
// products) were allocated and freed again: the allocator kept the freed arenas and the process's RSS grew
// by about 20 MiB per cell of a suite. Persistent workers keep their scratch.
//
// Kernels come back to back, a few to tens of microseconds of JS apart, so a worker that has finished a job
// watches for the next one for a while (kSpin) before it sleeps, and the caller watches for the workers to
// finish before it sleeps: waking a thread asleep on a condition variable took ~50 us here (a VM), which
// made every native kernel of a step cost at least that (ResNet-50's 161 SGD steps: 64 floats, 55 us each).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RFTBENCH_PAUSE() _mm_pause()
#else
#define RFTBENCH_PAUSE() std::this_thread::yield()
#endif

#include "kernels.h"

namespace rftbench {
namespace {

// How long a thread watches before it sleeps: longer than the JS between two kernels of a step, short
// enough that an idle process stops spinning at once.
constexpr std::chrono::microseconds kSpin(300);

// Spins until done() or kSpin has passed; true if done.
template <typename Done>
bool SpinUntil(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; i++) {
    if (done()) return true;
    RFTBENCH_PAUSE();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return done();
  }
}

struct Pool {
  std::mutex busy;  // held by the one caller using the pool
  std::mutex m;     // guards job, parts and the generation's writes, and the sleeps below
  std::condition_variable wake, done;
  const std::function<void(int64_t)>* job = nullptr;
  int64_t parts = 0;
  std::atomic<int64_t> pending{0}, generation{0};  // atomics: the spinners watch them without the lock
  int64_t started = 0;  // workers 1..started exist

  void Grow(int64_t workers) {
    for (; started < workers; started++) std::thread([this, t = started + 1] { Loop(t); }).detach();
  }

  void Loop(int64_t t) {
    int64_t seen = 0;
    for (;;) {
      if (!SpinUntil([&] { return generation.load(std::memory_order_acquire) != seen; })) {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return generation.load(std::memory_order_acquire) != seen; });
      }
      // The generation and its job read together, under the lock the caller publishes them under: a worker
      // that sat out one job can see the next one's fields, and must then count itself in that one, once.
      const std::function<void(int64_t)>* j;
      {
        std::lock_guard<std::mutex> lock(m);
        seen = generation.load(std::memory_order_relaxed);
        if (t >= parts) continue;
        j = job;
      }
      (*j)(t);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(m);
        done.notify_one();
      }
    }
  }
};

// Never destroyed: its detached workers wait on it until the process ends.
Pool& ThePool() {
  static Pool* pool = new Pool();
  return *pool;
}

}  // namespace

bool RunOnPool(int64_t parts, const std::function<void(int64_t)>& job) {
  Pool& pool = ThePool();
  std::unique_lock<std::mutex> owner(pool.busy, std::try_to_lock);
  if (!owner.owns_lock()) return false;
  {
    std::lock_guard<std::mutex> lock(pool.m);
    pool.Grow(parts - 1);
    pool.job = &job;
    pool.parts = parts;
    pool.pending.store(parts - 1, std::memory_order_relaxed);
    pool.generation.fetch_add(1, std::memory_order_release);
  }
  pool.wake.notify_all();
  job(0);
  const auto finished = [&] { return pool.pending.load(std::memory_order_acquire) == 0; };
  if (!SpinUntil(finished)) {
    std::unique_lock<std::mutex> lock(pool.m);
    pool.done.wait(lock, finished);
  }
  return true;
}

}  // namespace rftbench
