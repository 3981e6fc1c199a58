// The scheduler's own memory and speed with a big backlog for one
// destination (issue 15): adds N real queue ids (default 1,000,000),
// marks the destination down, lets its probe succeed, then hands
// everything out with due()/report() at the concurrency limit.
//
// Prints the heap bytes per entry (every allocation counted by the
// operator new below, malloc's chunk header included; the ids' own strings
// are made before the first reading), the peak from then on (adding, coming
// back up, draining), and the seconds for add-all and drain-all. Run it on a
// quiet machine, RelWithDebInfo:
//   build/bench/queue/scheduler_memory [N]
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "mail/queue_id.hpp"
#include "queue/scheduler.hpp"

using namespace holdfast;
using Clock = std::chrono::steady_clock;

namespace {

// What the program holds from malloc, and the most it held
// (from the first reading on).
std::size_t held = 0, peak_held = 0;

void* allocate(std::size_t n) {
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    held += malloc_usable_size(p) + sizeof(void*);  // + the chunk header
    peak_held = std::max(peak_held, held);
    return p;
}

void release(void* p) noexcept {
    if (!p) return;
    held -= malloc_usable_size(p) + sizeof(void*);
    std::free(p);
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

void* operator new(std::size_t n) {
    return allocate(n);
}
void* operator new[](std::size_t n) {
    return allocate(n);
}
void operator delete(void* p) noexcept {
    release(p);
}
void operator delete[](void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    release(p);
}

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const std::string dest = "down.test";
    const queue::Time t0 = std::chrono::system_clock::from_time_t(1'800'000'000);

    std::vector<std::string> ids;
    std::vector<queue::Time> arrivals;
    ids.reserve(n);
    arrivals.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        arrivals.push_back(t0 + std::chrono::microseconds(i * 37));
        ids.push_back(mail::new_queue_id(arrivals.back()));
    }

    queue::SchedulePolicy p;  // the defaults: concurrency 10, probe every 90 s
    queue::Scheduler s(p);
    const std::size_t before = held;
    peak_held = held;
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) s.add(ids[i], dest, arrivals[i]);
    const double add_s = seconds_since(start);
    const std::size_t after_add = held;

    // Down: one probe, which finds the destination back.
    queue::Time now = arrivals.back() + std::chrono::seconds(1);
    s.mark_down(dest, now);
    auto probe = s.due(now);
    if (probe.size() != 1 || probe[0].kind != queue::TaskKind::probe) {
        std::fprintf(stderr, "expected one probe, got %zu tasks\n", probe.size());
        return 1;
    }

    start = Clock::now();
    s.report(probe[0].id, dest, queue::Attempt::delivered, now);
    std::size_t handed = 1, calls = 0;
    for (;;) {
        auto tasks = s.due(now);
        if (tasks.empty()) break;
        for (const auto& t : tasks) {
            s.report(t.id, t.destination, queue::Attempt::delivered, now);
            ++handed;
        }
        ++calls;
    }
    const double drain_s = seconds_since(start);
    if (handed != n || s.size() != 0) {
        std::fprintf(stderr, "handed out %zu of %zu, %zu left\n", handed, n, s.size());
        return 1;
    }

    auto per = [&](std::size_t bytes) { return static_cast<double>(bytes - before) / n; };
    std::printf("entries            %zu (one destination)\n", n);
    std::printf(
        "bytes per entry    %.1f after add-all, %.1f at the peak (adding, back up, draining)\n",
        per(after_add), per(peak_held));
    std::printf("add-all            %.3f s\n", add_s);
    std::printf("drain-all          %.3f s (%zu due() calls)\n", drain_s, calls + 1);
    return 0;
}
