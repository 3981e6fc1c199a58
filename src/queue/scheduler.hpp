#pragma once
// When to try which message: a pure scheduler, no I/O, no clock of its own
// (every call takes `now`), so that tests drive time by hand.
//
// Per destination (the next-hop domain), not per message:
// * one up/down state shared by all the destination's queued mail. A
//   connection failure marks it down; while down, a single probe (one
//   ordinary delivery attempt) every probe_interval finds out when it is
//   back, instead of one connection per queued message;
// * when the destination answers again, all its mail is due at once,
//   handed out at most `concurrency` at a time;
// * a 4xx reply while the destination is up defers only that message, with
//   exponential backoff retry_min, 2x, 4x ... capped at retry_max;
// * lifetime counts from each message's arrival; policies are looked up on
//   every call, so a changed lifetime applies to mail already queued;
// * one delay warning per message once it has waited delay_warning.
//
// Every call costs O(log n) (amortised) per task handed out, not O(n): a
// backup MX may hold a backlog of a million messages for one destination,
// and due() runs after every finished delivery; flush() and a destination
// coming back up cost O(n log n) once. Each destination keeps its idle
// entries (not in flight) by next attempt and by arrival (lifetime, the
// probe, and the delay warning), in about 80 bytes per entry (backlog.hpp).
// Among entries due at the same time, the one that has waited longest
// (idle for longer; after a flush or a come-back, the oldest arrival)
// goes first.
//
// Ids are any strings; queue ids (15 characters) are stored in place,
// longer ones cost a heap string more. attempts() saturates at 65535.
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "queue/backlog.hpp"

namespace holdfast::queue {

using Time = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

struct SchedulePolicy {
    Seconds lifetime{7 * 86400};
    Seconds retry_min{5 * 60};
    Seconds retry_max{3600};
    Seconds delay_warning{4 * 3600};  // 0 = no warning
    Seconds probe_interval{90};
    std::size_t concurrency = 10;  // deliveries in flight per destination
};

// retry_min * 2^(attempts-1), capped at retry_max (attempts >= 1).
Seconds backoff(const SchedulePolicy& p, unsigned attempts);

enum class TaskKind {
    deliver,  // try this message now
    probe,    // the same, and its outcome tells whether the destination is back
    expire,   // lifetime over: bounce what is still pending (entry already removed)
    warn,     // send the one delay notice (the entry stays scheduled)
};

struct Task {
    TaskKind kind;
    std::string id;
    std::string destination;
    bool operator==(const Task&) const = default;
};

enum class Attempt {
    delivered,    // nothing left for this destination
    failed,       // 5xx: nothing left to try (the courier bounces)
    deferred,     // the destination answered, but a recipient is to be tried later (4xx)
    unreachable,  // no connection, or it broke: the destination is down
};

class Scheduler {
  public:
    explicit Scheduler(SchedulePolicy defaults) : defaults_(defaults) {}

    void set_defaults(SchedulePolicy p) { defaults_ = p; }
    void set_policy(const std::string& destination, SchedulePolicy p);
    const SchedulePolicy& policy(const std::string& destination) const;

    // A message's pending recipients for one destination join the schedule
    // (from the SMTP server, or from the spool on start). `next_attempt`
    // before now means "due now"; `warned` = its delay notice already went;
    // `attempts` = temporary failures so far (the backoff goes on from there
    // after a restart).
    void add(const std::string& id, const std::string& destination, Time arrival,
             Time next_attempt = {}, bool warned = false, unsigned attempts = 0);
    void remove(const std::string& id, const std::string& destination);  // deleted, bounced

    // What to do now; deliver/probe entries are in flight until reported.
    std::vector<Task> due(Time now);
    // The outcome of a deliver or probe task.
    void report(const std::string& id, const std::string& destination, Attempt a, Time now);
    // The earliest time due() may have something new (nullopt: nothing queued).
    std::optional<Time> next_wakeup() const;
    // Try now ("queue flush", ETRN): every entry due, down destinations probed.
    void flush(Time now, const std::string& destination = "");

    // A destination known to be down (kept in the spool across restarts):
    // no attempt before `next_probe`, then one probe, as if it had just failed.
    void mark_down(const std::string& destination, Time next_probe);
    struct Down {
        std::string destination;
        Time next_probe;
        bool operator==(const Down&) const = default;
    };
    std::vector<Down> down() const;  // every destination down now, by name

    // For `queue list` and tests.
    bool is_down(const std::string& destination) const;
    // When the message is next tried for this destination: its own time,
    // or the destination's next probe if that is later.
    std::optional<Time> next_attempt(const std::string& id, const std::string& destination) const;
    std::optional<Time> next_probe(const std::string& destination) const;  // while down
    unsigned attempts(const std::string& id, const std::string& destination) const;
    bool in_flight(const std::string& id, const std::string& destination) const;
    std::size_t size() const;

  private:
    struct Destination {
        Backlog entries;  // its queued messages and their orders
        bool down = false;
        Time next_probe{};
        Backlog::Slot probe = Backlog::none;  // the entry whose attempt is the probe in flight
    };
    using Slot = Backlog::Slot;

    void housekeeping(const std::string& name, Destination& d, Time now, std::vector<Task>& out);
    void hand_out(const std::string& name, Destination& d, Time now, std::vector<Task>& out);
    static void take_off(Destination& d, Slot s, bool probe);       // idle -> in flight
    const Destination* find(const std::string& destination) const;  // nullptr if unknown

    SchedulePolicy defaults_;
    std::map<std::string, SchedulePolicy> policies_;
    std::map<std::string, Destination> destinations_;
};

}  // namespace holdfast::queue
