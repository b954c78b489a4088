#include "images.hpp"

#include <stb_image.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace mixcut_demo {
namespace {

constexpr float kPi = 3.14159265358979f;

struct Color {
  float r, g, b;  // 0..255
};

Color Lerp(Color a, Color b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

// Hue, saturation, value in [0, 1] to RGB in [0, 255].
Color Hsv(float h, float s, float v) {
  const float k_r = std::fmod(5.0f + h * 6.0f, 6.0f);
  const float k_g = std::fmod(3.0f + h * 6.0f, 6.0f);
  const float k_b = std::fmod(1.0f + h * 6.0f, 6.0f);
  auto channel = [&](float k) {
    const float m = std::max(0.0f, std::min({k, 4.0f - k, 1.0f}));
    return 255.0f * v * (1.0f - s * m);
  };
  return {channel(k_r), channel(k_g), channel(k_b)};
}

float Cross(float ax, float ay, float bx, float by, float px, float py) {
  return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

bool InTriangle(float u, float v) {
  const float d1 = Cross(0.5f, 0.14f, 0.88f, 0.84f, u, v);
  const float d2 = Cross(0.88f, 0.84f, 0.12f, 0.84f, u, v);
  const float d3 = Cross(0.12f, 0.84f, 0.5f, 0.14f, u, v);
  return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
}

// Each painter maps normalised coordinates (u right, v down, both in [0, 1))
// to a colour.
using Painter = std::function<Color(float u, float v)>;

struct SyntheticClass {
  const char* name;
  Painter paint;
};

const std::vector<SyntheticClass>& SyntheticClasses() {
  static const std::vector<SyntheticClass> classes = {
      {"sun",
       [](float u, float v) {
         const float dx = u - 0.5f, dy = v - 0.42f;
         const float r = std::sqrt(dx * dx + dy * dy);
         const float angle = std::atan2(dy, dx);
         if (v > 0.8f) return Color{60, 150, 70};
         if (r < 0.18f) return Color{255, 214, 40};
         if (r < 0.33f && std::sin(angle * 12.0f) > 0.55f) return Color{255, 150, 20};
         return Lerp(Color{60, 120, 220}, Color{175, 215, 250}, v / 0.8f);
       }},
      {"stripes",
       [](float u, float v) {
         const int band = static_cast<int>(std::floor((u + v) * 6.0f));
         return band % 2 == 0 ? Color{215, 35, 50} : Color{250, 240, 220};
       }},
      {"checker",
       [](float u, float v) {
         const int cell = static_cast<int>(u * 6.0f) + static_cast<int>(v * 6.0f);
         return cell % 2 == 0 ? Color{105, 45, 160} : Color{175, 225, 60};
       }},
      {"rings",
       [](float u, float v) {
         const float r = std::sqrt((u - 0.5f) * (u - 0.5f) + (v - 0.5f) * (v - 0.5f));
         static const Color palette[] = {
             {240, 60, 120}, {255, 255, 255}, {20, 160, 170}, {255, 255, 255}};
         return palette[static_cast<int>(r * 14.0f) % 4];
       }},
      {"gradient", [](float u, float v) { return Hsv(u, 0.85f, 1.0f - 0.55f * v); }},
      {"triangle",
       [](float u, float v) {
         return InTriangle(u, v) ? Color{250, 140, 30} : Color{20, 70, 85};
       }},
      {"dots",
       [](float u, float v) {
         const float cu = std::fmod(u * 4.0f, 1.0f) - 0.5f;
         const float cv = std::fmod(v * 4.0f, 1.0f) - 0.5f;
         return cu * cu + cv * cv < 0.09f ? Color{30, 40, 125} : Color{250, 195, 215};
       }},
      {"wave",
       [](float u, float v) {
         const float crest = 0.5f + 0.2f * std::sin(2.0f * kPi * 2.0f * u);
         const float distance = std::fabs(v - crest);
         if (distance < 0.02f) return Color{255, 255, 255};
         if (v > crest) return Lerp(Color{20, 120, 200}, Color{10, 30, 90}, (v - crest) / 0.7f);
         return Color{200, 235, 250};
       }},
  };
  return classes;
}

uint8_t ToByte(float value) {
  return static_cast<uint8_t>(std::lround(std::clamp(value, 0.0f, 255.0f)));
}

// Centre square of src (w x h x 3), resized bilinearly to size x size into dst.
void CropAndResize(const uint8_t* src, int w, int h, int size, uint8_t* dst) {
  const int side = std::min(w, h);
  const int x_offset = (w - side) / 2, y_offset = (h - side) / 2;
  const float step = static_cast<float>(side) / static_cast<float>(size);
  for (int y = 0; y < size; ++y) {
    // Sample at pixel centres, clamped to the crop.
    const float sy = std::clamp((static_cast<float>(y) + 0.5f) * step - 0.5f, 0.0f,
                                static_cast<float>(side - 1));
    const int y0 = static_cast<int>(sy), y1 = std::min(y0 + 1, side - 1);
    const float fy = sy - static_cast<float>(y0);
    for (int x = 0; x < size; ++x) {
      const float sx = std::clamp((static_cast<float>(x) + 0.5f) * step - 0.5f, 0.0f,
                                  static_cast<float>(side - 1));
      const int x0 = static_cast<int>(sx), x1 = std::min(x0 + 1, side - 1);
      const float fx = sx - static_cast<float>(x0);
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int xx, int yy) {
          const size_t index = (static_cast<size_t>(yy + y_offset) * w + (xx + x_offset)) * 3 + c;
          return static_cast<float>(src[index]);
        };
        const float top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * fx;
        const float bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * fx;
        dst[(static_cast<size_t>(y) * size + x) * 3 + c] = ToByte(top + (bottom - top) * fy);
      }
    }
  }
}

std::string ClassNameFromPath(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  // The column widens to its caption; only a very long name is shortened.
  constexpr size_t kMaxName = 24;
  if (name.size() > kMaxName) name = name.substr(0, kMaxName - 2) + "..";
  return name;
}

}  // namespace

LabelledBatch MakeSyntheticBatch(int size) {
  const std::vector<SyntheticClass>& classes = SyntheticClasses();
  LabelledBatch batch;
  batch.n = static_cast<int>(classes.size());
  batch.size = size;
  batch.pixels.resize(static_cast<size_t>(batch.n) * size * size * 3);
  for (int i = 0; i < batch.n; ++i) {
    batch.labels.push_back(i);
    batch.class_names.push_back(classes[static_cast<size_t>(i)].name);
    uint8_t* image = &batch.pixels[static_cast<size_t>(i) * size * size * 3];
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const float u = (static_cast<float>(x) + 0.5f) / static_cast<float>(size);
        const float v = (static_cast<float>(y) + 0.5f) / static_cast<float>(size);
        const Color color = classes[static_cast<size_t>(i)].paint(u, v);
        uint8_t* pixel = image + (static_cast<size_t>(y) * size + x) * 3;
        pixel[0] = ToByte(color.r);
        pixel[1] = ToByte(color.g);
        pixel[2] = ToByte(color.b);
      }
    }
  }
  return batch;
}

bool LoadImageBatch(const std::vector<std::string>& paths, int size, LabelledBatch* batch,
                    std::string* error) {
  LabelledBatch result;
  result.n = static_cast<int>(paths.size());
  result.size = size;
  result.pixels.resize(static_cast<size_t>(result.n) * size * size * 3);
  for (int i = 0; i < result.n; ++i) {
    const std::string& path = paths[static_cast<size_t>(i)];
    int w = 0, h = 0, channels_in_file = 0;
    // Ask for 3 channels: grey and RGBA files are converted by stb_image.
    uint8_t* pixels = stbi_load(path.c_str(), &w, &h, &channels_in_file, 3);
    if (pixels == nullptr) {
      *error = path + ": " + stbi_failure_reason();
      return false;
    }
    CropAndResize(pixels, w, h, size, &result.pixels[static_cast<size_t>(i) * size * size * 3]);
    stbi_image_free(pixels);
    result.labels.push_back(i);
    result.class_names.push_back(ClassNameFromPath(path));
  }
  *batch = std::move(result);
  return true;
}

}  // namespace mixcut_demo
