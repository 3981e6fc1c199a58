#pragma once
// The Prometheus text exposition format, version 0.0.4, as a pure function
// from families of samples to text:
//   # HELP holdfast_x_total What it counts.
//   # TYPE holdfast_x_total counter
//   holdfast_x_total{verdict="open"} 3
// Label values are escaped (\\, \", \n), HELP text likewise (\\, \n);
// values print as integers when whole, else in the shortest form that
// reads back exactly, and as +Inf, -Inf, NaN.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace holdfast::metrics {

enum class Type { counter, gauge, histogram };
const char* type_name(Type t);

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
    std::string suffix;  // "" or, for histograms, "_bucket" / "_sum" / "_count"
    Labels labels;
    double value = 0;
};

struct Family {
    std::string name;  // [a-zA-Z_:][a-zA-Z0-9_:]*
    std::string help;
    Type type = Type::gauge;
    std::vector<Sample> samples;
};

// The Content-Type an HTTP server sends with render()'s text.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
std::string format_value(double v);

// Every family with its HELP and TYPE lines, samples in the given order.
// A sample whose label name is invalid is left out (names come from our
// code; values may come from anywhere and are escaped).
std::string render(const std::vector<Family>& families);

}  // namespace holdfast::metrics
