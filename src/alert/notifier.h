// Where alert transitions go: printed (SPEC 8.1's JSON lines, or a line for people), the
// `alerts` table, Slack's incoming webhook and Alertmanager's v2 API. The HTTP senders run on
// their own thread with a bounded queue, so a slow receiver never holds up the engine.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "alert/engine.h"
#include "core/work_queue.h"
#include "net/client.h"

namespace payedge {
class Store;
}

namespace payedge::alert {

// SPEC 8.1: {"rule","state","at","summary","labels"}, plus "annotations".
nlohmann::ordered_json transition_json(const Transition& t);

class TransitionSink {
 public:
  virtual ~TransitionSink() = default;
  virtual void send(const Transition& t) = 0;
};

// Changes and actions (not reminders, not pending) to a FILE: JSON lines or one text line each
// (Korean unless `english`).
class PrintSink final : public TransitionSink {
 public:
  PrintSink(std::FILE* out, bool json, bool english = false)
      : out_(out), json_(json), english_(english) {}
  void send(const Transition& t) override;

 private:
  std::FILE* out_;
  bool json_;
  bool english_;
};

// Every change and action into `alerts` (reminders are not changes).
class StoreSink final : public TransitionSink {
 public:
  explicit StoreSink(Store& store) : store_(store) {}
  void send(const Transition& t) override;

 private:
  Store& store_;
};

// Slack's incoming webhook ({"text","blocks"}) or Alertmanager's POST /api/v2/alerts, from a
// sender thread: at most one message per `min_interval_ms`, retries on 429 and 5xx (bounded),
// a bounded queue (the oldest dropped, and counted, when it overflows).
class HttpSink final : public TransitionSink {
 public:
  enum class Kind { kSlack, kAlertmanager };
  // `ca_file`: PEM CAs to trust for an https:// URL instead of the system store ("").
  static Result<std::unique_ptr<HttpSink>> open(Kind kind, const std::string& url,
                                                int min_interval_ms, int repeat_interval_s,
                                                std::string ca_file = {}, bool english = false);
  ~HttpSink() override;  // delivers what is queued (up to a few seconds), then stops
  void send(const Transition& t) override;

  struct Stats {
    std::uint64_t sent = 0, failed = 0, dropped = 0, retries = 0;
  };
  Stats stats();

 private:
  HttpSink(Kind kind, HttpEndpoint endpoint, std::string target, int min_interval_ms,
           int repeat_interval_s, std::string ca_file, bool english);
  void run();
  std::string body_for(const Transition& t) const;

  Kind kind_;
  bool english_;  // Slack's words; Korean by default ([alerts] lang)
  HttpEndpoint endpoint_;
  std::string target_;
  std::string ca_file_;
  int min_interval_ms_;
  int repeat_interval_s_;
  static constexpr std::size_t kQueueLimit = 1000;
  WorkQueue<Transition> queue_{kQueueLimit, WorkQueue<Transition>::Overflow::kDropOldest};
  std::mutex mu_;  // stats_
  Stats stats_;
  // The sender thread's own loop and kept-alive connections (Slack: one TLS handshake, not one
  // per message).
  asio::io_context io_;
  HttpClient http_;
  std::thread thread_;
};

class Notifier;

// Adds the Slack and Alertmanager sinks the config names. One that cannot be used (not a URL,
// plain http:// to another machine, an unreadable [alerts] ca_file) is left out and its reason
// returned — never the URL, which for Slack is a secret.
std::vector<std::string> add_http_sinks(Notifier& notifier, const AlertsConfig& config);

// All sinks at once.
class Notifier {
 public:
  void add(std::unique_ptr<TransitionSink> sink) { sinks_.push_back(std::move(sink)); }
  void send(const std::vector<Transition>& ts) {
    for (const auto& t : ts) {
      for (auto& s : sinks_) s->send(t);
    }
  }

 private:
  std::vector<std::unique_ptr<TransitionSink>> sinks_;
};

}  // namespace payedge::alert
