// Virtual accounts after the confirm (SPEC 6): what Toss's record of a WAITING_FOR_DEPOSIT
// payment means for ours. The deposit → payment DONE and enrollment ACTIVE; expiry or a cancel
// before it → EXPIRED/CANCELED, enrollment CANCELLED, coupon redemption released. One store
// transaction each, audited with the road it came by (webhook or reconcile). Shared by the
// webhook processor and the reconciler.
#pragma once

#include <string>

#include "net/asio.h"
#include "store/store.h"
#include "toss/toss_payment.h"

namespace payedge {

enum class DepositChange {
  kSettled,  // the money came: DONE + ACTIVE
  kClosed,   // it never will: EXPIRED/CANCELED + CANCELLED, coupon released
  kWaiting,  // Toss still waits for it
  kNone,     // nothing of ours to change (not waiting any more, or another status)
};
std::string_view to_string(DepositChange c);

// `ours` is WAITING_FOR_DEPOSIT; `toss` is Toss's record of it, already checked to be the same
// payment (order and amount). `source` is "webhook" or "reconcile".
awaitable<Result<DepositChange>> apply_deposit_state(asio::thread_pool& pool, Store& store,
                                                     const Payment& ours, const TossPayment& toss,
                                                     const std::string& actor,
                                                     const std::string& source, EpochMs now);

}  // namespace payedge
