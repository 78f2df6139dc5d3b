#include "obs/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace payedge {
namespace {

// The smallest of 1, 2, 2.5, 5 × 10^k that is >= v.
double nice_ceiling(double v) {
  if (!(v > 0) || !std::isfinite(v)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

std::string number(double v) {
  if (std::fabs(v) >= 100 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 1) return fmt::format("{:.1f}", v);
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string svg_chart(const ChartSpec& spec) {
  const double W = spec.width, H = spec.height;
  const double left = 56, right = 12, top = 30, bottom = 38;
  const std::size_t n = spec.x_labels.size();
  const double y_min = spec.y_min.value_or(0);
  double hi = y_min;
  for (const auto& s : spec.series) {
    for (const auto& v : s.values) {
      if (v && std::isfinite(*v)) hi = std::max(hi, *v);
    }
  }
  for (const auto& t : spec.thresholds) hi = std::max(hi, t.value);
  const double y_max = spec.y_max.value_or(y_min + nice_ceiling((hi - y_min) * 1.05));
  const double span = y_max > y_min ? y_max - y_min : 1;
  const double plot_w = W - left - right, plot_h = H - top - bottom;
  // Points sit in the middle of equal slots, so bars and lines share the x positions.
  const double slot = n ? plot_w / static_cast<double>(n) : plot_w;
  auto x = [&](std::size_t i) { return left + slot * (static_cast<double>(i) + 0.5); };
  auto y = [&](double v) {
    return top + plot_h * (1 - (std::clamp(v, y_min, y_max) - y_min) / span);
  };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"100%\" "
      "role=\"img\" aria-label=\"{}\" font-family=\"system-ui, sans-serif\" "
      "style=\"max-width:{}px;height:auto\">\n<title>{}</title>\n"
      "<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n"
      "<text x=\"{}\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"#1d2330\">{}</text>\n",
      W, H, html_escape(spec.title), W, html_escape(spec.title), W, H, left,
      html_escape(spec.title));
  // Grid and y-axis numbers: 0, half, top.
  for (double g : {0.0, 0.5, 1.0}) {
    const double v = y_min + span * g;
    out += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e4e7ec\"/>\n"
        "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\" "
        "fill=\"#5d6679\">{}{}</text>\n",
        left, W - right, y(v), y(v), left - 6, y(v) + 4, number(v), html_escape(spec.unit));
  }
  // A few x labels: the first, the last, and evenly between (at most 6).
  if (n > 0) {
    const std::size_t ticks = std::min<std::size_t>(n, 6);
    std::size_t prev = n;  // none yet
    for (std::size_t k = 0; k < ticks; ++k) {
      const std::size_t i = ticks == 1 ? 0 : k * (n - 1) / (ticks - 1);
      if (i == prev) continue;
      prev = i;
      const char* anchor = ticks > 1 && k == 0           ? "start"
                           : k + 1 == ticks && ticks > 1 ? "end"
                                                         : "middle";
      const double tx = anchor[0] == 's'   ? x(i) - slot / 2
                        : anchor[0] == 'e' ? x(i) + slot / 2
                                           : x(i);
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"{}\" "
          "fill=\"#5d6679\">{}</text>\n",
          std::clamp(tx, left, W - right), H - bottom + 16, anchor, html_escape(spec.x_labels[i]));
    }
  }
  // Series: bars first, lines over them.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& s : spec.series) {
      if (s.bars != (pass == 0)) continue;
      if (s.bars) {
        out += fmt::format("<g fill=\"{}\" class=\"series\"><title>{}</title>\n",
                           html_escape(s.color), html_escape(s.name));
        for (std::size_t i = 0; i < std::min(n, s.values.size()); ++i) {
          if (!s.values[i]) continue;
          const double top_y = y(*s.values[i]), base = y(y_min);
          out +=
              fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n",
                          x(i) - slot * 0.35, top_y, slot * 0.7, std::max(0.0, base - top_y));
        }
        out += "</g>\n";
        continue;
      }
      std::string d;
      bool pen = false;
      for (std::size_t i = 0; i < std::min(n, s.values.size()); ++i) {
        if (!s.values[i] || !std::isfinite(*s.values[i])) {
          pen = false;
          continue;
        }
        d += fmt::format("{}{:.1f} {:.1f}", pen ? "L" : "M", x(i), y(*s.values[i]));
        pen = true;
      }
      if (d.empty()) continue;
      out += fmt::format(
          "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\"><title>{}</title></path>\n",
          d, html_escape(s.color), html_escape(s.name));
      // A lone point (its neighbours are gaps) is a dot, or it would not show.
      for (std::size_t i = 0; i < std::min(n, s.values.size()); ++i) {
        const bool here = s.values[i].has_value();
        const bool before = i > 0 && s.values[i - 1].has_value();
        const bool after = i + 1 < s.values.size() && s.values[i + 1].has_value();
        if (here && !before && !after) {
          out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n", x(i),
                             y(*s.values[i]), html_escape(s.color));
        }
      }
    }
  }
  for (const auto& t : spec.thresholds) {
    out += fmt::format(
        "<line class=\"threshold\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-dasharray=\"5 4\"/>\n"
        "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
        left, W - right, y(t.value), y(t.value), html_escape(t.color), W - right, y(t.value) - 4,
        html_escape(t.color), html_escape(t.label));
  }
  // Legend under the axis labels.
  double lx = left;
  for (const auto& s : spec.series) {
    out += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{}\" width=\"12\" height=\"4\" fill=\"{}\"/>"
        "<text x=\"{:.0f}\" y=\"{}\" font-size=\"11\" fill=\"#1d2330\">{}</text>\n",
        lx, H - 9, html_escape(s.color), lx + 16, H - 4, html_escape(s.name));
    lx += 28 + 6.5 * static_cast<double>(s.name.size());
  }
  out += "</svg>\n";
  return out;
}

}  // namespace payedge
