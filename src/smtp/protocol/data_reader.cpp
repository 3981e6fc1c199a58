#include "smtp/protocol/data_reader.hpp"

#include <utility>

namespace holdfast::smtp {

namespace {
// "Received:" (any case, optional white space before the colon) starting a
// header field, not a continuation line.
bool is_received_field(std::string_view line) {
    constexpr std::string_view name = "received";
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != name[i]) return false;
    }
    std::size_t i = name.size();
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i < line.size() && line[i] == ':';
}
}  // namespace

DataReader::DataReader(std::string message, std::size_t max_size, unsigned max_received)
    : message_(std::move(message)), max_size_(max_size), max_received_(max_received) {}

void DataReader::refuse(Problem p) {
    if (problem_ != Problem::none) return;
    problem_ = p;
    message_.clear();  // nothing of it will be kept; do not hold it in memory
}

bool DataReader::add(const LineFramer::Line& line) {
    if (line.too_long) {
        refuse(Problem::line_too_long);
        in_header_ = false;  // what follows cannot be told apart from the body
        return false;
    }
    std::string_view text = line.text;
    if (text == ".") return true;
    if (line.bare_cr_or_lf) refuse(Problem::bad_line_ending);
    if (line.nul) refuse(Problem::nul);
    if (!text.empty() && text.front() == '.') text.remove_prefix(1);
    received_ += text.size() + 2;
    if (received_ > max_size_) {
        refuse(Problem::too_big);
        return false;
    }
    if (in_header_) {
        if (text.empty()) {
            in_header_ = false;
        } else if (is_received_field(text) && ++received_fields_ > max_received_) {
            refuse(Problem::too_many_hops);
        }
    }
    if (problem_ == Problem::none) {
        message_.append(text);
        message_.append("\r\n");
    }
    return false;
}

}  // namespace holdfast::smtp
