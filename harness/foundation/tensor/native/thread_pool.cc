// Worker threads that live as long as the process, for ForRanges (kernels.h). Starting threads on every call
// cost a thread start per kernel call, and every new thread's scratch buffers (im2col, Winograd, padded
// products) were allocated and freed again: the allocator kept the freed arenas and the process's RSS grew
// by about 20 MiB per cell of a suite. Persistent workers keep their scratch.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels.h"

namespace rftbench {
namespace {

struct Pool {
  std::mutex busy;  // held by the one caller using the pool
  std::mutex m;
  std::condition_variable wake, done;
  const std::function<void(int64_t)>* job = nullptr;
  int64_t parts = 0, pending = 0, generation = 0;
  int64_t started = 0;  // workers 1..started exist

  void Grow(int64_t workers) {
    for (; started < workers; started++) std::thread([this, t = started + 1] { Loop(t); }).detach();
  }

  void Loop(int64_t t) {
    int64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* j;
      {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (t >= parts) continue;
        j = job;
      }
      (*j)(t);
      std::lock_guard<std::mutex> lock(m);
      if (--pending == 0) done.notify_one();
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
    pool.pending = parts - 1;
    pool.generation++;
  }
  pool.wake.notify_all();
  job(0);
  std::unique_lock<std::mutex> lock(pool.m);
  pool.done.wait(lock, [&] { return pool.pending == 0; });
  return true;
}

}  // namespace rftbench
