// PII masking of SPEC section 11.
#pragma once

#include <string>
#include <string_view>

namespace payedge {

// First 4 and last 4 characters; shorter keys are masked whole.
std::string mask_payment_key(std::string_view key);

}  // namespace payedge
