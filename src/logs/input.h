// Where log bytes come from: files, globs and stdin, plain or compressed (gzip, zstd).
// Compression is recognised by its magic bytes, so `payedge logs ... - < x.gz` works too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace payedge::logs {

enum class Compression { kNone, kGzip, kZstd };

// One input, opened. Regular uncompressed files are read through mmap by the scanner;
// everything else through a StreamReader.
class InputFile {
 public:
  // "-" is stdin.
  static Result<InputFile> open(const std::string& name);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }
  bool regular() const { return regular_; }
  std::uint64_t size() const { return size_; }  // of the file on disk; 0 for pipes
  Compression compression() const { return compression_; }
  // Bytes read from a pipe to recognise the compression; the stream starts with them.
  const std::string& head() const { return head_; }

 private:
  InputFile() = default;
  std::string name_;
  int fd_ = -1;
  bool owned_ = false;
  bool regular_ = false;
  std::uint64_t size_ = 0;
  Compression compression_ = Compression::kNone;
  std::string head_;
};

// Expands the command line's inputs: globs (sorted), "-" as is; no inputs means stdin.
// A pattern that matches nothing is an error, as a missing file is.
Result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args);

// The decompressed bytes of an input, in order.
class StreamReader {
 public:
  static std::unique_ptr<StreamReader> open(const InputFile& input);
  virtual ~StreamReader() = default;
  // Fills up to `n` bytes; 0 at the end. A corrupt or truncated stream ends early and sets
  // problem().
  virtual std::size_t read(char* dst, std::size_t n) = 0;
  // Bytes consumed from the file itself (for progress over compressed input).
  std::uint64_t raw_consumed() const { return raw_consumed_; }
  const std::string& problem() const { return problem_; }

 protected:
  explicit StreamReader(const InputFile& input) : input_(input) {}
  // Raw bytes: first the input's head, then the descriptor. Returns 0 at the end.
  std::size_t read_raw(char* dst, std::size_t n);

  const InputFile& input_;
  std::size_t head_pos_ = 0;
  std::uint64_t raw_consumed_ = 0;
  std::string problem_;
};

}  // namespace payedge::logs
