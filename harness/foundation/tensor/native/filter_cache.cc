// Winograd's transformed filters, kept per weight tensor. An attack runs the same weights through hundreds of
// forward and backward passes; transforming a 512-channel filter (16 MB out) on every call cost as much as
// the products at batch 32 and more at small batches. The caller names each weight tensor with a key it never
// gives another (the JS side numbers tfjs dataIds, whose data never changes), so a hit is always the same
// weights; a key of -1 means "not worth keeping" and transforms into scratch. When the JS side disposes a keyed
// weight tensor it releases the key: the entry's storage becomes a spare that the next transform of the same
// size fills. Training passes new weights every step, so a step's transforms land in the last step's storage:
// fresh storage costs a page fault per 4 KiB, which made a ResNet-50 step ~15 ms slower until the budget filled.
// Spares go first, then the least recently used entries, when the per-thread budget is reached. One cache per
// JS thread (thread_local: evaluation workers keep their own), touched only by that thread before it hands work
// to the pool.
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
  // Storage of released entries, kept for the next transform of the same size.
  std::vector<std::vector<float>> spares;
  int64_t clock = 0, bytes = 0, spareBytes = 0, limit = int64_t(128) << 20;
  FilterCacheStats stats{};
};

namespace {

int64_t BytesOf(const std::vector<float>& v) { return int64_t(v.size() * sizeof(float)); }

// Takes a spare of exactly `floats`, if there is one.
std::vector<float> TakeSpare(std::vector<std::vector<float>>& spares, int64_t& spareBytes, int64_t floats) {
  for (size_t i = 0; i < spares.size(); i++)
    if (int64_t(spares[i].size()) == floats) {
      std::vector<float> out;
      out.swap(spares[i]);
      spares[i].swap(spares.back());
      spares.pop_back();
      spareBytes -= BytesOf(out);
      return out;
    }
  return {};
}

}  // namespace

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
  std::vector<float> storage = TakeSpare(s.spares, s.spareBytes, floats);
  // Make room: spares first, then least recently used entries, keeping the storage of one of exactly this size.
  while (storage.empty() && s.bytes + s.spareBytes + size > s.limit && !s.spares.empty()) {
    s.spareBytes -= BytesOf(s.spares.back());
    s.spares.pop_back();
  }
  while (s.bytes + s.spareBytes + size > s.limit && !s.entries.empty()) {
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

void FilterCache::Release(int64_t key) {
  State& s = state();
  for (size_t i = 0; i < s.entries.size(); i++) {
    if (s.entries[i].key != key) continue;
    std::vector<float> storage;
    storage.swap(s.entries[i].U);
    s.bytes -= BytesOf(storage);
    s.entries[i] = std::move(s.entries.back());
    s.entries.pop_back();
    s.stats.released++;
    s.spareBytes += BytesOf(storage);
    s.spares.push_back(std::move(storage));
    return;
  }
}

void FilterCache::SetLimit(int64_t bytes) {
  State& s = state();
  s.limit = bytes;
  while (s.bytes + s.spareBytes > s.limit && !s.spares.empty()) {
    s.spareBytes -= BytesOf(s.spares.back());
    s.spares.pop_back();
  }
  while (s.bytes > s.limit && !s.entries.empty()) {
    s.bytes -= int64_t(s.entries.back().U.size() * sizeof(float));
    s.entries.pop_back();
  }
  if (bytes == 0) {
    s.entries.shrink_to_fit();
    s.spares.shrink_to_fit();
  }
}

FilterCacheStats FilterCache::Stats() {
  State& s = state();
  FilterCacheStats out = s.stats;
  out.entries = int64_t(s.entries.size());
  out.bytes = s.bytes;
  out.spareBytes = s.spareBytes;
  return out;
}

FilterCache& WinogradFilters() {
  static FilterCache cache;
  return cache;
}

}  // namespace rftbench
