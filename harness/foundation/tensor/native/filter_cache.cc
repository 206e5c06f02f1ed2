// Winograd's transformed filters, kept per weight tensor. An attack runs the same weights through hundreds of
// forward and backward passes; transforming a 512-channel filter (16 MB out) on every call cost as much as
// the products at batch 32 and more at small batches. The caller names each weight tensor with a key it never
// gives another (the JS side numbers tfjs dataIds, whose data never changes), so a hit is always the same
// weights; a key of -1 means "not worth keeping" and transforms into scratch. Least recently used entries go
// when the per-thread budget is reached, and an entry of the same size is reused in place (training passes
// new weights every step: no allocation, no page faults). One cache per JS thread (thread_local: evaluation
// workers keep their own), touched only by that thread before it hands work to the pool.
#include <cstring>
#include <vector>

#include "kernels.h"

namespace rftbench {

namespace {

struct Entry {
  int64_t key, ci, co, lastUse;
  std::vector<float> U;
};

}  // namespace

struct FilterCache::State {
  std::vector<Entry> entries;
  int64_t clock = 0, bytes = 0, limit = int64_t(128) << 20;
  FilterCacheStats stats{};
};

FilterCache::State& FilterCache::state() {
  thread_local State s;
  return s;
}

const float* FilterCache::Get(int threads, const Geometry& g, const float* w, int64_t key) {
  State& s = state();
  const int64_t floats = 16 * g.ci * g.co, size = floats * int64_t(sizeof(float));
  if (key >= 0)
    for (Entry& e : s.entries)
      if (e.key == key && e.ci == g.ci && e.co == g.co) {
        e.lastUse = ++s.clock;
        s.stats.hits++;
        return e.U.data();
      }
  s.stats.misses++;
  if (key < 0 || size > s.limit) {
    float* U = Scratch<ScratchSlot::kFilter>(floats);
    WinogradFilter(threads, g, w, U);
    return U;
  }
  // Make room: drop least recently used entries, keeping the storage of one of exactly this size.
  std::vector<float> storage;
  while (s.bytes + size > s.limit && !s.entries.empty()) {
    size_t oldest = 0;
    for (size_t i = 1; i < s.entries.size(); i++)
      if (s.entries[i].lastUse < s.entries[oldest].lastUse) oldest = i;
    Entry& e = s.entries[oldest];
    s.bytes -= int64_t(e.U.size() * sizeof(float));
    if (storage.empty() && int64_t(e.U.size()) == floats) storage.swap(e.U);
    s.entries[oldest] = std::move(s.entries.back());
    s.entries.pop_back();
    s.stats.evictions++;
  }
  if (storage.empty()) storage.resize(floats);
  WinogradFilter(threads, g, w, storage.data());
  s.bytes += size;
  s.entries.push_back(Entry{key, g.ci, g.co, ++s.clock, std::move(storage)});
  return s.entries.back().U.data();
}

void FilterCache::SetLimit(int64_t bytes) {
  State& s = state();
  s.limit = bytes;
  while (s.bytes > s.limit && !s.entries.empty()) {
    s.bytes -= int64_t(s.entries.back().U.size() * sizeof(float));
    s.entries.pop_back();
  }
  if (bytes == 0) s.entries.shrink_to_fit();
}

FilterCacheStats FilterCache::Stats() {
  State& s = state();
  FilterCacheStats out = s.stats;
  out.entries = int64_t(s.entries.size());
  out.bytes = s.bytes;
  return out;
}

FilterCache& WinogradFilters() {
  static FilterCache cache;
  return cache;
}

}  // namespace rftbench
