#pragma once
// Names the calling thread, so that `top -H`, `ps -L`, perf and gdb tell
// the daemon's threads apart ("hf-spool-write", "hf-remote-read", ...) instead of
// showing "holdfast" for each.
#include <string_view>

namespace holdfast::util {

// Linux keeps 15 characters; a longer name is cut there. Failure only
// costs the name, so it is ignored.
void name_this_thread(std::string_view name);

}  // namespace holdfast::util
