#include "obs/mask.h"

namespace payedge {

std::string mask_payment_key(std::string_view key) {
  if (key.size() <= 8) return std::string(key.size(), '*');
  return std::string(key.substr(0, 4)) + std::string(key.size() - 8, '*') +
         std::string(key.substr(key.size() - 4));
}

}  // namespace payedge
