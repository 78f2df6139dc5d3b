#include "logs/scanner.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "logs/input.h"
#include "logs/progress.h"
#include "logs/record_parser.h"

namespace payedge::logs {
namespace {

// A JSON array input (a Supabase export saved as one array): one span per element.
struct Element {
  std::size_t begin;
  std::size_t size;
  std::uint64_t line;  // 1-based line of the element's first byte
};

struct Chunk {
  std::uint64_t seq = 0;
  std::uint32_t input = 0;
  std::uint64_t offset = 0;  // of data[0] in the input's (decompressed) byte stream
  const char* data = nullptr;
  std::size_t size = 0;  // followed by at least kLinePadding readable bytes
  std::shared_ptr<const void> owner;
  bool array = false;
  std::vector<Element> elements;
  bool array_unclosed = false;  // the last chunk of an array input that was never closed
  std::uint64_t progress = 0;   // raw input bytes consumed when the chunk was cut
  bool mapped = false;          // `data` points into a file mapping
};

struct Outcome {
  std::uint32_t input = 0;
  bool array = false;
  std::uint64_t newlines = 0;  // lines of the chunk, blank ones included (for numbering)
  std::uint64_t lines = 0, records = 0, matched = 0, malformed = 0, bytes = 0;
  std::vector<std::pair<std::uint64_t, std::string>> bad;  // (line index or line, reason)
  OrderedOutput output;
  bool array_unclosed = false;  // the input's JSON array ended without its ']'
  std::uint64_t progress = 0;
};

// Bytes with room for the parser's padding after them.
std::shared_ptr<std::vector<char>> padded_buffer(std::size_t n) {
  auto b = std::make_shared<std::vector<char>>(n + kLinePadding);
  return b;
}

// Drops the pages wholly inside [data, data + size) from this process: they stay in the page
// cache, but the scan's resident memory stays the size of the chunks in flight, not the file.
void release_pages(const char* data, std::size_t size) {
  static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + size) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

class Mapping {
 public:
  Mapping(void* p, std::size_t n) : p_(p), n_(n) {}
  ~Mapping() {
    if (p_) munmap(p_, n_);
  }
  const char* data() const { return static_cast<const char*>(p_); }

 private:
  void* p_;
  std::size_t n_;
};

// Splits the byte stream of a JSON array into elements; keeps its state between blocks.
class ArraySplitter {
 public:
  // True once the array's closing ']' was seen.
  bool closed() const { return state_ == State::kDone && !saw_garbage_; }
  bool opened() const { return state_ != State::kStart; }

  // Scans buf[from, n); appends complete elements; returns where the unfinished element
  // starts (n when none is unfinished). At `eof`, an unfinished element is emitted as is.
  std::size_t split(const char* buf, std::size_t n, bool eof, std::vector<Element>& out) {
    std::size_t i = 0;
    while (i < n) {
      const char c = buf[i];
      if (state_ != State::kInElement) {
        if (c == '\n') ++line_;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          ++i;
          continue;
        }
        if (state_ == State::kStart || state_ == State::kDone) {
          if (c == '[') {
            state_ = State::kFirst;
            ++i;
            continue;
          }
          garbage_ = saw_garbage_ =
              true;  // text outside any array: one malformed "element" per line
        } else if (c == ']') {
          state_ = State::kDone;
          ++i;
          continue;
        } else if (c == ',') {
          state_ = State::kElement;
          ++i;
          continue;
        }
        before_element_ = state_;
        state_ = State::kInElement;
        start_ = i;
        start_line_ = line_;
        depth_ = 0;
        in_string_ = escape_ = false;
      }
      // Inside an element.
      if (garbage_) {
        if (c == '\n') {
          emit(out, i);
          garbage_ = false;
          continue;  // the newline is counted by the between-elements branch
        }
        ++i;
        continue;
      }
      if (in_string_) {
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
        } else if (c == '\n') {
          ++line_;
        }
        ++i;
        continue;
      }
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if (c == '}' || c == ']') {
        if (depth_ == 0) {  // "]" closing the array right after a scalar
          emit(out, i);
          continue;
        }
        if (--depth_ == 0) {
          emit(out, i + 1);
          ++i;
          continue;
        }
      } else if (c == ',' && depth_ == 0) {
        emit(out, i);
        continue;
      } else if (c == '\n') {
        ++line_;
      }
      ++i;
    }
    if (state_ == State::kInElement) {
      if (eof) {
        emit(out, n);
        return n;
      }
      // Re-scan the unfinished element with the next block.
      const std::size_t keep = start_;
      line_ = start_line_;
      state_ = before_element_;
      garbage_ = false;
      return keep;
    }
    return n;
  }

 private:
  enum class State { kStart, kFirst, kElement, kAfter, kInElement, kDone };
  void emit(std::vector<Element>& out, std::size_t end) {
    out.push_back({start_, end - start_, start_line_});
    state_ = garbage_ ? State::kDone : State::kAfter;
  }
  State state_ = State::kStart;
  State before_element_ = State::kStart;  // restored when an unfinished element is carried over
  std::size_t start_ = 0;
  std::uint64_t line_ = 1, start_line_ = 1;
  int depth_ = 0;
  bool in_string_ = false, escape_ = false, garbage_ = false, saw_garbage_ = false;
};

class Pipeline {
 public:
  Pipeline(const std::vector<std::string>& inputs, FieldSet wanted, const RecordFilter& filter,
           const std::vector<RecordSink*>& sinks, const ScanOptions& options)
      : inputs_(inputs), wanted_(wanted), filter_(filter), sinks_(sinks), options_(options) {
    wanted_ |= filter.fields();
    window_ = std::max<std::size_t>(4, sinks.size() * 3);
  }

  ScanStats run() {
    for (const auto& name : inputs_) {
      struct stat st {};
      if (name != "-" && ::stat(name.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        total_bytes_ += static_cast<std::uint64_t>(st.st_size);
      } else if (name == "-") {
        total_known_ = false;
      }
    }
    std::unique_ptr<ProgressBar> bar;
    if (options_.progress && total_known_ && total_bytes_ >= kProgressMinBytes) {
      bar = std::make_unique<ProgressBar>(total_bytes_);
    }
    std::thread producer([this] { produce(); });
    std::vector<std::thread> workers;
    for (std::size_t w = 0; w < sinks_.size(); ++w) workers.emplace_back([this, w] { work(w); });

    std::vector<std::uint64_t> line_base(inputs_.size(), 0);
    while (true) {
      Outcome o;
      {
        std::unique_lock lock(mu_);
        done_cv_.wait(lock, [&] {
          return stopped_ || done_.count(next_merge_) ||
                 (producer_finished_ && next_merge_ == produced_);
        });
        auto it = done_.find(next_merge_);
        if (stopped_ || it == done_.end()) break;
        o = std::move(it->second);
        done_.erase(it);
        ++next_merge_;
      }
      space_cv_.notify_one();
      merge(o, line_base);
      if (bar) bar->update(o.progress);
    }
    producer.join();
    for (auto& t : workers) t.join();
    if (bar) bar->finish();
    stats_.problems = problems_;
    return stats_;
  }

 private:
  static constexpr std::uint64_t kProgressMinBytes = 64ull << 20;

  void merge(Outcome& o, std::vector<std::uint64_t>& line_base) {
    stats_.lines += o.lines;
    stats_.records += o.records;
    stats_.matched += o.matched;
    stats_.malformed += o.malformed;
    stats_.bytes += o.bytes;
    for (auto& [where, reason] : o.bad) {
      if (stats_.malformed_samples.size() >= options_.malformed_samples) break;
      const std::uint64_t line = o.array ? where : line_base[o.input] + where + 1;
      stats_.malformed_samples.push_back({inputs_[o.input], line, std::move(reason)});
    }
    line_base[o.input] += o.newlines;
    if (o.array_unclosed) {
      stats_.warnings.push_back(inputs_[o.input] +
                                ": the JSON array is not closed (no ']' at the end): the export "
                                "may be cut short");
    }
    std::size_t bytes = o.output.text.size();
    if (options_.output_limit > 0) {
      const std::uint64_t left = options_.output_limit - written_;
      if (o.output.ends.size() >= left) {
        bytes = left > 0 ? o.output.ends[left - 1] : 0;
        written_ = options_.output_limit;
        stop();
      } else {
        written_ += o.output.ends.size();
      }
    }
    if (bytes > 0) std::fwrite(o.output.text.data(), 1, bytes, options_.out);
  }

  // Enough output: the producer stops reading and the workers stop parsing.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    stats_.stopped_early = true;
    work_cv_.notify_all();
    space_cv_.notify_all();
    done_cv_.notify_all();
  }

  // --- producer ---

  // False once the scan was stopped: the producer then stops reading.
  bool push(Chunk&& c) {
    std::unique_lock lock(mu_);
    space_cv_.wait(lock, [&] { return stopped_ || produced_ - next_merge_ < window_; });
    if (stopped_) return false;
    c.seq = produced_++;
    queue_.push_back(std::move(c));
    work_cv_.notify_one();
    return true;
  }

  bool stopped() {
    std::lock_guard lock(mu_);
    return stopped_;
  }

  void problem(const std::string& text) {
    std::lock_guard lock(mu_);
    problems_.push_back(text);
  }

  void produce() {
    for (std::uint32_t i = 0; i < inputs_.size(); ++i) {
      auto in = InputFile::open(inputs_[i]);
      if (!in) {
        problem(in.error().detail);
      } else if (in->regular() && in->compression() == Compression::kNone && in->size() > 0 &&
                 !starts_array(*in)) {
        produce_mapped(i, *in);
      } else {
        produce_stream(i, *in);
      }
      if (in && in->regular()) consumed_before_ += in->size();
      if (stopped()) break;
    }
    std::lock_guard lock(mu_);
    producer_finished_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  // A plain file whose first non-blank byte is '[' is one JSON array.
  static bool starts_array(const InputFile& in) {
    char buf[256];
    const ssize_t n = pread(in.fd(), buf, sizeof buf, 0);
    for (ssize_t k = 0; k < n; ++k) {
      if (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r' || buf[k] == '\n') continue;
      return buf[k] == '[';
    }
    return false;
  }

  void produce_mapped(std::uint32_t input, const InputFile& in) {
    const std::size_t size = in.size();
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, in.fd(), 0);
    if (p == MAP_FAILED) {
      produce_stream(input, in);
      return;
    }
    madvise(p, size, MADV_SEQUENTIAL | MADV_WILLNEED);
    auto map = std::make_shared<Mapping>(p, size);
    const char* base = map->data();
    std::size_t pos = 0;
    while (pos < size) {
      std::size_t end = size;
      if (size - pos > options_.chunk_bytes + (64u << 10)) {
        const void* nl =
            std::memchr(base + pos + options_.chunk_bytes, '\n', size - pos - options_.chunk_bytes);
        if (nl) end = static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
      }
      Chunk c;
      c.input = input;
      c.offset = pos;
      c.progress = consumed_before_ + end;
      if (end == size) {
        // The file's last bytes: copied so that the parser's padding stays inside memory.
        auto buf = padded_buffer(end - pos);
        std::memcpy(buf->data(), base + pos, end - pos);
        c.data = buf->data();
        c.owner = buf;
      } else {
        c.data = base + pos;
        c.owner = map;
        c.mapped = true;
      }
      c.size = end - pos;
      if (!push(std::move(c))) return;
      pos = end;
    }
  }

  void produce_stream(std::uint32_t input, const InputFile& in) {
    auto reader = StreamReader::open(in);
    const std::size_t block = options_.chunk_bytes;
    std::shared_ptr<std::vector<char>> carry;
    std::size_t carry_len = 0;
    std::uint64_t offset = 0;
    bool first = true, array = false, eof = false;
    ArraySplitter splitter;
    while (!eof) {
      const std::size_t cap = std::max(block, carry_len * 2);
      auto buf = padded_buffer(cap);
      if (carry_len) std::memcpy(buf->data(), carry->data(), carry_len);
      std::size_t len = carry_len;
      while (len < cap) {
        const std::size_t got = reader->read(buf->data() + len, cap - len);
        if (got == 0) {
          eof = true;
          break;
        }
        len += got;
      }
      if (first) {
        first = false;
        std::size_t k = 0;
        while (k < len && (buf->at(k) == ' ' || buf->at(k) == '\n' || buf->at(k) == '\r' ||
                           buf->at(k) == '\t')) {
          ++k;
        }
        array = k < len && buf->at(k) == '[';
      }
      std::fill(buf->begin() + static_cast<std::ptrdiff_t>(len), buf->end(), ' ');
      Chunk c;
      c.input = input;
      c.offset = offset;
      c.data = buf->data();
      c.owner = buf;
      c.progress = consumed_before_ + reader->raw_consumed();
      std::size_t used;
      if (array) {
        c.array = true;
        used = splitter.split(buf->data(), len, eof, c.elements);
      } else if (eof) {
        used = len;
      } else {
        const char* last = static_cast<const char*>(memrchr(buf->data(), '\n', len));
        used = last ? static_cast<std::size_t>(last - buf->data()) + 1 : 0;
      }
      c.size = used;
      if (array && eof && splitter.opened() && !splitter.closed()) {
        c.array_unclosed = true;
      }
      if (used > 0 || (array && !c.elements.empty()) || c.array_unclosed) {
        if (!push(std::move(c))) return;
      }
      // What is left (an unfinished line or element) starts the next block.
      carry = buf;
      carry_len = len - used;
      if (carry_len && used) {
        auto rest = padded_buffer(carry_len);
        std::memcpy(rest->data(), buf->data() + used, carry_len);
        carry = rest;
      }
      offset += used;
    }
    if (!reader->problem().empty()) problem(in.name() + ": " + reader->problem());
  }

  // --- workers ---

  void work(std::size_t w) {
    RecordParser parser(wanted_);
    RecordSink& sink = *sinks_[w];
    LogRecord rec;
    while (true) {
      Chunk c;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return stopped_ || !queue_.empty() || producer_finished_; });
        if (stopped_ || queue_.empty()) return;
        c = std::move(queue_.front());
        queue_.pop_front();
      }
      Outcome o;
      o.input = c.input;
      o.array = c.array;
      o.array_unclosed = c.array_unclosed;
      o.bytes = c.size;
      o.progress = c.progress;
      auto handle = [&](std::string_view line, std::uint64_t where, std::uint64_t offset) {
        switch (parser.parse(line, rec)) {
          case LineKind::kBlank:
            return;
          case LineKind::kMalformed:
            ++o.lines;
            ++o.malformed;
            if (o.bad.size() < options_.malformed_samples)
              o.bad.emplace_back(where, parser.error());
            return;
          case LineKind::kRecord:
            ++o.lines;
            ++o.records;
            if (filter_.match(rec)) {
              ++o.matched;
              sink.add(rec, {c.input, offset});
            }
        }
      };
      if (c.array) {
        for (const auto& e : c.elements) {
          handle(std::string_view(c.data + e.begin, e.size), e.line, c.offset + e.begin);
        }
      } else {
        const char* p = c.data;
        const char* end = c.data + c.size;
        std::uint64_t index = 0;
        while (p < end) {
          const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
          const char* line_end = nl ? nl : end;
          handle(std::string_view(p, line_end - p), index++,
                 c.offset + static_cast<std::uint64_t>(p - c.data));
          p = line_end + 1;
        }
        o.newlines = index;
      }
      sink.take_output(o.output);
      if (c.mapped) release_pages(c.data, c.size);
      c.owner.reset();  // free the input before waiting for the merge
      {
        std::lock_guard lock(mu_);
        done_.emplace(c.seq, std::move(o));
      }
      done_cv_.notify_all();
    }
  }

  const std::vector<std::string>& inputs_;
  FieldSet wanted_;
  const RecordFilter& filter_;
  const std::vector<RecordSink*>& sinks_;
  const ScanOptions& options_;
  std::size_t window_;
  std::uint64_t total_bytes_ = 0;
  bool total_known_ = true;
  std::uint64_t consumed_before_ = 0;  // producer thread only

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_, space_cv_;
  std::deque<Chunk> queue_;
  std::map<std::uint64_t, Outcome> done_;
  std::uint64_t produced_ = 0, next_merge_ = 0;
  bool producer_finished_ = false;
  bool stopped_ = false;
  std::uint64_t written_ = 0;  // records whose output was written (merge thread only)
  std::vector<std::string> problems_;
  ScanStats stats_;
};

}  // namespace

unsigned resolve_threads(unsigned requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 2 : hw;
}

ScanStats scan_logs(const std::vector<std::string>& inputs, FieldSet wanted,
                    const RecordFilter& filter, const std::vector<RecordSink*>& sinks,
                    const ScanOptions& options) {
  Pipeline p(inputs, wanted, filter, sinks, options);
  return p.run();
}

bool report_scan(const ScanStats& stats, bool verbose, std::FILE* err) {
  for (const auto& p : stats.problems) std::fprintf(err, "error: %s\n", p.c_str());
  for (const auto& w : stats.warnings) std::fprintf(err, "warning: %s\n", w.c_str());
  if (stats.malformed > 0) {
    std::fprintf(err, "skipped %llu malformed line%s\n",
                 static_cast<unsigned long long>(stats.malformed), stats.malformed == 1 ? "" : "s");
    if (verbose) {
      for (const auto& m : stats.malformed_samples) {
        std::fprintf(err, "  %s:%llu: %s\n", m.input == "-" ? "<stdin>" : m.input.c_str(),
                     static_cast<unsigned long long>(m.line), m.reason.c_str());
      }
      if (stats.malformed > stats.malformed_samples.size()) {
        std::fprintf(
            err, "  ... and %llu more\n",
            static_cast<unsigned long long>(stats.malformed - stats.malformed_samples.size()));
      }
    }
  }
  return stats.problems.empty();
}

}  // namespace payedge::logs
