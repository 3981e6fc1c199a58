#include "smtp/protocol/data_reader.hpp"

namespace holdfast::smtp {

DataReader::DataReader(std::string message, std::size_t max_size)
    : message_(std::move(message)), max_size_(max_size) {}

bool DataReader::add(const LineFramer::Line& line) {
    if (line.too_long) {
        if (problem_ == Problem::none) problem_ = Problem::line_too_long;
        return false;
    }
    std::string_view text = line.text;
    if (text == ".") return true;
    if (line.bare_cr_or_lf && problem_ == Problem::none) problem_ = Problem::bad_line_ending;
    if (!text.empty() && text.front() == '.') text.remove_prefix(1);
    received_ += text.size() + 2;
    if (received_ > max_size_) {
        if (problem_ == Problem::none) problem_ = Problem::too_big;
        message_.clear();  // nothing of it will be kept; do not hold it in memory
        return false;
    }
    if (problem_ == Problem::none) {
        message_.append(text);
        message_.append("\r\n");
    }
    return false;
}

}  // namespace holdfast::smtp
