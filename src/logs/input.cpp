#include "logs/input.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace payedge::logs {
namespace {

Compression detect(const unsigned char* b, std::size_t n) {
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return Compression::kGzip;
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

Result<InputFile> InputFile::open(const std::string& name) {
  InputFile in;
  in.name_ = name;
  if (name == "-") {
    in.fd_ = STDIN_FILENO;
  } else {
    in.fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (in.fd_ < 0) return fail(ErrorCode::kInvalidRequest, name + ": " + std::strerror(errno));
    in.owned_ = true;
  }
  struct stat st {};
  if (fstat(in.fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    in.regular_ = true;
    in.size_ = static_cast<std::uint64_t>(st.st_size);
  } else if (fstat(in.fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kInvalidRequest, name + ": is a directory");
  }
  unsigned char magic[4];
  std::size_t got = 0;
  if (in.regular_) {
    const ssize_t n = pread(in.fd_, magic, sizeof magic, 0);
    got = n > 0 ? static_cast<std::size_t>(n) : 0;
  } else {
    // A pipe cannot be rewound: keep what was read and replay it as the stream's start.
    while (got < sizeof magic) {
      const ssize_t n = ::read(in.fd_, magic + got, sizeof magic - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    in.head_.assign(reinterpret_cast<const char*>(magic), got);
  }
  in.compression_ = detect(magic, got);
  return in;
}

InputFile::InputFile(InputFile&& o) noexcept { *this = std::move(o); }

InputFile& InputFile::operator=(InputFile&& o) noexcept {
  if (this != &o) {
    if (owned_ && fd_ >= 0) ::close(fd_);
    name_ = std::move(o.name_);
    fd_ = std::exchange(o.fd_, -1);
    owned_ = std::exchange(o.owned_, false);
    regular_ = o.regular_;
    size_ = o.size_;
    compression_ = o.compression_;
    head_ = std::move(o.head_);
  }
  return *this;
}

InputFile::~InputFile() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

Result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  if (args.empty()) return std::vector<std::string>{"-"};
  for (const auto& a : args) {
    if (a == "-" || !has_glob_chars(a)) {
      out.push_back(a);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(a.c_str(), GLOB_ERR, nullptr, &g);
    if (rc != 0) {
      globfree(&g);
      // A literal file whose name holds glob characters still counts.
      struct stat st {};
      if (::stat(a.c_str(), &st) == 0) {
        out.push_back(a);
        continue;
      }
      return fail(ErrorCode::kInvalidRequest, a + ": no file matches");
    }
    std::vector<std::string> matched(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    std::sort(matched.begin(), matched.end());
    out.insert(out.end(), matched.begin(), matched.end());
  }
  return out;
}

std::size_t StreamReader::read_raw(char* dst, std::size_t n) {
  const auto& head = input_.head();
  if (head_pos_ < head.size()) {
    const std::size_t k = std::min(n, head.size() - head_pos_);
    std::memcpy(dst, head.data() + head_pos_, k);
    head_pos_ += k;
    raw_consumed_ += k;
    return k;
  }
  while (true) {
    const ssize_t got = ::read(input_.fd(), dst, n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      problem_ = std::string("read failed: ") + std::strerror(errno);
      return 0;
    }
    raw_consumed_ += static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
  }
}

namespace {

constexpr std::size_t kRawBuffer = 1 << 18;

class PlainReader final : public StreamReader {
 public:
  explicit PlainReader(const InputFile& input) : StreamReader(input) {}
  std::size_t read(char* dst, std::size_t n) override { return read_raw(dst, n); }
};

class GzipReader final : public StreamReader {
 public:
  explicit GzipReader(const InputFile& input) : StreamReader(input), in_(kRawBuffer) {
    // 15 + 32: a zlib or gzip header, recognised automatically.
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
    if (!ok_) problem_ = "zlib: cannot initialise";
  }
  ~GzipReader() override { inflateEnd(&z_); }

  std::size_t read(char* dst, std::size_t n) override {
    if (!ok_ || done_) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(dst);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        const std::size_t got = read_raw(in_.data(), in_.size());
        if (got == 0) {
          if (!member_ended_) problem_ = "truncated gzip stream";
          done_ = true;
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(got);
      }
      if (member_ended_) {  // another gzip member follows (concatenated files)
        inflateReset(&z_);
        member_ended_ = false;
      }
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        problem_ = std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "inflate failed");
        done_ = true;
        break;
      }
    }
    return n - z_.avail_out;
  }

 private:
  z_stream z_{};
  std::vector<char> in_;
  bool ok_ = false;
  bool done_ = false;
  bool member_ended_ = false;
};

class ZstdReader final : public StreamReader {
 public:
  explicit ZstdReader(const InputFile& input)
      : StreamReader(input), dctx_(ZSTD_createDCtx()), in_(ZSTD_DStreamInSize()) {}
  ~ZstdReader() override { ZSTD_freeDCtx(dctx_); }

  std::size_t read(char* dst, std::size_t n) override {
    if (done_) return 0;
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos < out.size) {
      if (input_pos_ == input_len_) {
        input_len_ = read_raw(in_.data(), in_.size());
        input_pos_ = 0;
        if (input_len_ == 0) {
          if (last_ != 0) problem_ = "truncated zstd stream";
          done_ = true;
          break;
        }
      }
      ZSTD_inBuffer inb{in_.data(), input_len_, input_pos_};
      last_ = ZSTD_decompressStream(dctx_, &out, &inb);
      input_pos_ = inb.pos;
      if (ZSTD_isError(last_)) {
        problem_ = std::string("corrupt zstd data: ") + ZSTD_getErrorName(last_);
        done_ = true;
        break;
      }
    }
    return out.pos;
  }

 private:
  ZSTD_DCtx* dctx_;
  std::vector<char> in_;
  std::size_t input_len_ = 0;
  std::size_t input_pos_ = 0;
  std::size_t last_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<StreamReader> StreamReader::open(const InputFile& input) {
  switch (input.compression()) {
    case Compression::kGzip:
      return std::make_unique<GzipReader>(input);
    case Compression::kZstd:
      return std::make_unique<ZstdReader>(input);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainReader>(input);
}

}  // namespace payedge::logs
