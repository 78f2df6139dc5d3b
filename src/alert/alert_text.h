// The words of an alert for people (Slack, the terminal): Korean by default, as the runbook is,
// English with `[alerts] lang = "en"` or `--lang en`. Built from the transition's annotations,
// so the numbers are the engine's; the JSON and Alertmanager keep the engine's summary.
#pragma once

#include <string>

#include "alert/engine.h"

namespace payedge::alert {

// "ko" unless `lang` starts with "en" (an `[alerts] lang` value, `--lang`, or `LANG`).
bool english(std::string_view lang);

// One sentence: what happened, with the figures (the burst's size, ratios, users).
std::string alert_sentence(const Transition& t, bool english);

// The Slack message: state, rule, the sentence, then the runbook section and the next command.
std::string alert_message(const Transition& t, bool english);

}  // namespace payedge::alert
