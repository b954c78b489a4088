// Which implementation serves each Backend: adding a backend is its folder
// plus one case here.
#include "core/backend.hpp"

#include "cpu/backend.hpp"
#include "cuda/backend.hpp"

namespace mixcut {

const BackendOps* find_backend(Backend backend) {
  switch (backend) {
    case Backend::Cpu:
      return &cpu::backend();
    case Backend::Cuda:
      return cuda::backend();  // nullptr when built without it (MIXCUT_CUDA=OFF)
  }
  return nullptr;
}

}  // namespace mixcut
