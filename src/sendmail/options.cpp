#include "sendmail/options.hpp"

#include <string_view>

namespace holdfast::sendmail {

namespace {

// Flags that take a value (attached, "-fADDR", or the next argument),
// as in Postfix's getopt string "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx".
bool takes_value(char f) {
    switch (f) {
        case 'A':
        case 'B':
        case 'C':
        case 'F':
        case 'L':
        case 'N':
        case 'O':
        case 'R':
        case 'V':
        case 'X':
        case 'b':
        case 'e':
        case 'f':
        case 'h':
        case 'o':
        case 'p':
        case 'r':
        case 'c':
            return true;
        default:
            return false;
    }
}

// Flags without a value that Postfix accepts and ignores (-G, -U, -m, -n,
// -v, -x); -q (queue run) is accepted and does nothing here: the daemon
// runs its queue itself.
bool ignored_flag(char f) {
    return f == 'G' || f == 'U' || f == 'm' || f == 'n' || f == 'v' || f == 'x' || f == 'q';
}

std::string apply(Options& o, char flag, const std::string& value) {
    switch (flag) {
        case 'F':
            o.full_name = value;
            return "";
        case 'f':
        case 'r':  // obsolete synonym of -f
            o.sender_set = true;
            o.sender = value == "<>" ? "" : value;
            if (o.sender.size() > 2 && o.sender.front() == '<' && o.sender.back() == '>') {
                o.sender = o.sender.substr(1, o.sender.size() - 2);
            }
            return "";
        case 'c':
            o.config = value;
            return "";
        case 'b':
            if (value == "m") {
                o.mode = Mode::deliver;
            } else if (value == "s") {
                o.mode = Mode::smtp;
            } else if (value == "p") {
                o.mode = Mode::print_queue;
            } else {
                // -bd (daemon), -bi (newaliases), -bv (verify), -bh ...: not
                // what this command does.
                return "-b" + value + " is not supported (only -bm, -bs, -bp)";
            }
            return "";
        case 'o':
            // -oi: like -i. Everything else (-oem, -odb, -odi, -oQ..., -om,
            // -oA...) is ignored, as Postfix ignores it.
            if (value == "i") {
                o.dot_ends = false;
            } else {
                o.ignored.push_back("-o" + value);
            }
            return "";
        default:
            // -A -B -C -L -N -O -R -V -X -e -h -p: accepted, ignored.
            o.ignored.push_back(std::string("-") + flag + value);
            return "";
    }
}

}  // namespace

ParseResult parse_options(const std::vector<std::string>& args) {
    ParseResult r;
    Options& o = r.options;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a.size() < 2 || a[0] != '-') break;  // the first recipient
        for (std::size_t j = 1; j < a.size(); ++j) {
            char f = a[j];
            if (f == 't') {
                o.extract = true;
            } else if (f == 'i') {
                o.dot_ends = false;
            } else if (f == 'I') {
                r.error = "-I (newaliases) is not supported";
                return r;
            } else if (ignored_flag(f)) {
                o.ignored.push_back(std::string("-") + f);
            } else if (takes_value(f)) {
                std::string value;
                if (j + 1 < a.size()) {
                    value = a.substr(j + 1);
                } else if (i + 1 < args.size()) {
                    value = args[++i];
                } else {
                    r.error = std::string("option -") + f + " needs a value";
                    return r;
                }
                if (auto e = apply(o, f, value); !e.empty()) {
                    r.error = e;
                    return r;
                }
                break;  // the rest of this argument was the value
            } else {
                r.error = std::string("unknown option -") + f;
                return r;
            }
        }
    }
    for (; i < args.size(); ++i) {
        if (args[i].empty()) continue;
        o.recipients.push_back(args[i]);
    }
    if (o.mode == Mode::deliver && !o.extract && o.recipients.empty()) {
        r.error = "no recipients given (name them, or use -t)";
    }
    return r;
}

}  // namespace holdfast::sendmail
