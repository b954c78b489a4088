// The CPU backend as a BackendOps: a thin shell over cpu/apply.hpp.
#include "cpu/backend.hpp"

#include "cpu/apply.hpp"
#include "kernels/labels.hpp"

namespace mixcut::cpu {
namespace {

class CpuBackend final : public BackendOps {
 public:
  Backend kind() const override { return Backend::Cpu; }
  const char* name() const override { return "cpu"; }
  Isa isa(const Context& ctx) const override { return effective_isa(ctx); }
  Isa default_isa_cap() const override { return cpu::default_isa_cap(); }
  bool available(std::string&) const override { return true; }
  void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
                 const Normalize* norm) const override {
    cpu::mix_apply(ctx, plan, src, dst, norm);
  }
  void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                    const Tensor& src, const Tensor& dst, const Normalize* norm) const override {
    cpu::cutout_apply(ctx, holes, num_holes, fill, src, dst, norm);
  }
  void mix_labels(Context&, const MixSample* plan, int64_t n, const int64_t* labels, int64_t k,
                  float eps, float* out) const override {
    mixcut::mix_labels(plan, n, labels, k, eps, out);
  }
};

}  // namespace

const BackendOps& backend() {
  static const CpuBackend kBackend;
  return kBackend;
}

}  // namespace mixcut::cpu
