// The CUDA backend of a build without it (MIXCUT_CUDA=OFF): none, so that
// asking for it is UNSUPPORTED "built without CUDA". backend.cu replaces this
// file when MIXCUT_CUDA=ON.
#include "cuda/backend.hpp"

namespace mixcut::cuda {

const BackendOps* backend() { return nullptr; }

}  // namespace mixcut::cuda
