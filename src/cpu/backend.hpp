// The CPU backend behind core/backend.hpp's interface.
#pragma once

#include "core/backend.hpp"

namespace mixcut::cpu {

const BackendOps& backend();

}  // namespace mixcut::cpu
