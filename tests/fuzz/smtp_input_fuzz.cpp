// Any bytes through the line framer (command mode, then data mode, in random
// chunk sizes) and the DATA reader: no crash, bounded memory, and a line
// returned in data mode never contains a bare CR or LF without the flag; a
// refused message (too big, NUL, too many Received: fields, ...) holds no
// bytes, and what the reader buffers is drained as a session does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/protocol/data_reader.hpp"
#include "smtp/protocol/line_framer.hpp"

using holdfast::smtp::DataReader;
using holdfast::smtp::LineFramer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t max_line = 8 + data[0] % 64;
    const std::size_t chunk = 1 + data[1] % 17;
    std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
    LineFramer framer(max_line);
    const unsigned max_received = data[1] % 4;
    DataReader reader("", 512, max_received);
    bool in_data = false;
    for (std::size_t off = 0; off < input.size(); off += chunk) {
        framer.feed(input.substr(off, chunk));
        if (framer.buffered() > max_line + chunk + 1) __builtin_trap();
        while (auto line = framer.next()) {
            if (line->text.size() + (line->bare_lf_ending ? 1 : 2) > max_line) __builtin_trap();
            bool stray = line->text.find_first_of("\r\n") != std::string_view::npos;
            if (stray != line->bare_cr_or_lf) __builtin_trap();
            if (!in_data) {
                if (line->text == "DATA") {
                    in_data = true;
                    framer.set_mode(LineFramer::Mode::data);
                }
            } else {
                bool end = reader.add(*line);
                bool refused = reader.problem() != DataReader::Problem::none;
                if (refused && reader.buffered() != 0) __builtin_trap();
                if (!refused && reader.received_fields() > max_received) __builtin_trap();
                if (reader.buffered() > 256) reader.take();  // drained as a session does
                if (!end) continue;
                in_data = false;
                framer.set_mode(LineFramer::Mode::command);
                std::string msg = reader.take();
                reader = DataReader("", 512, max_received);
            }
        }
    }
    return 0;
}
