// /metrics: the process's counters plus the store's state read at scrape time on the store
// pool (the switches, the catalogue, open attempts, pending deposits).
#pragma once

#include "net/asio.h"
#include "obs/line_metrics.h"
#include "obs/metrics.h"
#include "store/store.h"

namespace payedge {

// Reads the gauges (and refreshes the course label set of `lines`); runs on the store pool.
StoreGauges read_store_gauges(Store& store, LineMetrics& lines);

// The whole /metrics body.
awaitable<std::string> scrape_metrics(asio::thread_pool& pool, Store& store, Metrics& metrics);

}  // namespace payedge
