#pragma once
// Tells systemd (Type=notify) where the daemon is in its life: ready once the
// listeners accept, reloading, stopping. Outside systemd ($NOTIFY_SOCKET
// unset) every call does nothing.

namespace holdfast::app {

void notify_ready();
void notify_reloading();
void notify_stopping();
void notify_status(const char* text);

}  // namespace holdfast::app
