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

#include "logs/csv_rows.h"
#include "logs/framing.h"
#include "logs/input.h"
#include "logs/progress.h"
#include "logs/record_parser.h"

namespace payedge::logs {
namespace {

struct Chunk {
  std::uint64_t seq = 0;
  std::uint32_t input = 0;
  std::uint64_t offset = 0;  // of data[0] in the input's (decompressed) byte stream
  const char* data = nullptr;
  std::size_t size = 0;  // followed by at least kLinePadding readable bytes
  std::shared_ptr<const void> owner;
  Framing framing = Framing::kLines;
  std::vector<Element> elements;        // kJsonArray
  std::shared_ptr<const CsvRows> rows;  // kCsv
  std::uint64_t first_row = 0;          // kCsv: the index of rows[0] in its input
  std::string warning;         // about the input, from its last chunk (an unclosed array, say)
  std::uint64_t progress = 0;  // raw input bytes consumed when the chunk was cut
  bool mapped = false;         // `data` points into a file mapping
};

struct Outcome {
  std::uint32_t input = 0;
  bool numbered = false;       // `bad` holds line numbers (arrays, CSV), not line indexes
  std::uint64_t newlines = 0;  // lines of the chunk, blank ones included (for numbering)
  std::uint64_t lines = 0, records = 0, matched = 0, malformed = 0, bytes = 0;
  std::vector<std::pair<std::uint64_t, std::string>> bad;  // (line index or line, reason)
  OrderedOutput output;
  std::string warning;
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

// Enough of an input's first bytes to tell its framing (the CSV header line).
constexpr std::size_t kFramingHead = 4096;

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
      const std::uint64_t line = o.numbered ? where : line_base[o.input] + where + 1;
      stats_.malformed_samples.push_back({inputs_[o.input], line, std::move(reason)});
    }
    line_base[o.input] += o.newlines;
    if (!o.warning.empty()) stats_.warnings.push_back(inputs_[o.input] + ": " + o.warning);
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
                 framing_of(*in) == Framing::kLines) {
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

  // Only files read line by line are mapped; arrays and CSV go through the stream path.
  static Framing framing_of(const InputFile& in) {
    char buf[kFramingHead];
    const ssize_t n = pread(in.fd(), buf, sizeof buf, 0);
    return detect_framing(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
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
    bool first = true, eof = false;
    Framing framing = Framing::kLines;
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
        framing = detect_framing(std::string_view(buf->data(), std::min(len, kFramingHead)));
        if (framing == Framing::kCsv) {
          produce_csv(input, *reader, std::string_view(buf->data(), len), eof);
          break;
        }
      }
      std::fill(buf->begin() + static_cast<std::ptrdiff_t>(len), buf->end(), ' ');
      Chunk c;
      c.input = input;
      c.offset = offset;
      c.data = buf->data();
      c.owner = buf;
      c.progress = consumed_before_ + reader->raw_consumed();
      c.framing = framing;
      std::size_t used;
      if (framing == Framing::kJsonArray) {
        used = splitter.split(buf->data(), len, eof, c.elements);
      } else if (eof) {
        used = len;
      } else {
        const char* last = static_cast<const char*>(memrchr(buf->data(), '\n', len));
        used = last ? static_cast<std::size_t>(last - buf->data()) + 1 : 0;
      }
      c.size = used;
      if (framing == Framing::kJsonArray && eof && splitter.opened() && !splitter.closed()) {
        c.warning = "the JSON array is not closed (no ']' at the end): the export may be cut short";
      }
      if (used > 0 || !c.elements.empty() || !c.warning.empty()) {
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

  // The Logs Explorer's CSV: libcsv cuts the rows here, in input order (a quoted field may span
  // lines, so rows cannot be found in parallel); the workers parse the rows' log lines.
  void produce_csv(std::uint32_t input, StreamReader& reader, std::string_view first_block,
                   bool eof) {
    CsvRowReader csv;
    auto rows = std::make_shared<CsvRows>();
    std::uint64_t row_index = 0;
    auto send = [&](bool last) {
      Chunk c;
      c.input = input;
      c.framing = Framing::kCsv;
      c.progress = consumed_before_ + reader.raw_consumed();
      c.first_row = row_index;
      if (last && !csv.problem().empty()) c.warning = csv.problem();
      row_index += rows->size();
      c.size = rows->bytes();
      c.rows = std::move(rows);
      rows = std::make_shared<CsvRows>();
      return push(std::move(c));
    };
    csv.feed(first_block.data(), first_block.size(), *rows);
    std::vector<char> block(options_.chunk_bytes);
    while (!eof) {
      if (rows->bytes() >= options_.chunk_bytes && !send(false)) return;
      const std::size_t got = reader.read(block.data(), block.size());
      if (got == 0) break;
      csv.feed(block.data(), got, *rows);
    }
    csv.finish(*rows);
    send(true);
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
      o.numbered = c.framing != Framing::kLines;
      o.warning = std::move(c.warning);
      o.bytes = c.size;
      o.progress = c.progress;
      auto handle = [&](LineKind kind, std::uint64_t where, std::uint64_t offset) {
        switch (kind) {
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
      if (c.framing == Framing::kJsonArray) {
        for (const auto& e : c.elements) {
          handle(parser.parse(std::string_view(c.data + e.begin, e.size), rec), e.line,
                 c.offset + e.begin);
        }
      } else if (c.framing == Framing::kCsv) {
        // A row's position is its index: byte offsets are not known past libcsv.
        for (std::size_t i = 0; i < c.rows->size(); ++i) {
          handle(parser.parse_row(c.rows->row(i), rec), c.rows->line(i), c.first_row + i);
        }
      } else {
        const char* p = c.data;
        const char* end = c.data + c.size;
        std::uint64_t index = 0;
        while (p < end) {
          const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
          const char* line_end = nl ? nl : end;
          handle(parser.parse(std::string_view(p, line_end - p), rec), index++,
                 c.offset + static_cast<std::uint64_t>(p - c.data));
          p = line_end + 1;
        }
        o.newlines = index;
      }
      sink.take_output(o.output);
      if (c.mapped) release_pages(c.data, c.size);
      c.owner.reset();  // free the input before waiting for the merge
      c.rows.reset();
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
