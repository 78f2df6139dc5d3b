#include "logs/json_masker.h"

#include <simdjson.h>

#include "obs/mask.h"

namespace payedge::logs {
namespace {

using ojson = nlohmann::ordered_json;

ojson convert_element(simdjson::dom::element e, std::string_view key, bool mask) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      ojson o = ojson::object();
      for (auto [k, v] : e.get_object()) o[std::string(k)] = convert_element(v, k, mask);
      return o;
    }
    case simdjson::dom::element_type::ARRAY: {
      ojson a = ojson::array();
      for (auto v : e.get_array()) a.push_back(convert_element(v, key, mask));
      return a;
    }
    case simdjson::dom::element_type::STRING: {
      const std::string_view s = e.get_string().value_unsafe();
      return mask ? ojson(mask_field(key, s)) : ojson(std::string(s));
    }
    case simdjson::dom::element_type::INT64:
      return e.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return e.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return e.get_double().value_unsafe();
    case simdjson::dom::element_type::BOOL:
      return e.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      break;
  }
  return nullptr;
}

}  // namespace

struct JsonMasker::Impl {
  simdjson::dom::parser parser;
};

JsonMasker::JsonMasker() : impl_(std::make_unique<Impl>()) {}
JsonMasker::~JsonMasker() = default;

std::optional<nlohmann::ordered_json> JsonMasker::convert(std::string_view json, bool mask) {
  simdjson::dom::element root;
  if (impl_->parser.parse(json.data(), json.size(), true).get(root)) return std::nullopt;
  return convert_element(root, "", mask);
}

}  // namespace payedge::logs
