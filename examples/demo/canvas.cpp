#include "canvas.hpp"

#include "font.hpp"

namespace mixcut_demo {

Canvas::Canvas(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height * 3) {
  FillRect(0, 0, width, height, background);
}

void Canvas::Set(int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = color.r;
  p[1] = color.g;
  p[2] = color.b;
}

Rgb Canvas::Get(int x, int y) const {
  const uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void Canvas::FillRect(int x, int y, int w, int h, Rgb color) {
  for (int yy = y; yy < y + h; ++yy) {
    for (int xx = x; xx < x + w; ++xx) Set(xx, yy, color);
  }
}

void Canvas::StrokeRect(int x, int y, int w, int h, Rgb color) {
  FillRect(x, y, w, 1, color);
  FillRect(x, y + h - 1, w, 1, color);
  FillRect(x, y, 1, h, color);
  FillRect(x + w - 1, y, 1, h, color);
}

void Canvas::Blit(const uint8_t* hwc, int w, int h, int x, int y) {
  for (int yy = 0; yy < h; ++yy) {
    for (int xx = 0; xx < w; ++xx) {
      const uint8_t* p = hwc + (static_cast<size_t>(yy) * w + xx) * 3;
      Set(x + xx, y + yy, {p[0], p[1], p[2]});
    }
  }
}

void Canvas::DrawText(int x, int y, const std::string& text, Rgb color, int scale) {
  const int advance = (kGlyphWidth + 1) * scale;
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& glyph = GlyphFor(text[i]);
    const int left = x + static_cast<int>(i) * advance;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if ((glyph[static_cast<size_t>(row)] >> (kGlyphWidth - 1 - col) & 1) == 0) continue;
        FillRect(left + col * scale, y + row * scale, scale, scale, color);
      }
    }
  }
}

int TextWidth(const std::string& text, int scale) {
  if (text.empty()) return 0;
  return (static_cast<int>(text.size()) * (kGlyphWidth + 1) - 1) * scale;
}

int TextHeight(int scale) { return kGlyphHeight * scale; }

}  // namespace mixcut_demo
