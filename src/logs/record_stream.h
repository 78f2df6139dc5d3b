// One input read in order, record by record, through the scanner's framing (lines, a JSON
// array, the Logs Explorer's CSV) and parser: for readers that must see the records one at a
// time in input order, as `payedge watch` feeds the alert engine. Bytes may come in any pieces
// (a followed file, a pipe).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "logs/record.h"
#include "logs/record_parser.h"

namespace payedge::logs {

class RecordStream {
 public:
  // Called for every non-blank line, element or row: kRecord with the record, or kMalformed
  // (error() says why).
  using Callback = std::function<void(LineKind, const LogRecord&)>;

  explicit RecordStream(FieldSet wanted);
  ~RecordStream();
  RecordStream(const RecordStream&) = delete;
  RecordStream& operator=(const RecordStream&) = delete;

  void feed(std::string_view bytes, const Callback& cb);
  // The input ended: what is left (a last line without its newline) is read.
  void finish(const Callback& cb);
  // A new input starts (a followed file was rotated): its framing is found anew.
  void reset();

  const std::string& error() const { return parser_.error(); }
  // About the inputs read so far: a JSON array not closed, a CSV cut inside quotes.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void drain(bool eof, const Callback& cb);

  struct State;
  RecordParser parser_;
  std::unique_ptr<State> state_;
  std::vector<std::string> warnings_;
};

}  // namespace payedge::logs
