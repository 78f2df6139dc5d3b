#include "slo/slo_class.h"

#include "core/error.h"

namespace payedge::slo {

SloClass classify_confirm(bool success, int http_status, std::string_view code) {
  if (success) return SloClass::kGood;
  if (http_status >= 500 || code == info(ErrorCode::kTossApiError).name ||
      code == info(ErrorCode::kInternal).name || code == info(ErrorCode::kPaymentsDisabled).name) {
    return SloClass::kBad;
  }
  return SloClass::kExcluded;
}

}  // namespace payedge::slo
