#include "logs/progress.h"

#include <algorithm>
#include <string>

namespace payedge::logs {

ProgressBar::ProgressBar(std::uint64_t total_bytes, std::FILE* out)
    : total_(std::max<std::uint64_t>(total_bytes, 1)),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::update(std::uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  draw(done);
}

void ProgressBar::draw(std::uint64_t done) {
  constexpr int kWidth = 30;
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double mb = static_cast<double>(done) / 1e6;
  std::fprintf(out_, "\r[%s] %3d%%  %.0f / %.0f MB  %.0f MB/s", bar.c_str(),
               static_cast<int>(frac * 100), mb, static_cast<double>(total_) / 1e6,
               secs > 0 ? mb / secs : 0.0);
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
}

}  // namespace payedge::logs
