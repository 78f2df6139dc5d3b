#include "alert/notifier.h"

#include <fmt/format.h>

#include <chrono>
#include <tuple>

#include "alert/alert_text.h"
#include "store/store.h"

namespace payedge::alert {
namespace {

using ojson = nlohmann::ordered_json;

constexpr int kMaxTries = 4;
constexpr auto kDrainLimit = std::chrono::seconds(5);

std::string severity_of(const std::string& rule) {
  if (rule == "recovered") return "info";
  if (rule == "amount_mismatch_ratio" || rule == "slo_burn_fast" || rule == "toss_5xx_burst" ||
      rule == "webhook_invalid_sig_ratio") {
    return "critical";
  }
  return "warning";
}

}  // namespace

ojson transition_json(const Transition& t) {
  ojson labels = ojson::object(), annotations = ojson::object();
  for (const auto& [k, v] : t.labels) labels[k] = v;
  for (const auto& [k, v] : t.annotations) annotations[k] = v;
  return {{"rule", t.rule},       {"state", t.state}, {"at", format_utc(t.at)},
          {"summary", t.summary}, {"labels", labels}, {"annotations", annotations}};
}

void PrintSink::send(const Transition& t) {
  if (t.repeat || t.state == "pending") return;
  std::string line;
  if (json_) {
    line = transition_json(t).dump() + "\n";
  } else {
    std::string state = t.state;
    for (auto& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line = fmt::format("{}  {:<8}  {:<26}  {}\n", format_utc(t.at), state, t.rule,
                       alert_sentence(t, english_));
  }
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void StoreSink::send(const Transition& t) {
  if (t.repeat) return;
  // One flat object for the postmortem and the dashboard: the values, then the identity.
  ojson labels = ojson::object();
  for (const auto& [k, v] : t.annotations) {
    if (k != "summary") labels[k] = v;
  }
  for (const auto& [k, v] : t.labels) labels[k] = v;
  auto st = store_.record_alert(AlertRow{t.at, t.rule, t.state, t.summary, labels.dump()});
  if (!st)
    std::fprintf(stderr, "alerts: could not record %s: %s\n", t.rule.c_str(),
                 st.error().detail.c_str());
}

Result<std::unique_ptr<HttpSink>> HttpSink::open(Kind kind, const std::string& url,
                                                 int min_interval_ms, int repeat_interval_s,
                                                 std::string ca_file, bool english) {
  auto ep = parse_http_url(url);
  if (!ep) return std::unexpected(ep.error());
  if (ep->tls) {
    if (auto st = check_ca_file(ca_file); !st) return std::unexpected(st.error());
  }
  // A Slack URL is the whole target; Alertmanager's is a base to which the API path is added.
  std::string target = kind == Kind::kSlack ? (ep->prefix.empty() ? "/" : ep->prefix)
                                            : ep->prefix + "/api/v2/alerts";
  return std::unique_ptr<HttpSink>(new HttpSink(kind, *ep, std::move(target), min_interval_ms,
                                                repeat_interval_s, std::move(ca_file), english));
}

HttpSink::HttpSink(Kind kind, HttpEndpoint endpoint, std::string target, int min_interval_ms,
                   int repeat_interval_s, std::string ca_file, bool english)
    : kind_(kind),
      english_(english),
      endpoint_(std::move(endpoint)),
      target_(std::move(target)),
      ca_file_(std::move(ca_file)),
      min_interval_ms_(min_interval_ms),
      repeat_interval_s_(repeat_interval_s),
      thread_([this] { run(); }) {}

HttpSink::~HttpSink() {
  queue_.close();
  thread_.join();
}

void HttpSink::send(const Transition& t) {
  if (t.state == "pending") return;
  // Alertmanager gets alerts only: an action is not one, and `recovered` is a notice that
  // toss_5xx_burst's resolve (already sent) stayed good — nothing there for it to close.
  if (kind_ == Kind::kAlertmanager && (t.state == "action" || t.rule == "recovered")) return;
  queue_.push(t);  // a full queue drops its oldest message (counted in stats().dropped)
}

HttpSink::Stats HttpSink::stats() {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.dropped += queue_.dropped();
  return s;
}

std::string HttpSink::body_for(const Transition& t) const {
  if (kind_ == Kind::kSlack) {
    const char* icon = t.state == "resolved"   ? ":white_check_mark:"
                       : t.state == "action"   ? ":no_entry:"
                       : t.rule == "recovered" ? ":large_green_circle:"
                                               : ":rotating_light:";
    const std::string message = alert_message(t, english_);
    const std::string text = fmt::format("{} {}", icon, message.substr(0, message.find('\n')));
    std::string fields;
    for (const auto& [k, v] : t.labels) fields += fmt::format("\n• {}: {}", k, v);
    ojson block = {
        {"type", "section"},
        {"text",
         {{"type", "mrkdwn"},
          {"text", fmt::format("{} {}{}\n{}", icon, message, fields, format_utc(t.at))}}}};
    return ojson{{"text", text}, {"blocks", ojson::array({block})}}.dump();
  }
  // https://prometheus.io/docs/alerting/latest/clients/: the labels identify an alert (the
  // same set at firing, on reminders and at the resolve, so the resolve closes it); the
  // annotations are replaced by the latest received and carry the figures of the moment.
  ojson labels = {{"alertname", t.rule}, {"severity", severity_of(t.rule)}, {"service", "payedge"}};
  for (const auto& [k, v] : t.labels) {
    if (!v.empty() && v.size() <= 200) labels[k] = v;
  }
  ojson annotations = ojson::object();
  for (const auto& [k, v] : t.annotations) annotations[k] = v;
  annotations["summary"] = t.summary;
  annotations["description"] = alert_sentence(t, english_);
  ojson alert = {{"labels", labels},
                 {"annotations", annotations},
                 {"startsAt", format_utc(t.started != 0 ? t.started : t.at)}};
  // Firing: good until two repeat intervals pass without a reminder; resolved: ended now.
  alert["endsAt"] = t.state == "resolved"
                        ? format_utc(t.at)
                        : format_utc(t.at + 2LL * std::max(repeat_interval_s_, 300) * 1000);
  return ojson::array({alert}).dump();
}

void HttpSink::run() {
  using Clock = std::chrono::steady_clock;
  auto last_sent = Clock::now() - std::chrono::milliseconds(min_interval_ms_);
  std::optional<Clock::time_point> drain_until;
  Transition t;
  while (queue_.take_one(t)) {
    // After close(): deliver what is queued for a few seconds at most, then give up on it.
    if (queue_.closed() && !drain_until) drain_until = Clock::now() + kDrainLimit;
    if (drain_until && Clock::now() > *drain_until) {
      queue_.discard();
      std::lock_guard lock(mu_);
      ++stats_.dropped;  // the one in hand
      return;
    }
    FetchRequest req = FetchRequest::to(endpoint_, {});
    req.target = target_;
    req.ca_file = ca_file_;
    req.method = http::verb::post;
    req.body = body_for(t);
    req.timeout_ms = 3000;
    bool delivered = false;
    int retries = 0;
    for (int attempt = 0; attempt < kMaxTries && !delivered; ++attempt) {
      // Slack allows about one message a second per webhook: keep at least the interval.
      std::this_thread::sleep_until(last_sent + std::chrono::milliseconds(min_interval_ms_));
      last_sent = Clock::now();
      const FetchResult r = fetch_blocking(http_, io_, req);
      if (r.status >= 200 && r.status < 300) {
        delivered = true;
      } else if (r.status != 0 && r.status != 429 && r.status < 500) {
        break;  // the receiver refuses this message: retrying will not help
      } else if (attempt + 1 < kMaxTries) {
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      }
    }
    std::lock_guard lock(mu_);
    stats_.retries += static_cast<std::uint64_t>(retries);
    ++(delivered ? stats_.sent : stats_.failed);
  }
}

std::vector<std::string> add_http_sinks(Notifier& notifier, const AlertsConfig& c) {
  std::vector<std::string> skipped;
  using Kind = HttpSink::Kind;
  for (const auto& [kind, name, url] :
       {std::tuple{Kind::kSlack, "Slack", c.slack_url},
        std::tuple{Kind::kAlertmanager, "Alertmanager", c.alertmanager_url}}) {
    if (url.empty()) continue;
    auto sink = HttpSink::open(kind, url, c.slack_min_interval_ms, c.repeat_interval_s, c.ca_file,
                               english(c.lang));
    if (!sink) {
      skipped.push_back(std::string("alerts: no ") + name + " delivery: " + sink.error().detail);
      continue;
    }
    notifier.add(std::move(*sink));
  }
  return skipped;
}

}  // namespace payedge::alert
