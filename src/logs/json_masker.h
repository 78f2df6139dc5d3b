// SPEC section 11 masking of a whole log object for `logs export --mask` and `logs sample`:
// every string value, at any depth, goes through mask_field with its key.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace payedge::logs {

class JsonMasker {
 public:
  JsonMasker();
  ~JsonMasker();
  JsonMasker(const JsonMasker&) = delete;
  JsonMasker& operator=(const JsonMasker&) = delete;

  // The object with keys in their original order; `mask` false copies the strings as they are.
  // nullopt when `json` is not valid JSON (the scanner has already checked the log fields).
  std::optional<nlohmann::ordered_json> convert(std::string_view json, bool mask);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payedge::logs
