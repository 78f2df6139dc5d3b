// Small line and bar charts as self-contained SVG (no script, no external asset, no font
// download): the charts of `slo report --format html` (inline) and of `incident new` (files
// beside the postmortem). The dashboard draws its own in the page from the same kind of data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace payedge {

// Text for HTML or SVG: & < > " ' as entities.
std::string html_escape(std::string_view s);

struct ChartSeries {
  std::string name;
  std::string color;                          // CSS colour, e.g. "#1d4ed8"
  std::vector<std::optional<double>> values;  // one per x label; nullopt: a gap
  bool bars = false;                          // bars instead of a line
};

struct ChartThreshold {
  double value = 0;
  std::string label;  // e.g. "target 1500 ms"
  std::string color = "#b42318";
};

struct ChartSpec {
  std::string title;                  // the <title>, the aria-label and the heading line
  std::vector<std::string> x_labels;  // one per point; a few are printed under the axis
  std::vector<ChartSeries> series;
  std::vector<ChartThreshold> thresholds;
  std::string unit;             // printed after the y-axis numbers: " ms", "%"
  std::optional<double> y_min;  // default 0
  std::optional<double> y_max;  // default: a round number above every value/threshold
  int width = 640, height = 220;
};

// One <svg> element with xmlns, a viewBox and a width of 100% (readable on a phone, sharp in
// print); values, labels and the title are XML-escaped.
std::string svg_chart(const ChartSpec& spec);

}  // namespace payedge
