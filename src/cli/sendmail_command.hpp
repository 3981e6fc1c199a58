#pragma once
// `holdfast sendmail ...` and `sendmail ...` (argv[0] "sendmail", through a
// symlink; "mailq" runs -bp): parsed apart from CLI11, since Postfix's
// flag syntax (-oi, -fADDR, -t after recipients' flags) is not CLI11's.
#include <string>
#include <vector>

namespace holdfast::cli {

// Exit codes (sysexits.h): 0 queued, 64 usage, 65 refused (bad address,
// unknown local user, too large), 75 daemon unreachable or a temporary
// failure: try again later.
int run_sendmail(const std::vector<std::string>& args);

}  // namespace holdfast::cli
