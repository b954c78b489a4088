// An RGB8 image with the few drawing operations the demo needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mixcut_demo {

struct Rgb {
  uint8_t r, g, b;
};

// Interleaved RGB, row-major (HWC): the layout of PNG files and of mixcut's NHWC.
class Canvas {
 public:
  Canvas() = default;
  Canvas(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }
  uint8_t* data() { return pixels_.data(); }
  const uint8_t* data() const { return pixels_.data(); }

  void Set(int x, int y, Rgb color);  // ignores pixels outside
  Rgb Get(int x, int y) const;
  void FillRect(int x, int y, int w, int h, Rgb color);
  void StrokeRect(int x, int y, int w, int h, Rgb color);
  // Copies an h x w x 3 image with its top-left corner at (x, y).
  void Blit(const uint8_t* hwc, int w, int h, int x, int y);
  // Draws text with the 5x7 font, each font pixel scale x scale screen pixels.
  void DrawText(int x, int y, const std::string& text, Rgb color, int scale);

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

// Width and height in pixels of text drawn at this scale (one pixel of spacing
// between glyphs, none after the last).
int TextWidth(const std::string& text, int scale);
int TextHeight(int scale);

}  // namespace mixcut_demo
