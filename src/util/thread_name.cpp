#include "util/thread_name.hpp"

#include <pthread.h>

#include <string>

namespace holdfast::util {

void name_this_thread(std::string_view name) {
    std::string cut(name.substr(0, 15));
    ::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace holdfast::util
