// The demo's input: a labelled batch of square RGB images, NHWC uint8.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mixcut_demo {

struct LabelledBatch {
  int n = 0;
  int size = 0;                 // every image is size x size x 3
  std::vector<uint8_t> pixels;  // n * size * size * 3, NHWC
  std::vector<int64_t> labels;  // n labels in [0, class_names.size())
  std::vector<std::string> class_names;
};

// Eight procedurally drawn images, one class each: sun, stripes, checker,
// rings, gradient, triangle, dots, wave.
LabelledBatch MakeSyntheticBatch(int size);

// Reads PNG/JPEG files (anything stb_image reads), centre-crops each to a
// square and resizes it bilinearly to size x size. Each file is its own class,
// named after the file. Returns false with a message in *error on failure.
bool LoadImageBatch(const std::vector<std::string>& paths, int size, LabelledBatch* batch,
                    std::string* error);

}  // namespace mixcut_demo
