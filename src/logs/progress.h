// A progress bar on stderr for long scans; the caller decides whether stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace payedge::logs {

class ProgressBar {
 public:
  explicit ProgressBar(std::uint64_t total_bytes, std::FILE* out = stderr);
  // `done` bytes of the total are read; redraws at most ten times a second.
  void update(std::uint64_t done);
  // Erases the bar, leaving the line clean for the report.
  void finish();

 private:
  void draw(std::uint64_t done);
  std::uint64_t total_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace payedge::logs
