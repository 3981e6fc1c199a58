#include "app/service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace holdfast::app {

// unset_environment = 0: the variable stays for a reload's later messages.
void notify_ready() {
    sd_notify(0, "READY=1\nSTATUS=accepting mail");
}

void notify_reloading() {
    sd_notify(0, "RELOADING=1");
}

void notify_stopping() {
    sd_notify(0, "STOPPING=1");
}

void notify_status(const char* text) {
    sd_notify(0, ("STATUS=" + std::string(text)).c_str());
}

}  // namespace holdfast::app
