// cpu_scratch: the ctx's CPU scratch, made on first use.
#include "cpu/scratch.hpp"

#include <memory>

namespace mixcut::cpu {

CpuScratch& cpu_scratch(Context& ctx, int threads) {
  auto* scratch = dynamic_cast<CpuScratch*>(ctx.scratch.get());
  if (scratch == nullptr) {
    auto fresh = std::make_unique<CpuScratch>();
    scratch = fresh.get();
    ctx.scratch = std::move(fresh);
  }
  if (scratch->threads.size() < size_t(threads)) scratch->threads.resize(size_t(threads));
  return *scratch;
}

}  // namespace mixcut::cpu
