#include "queue/destination_sets.hpp"

#include <algorithm>
#include <utility>

namespace holdfast::queue {

std::string DestinationSets::key_of(const std::vector<Recipient>& recipients) {
    std::vector<std::pair<std::string, RecipientKind>> wanted;
    for (const auto& r : recipients) {
        if (r.state == RecipientState::pending)
            wanted.emplace_back(destination_domain(r.address), r.kind);
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::string key;
    for (const auto& [domain, kind] : wanted) {
        key += kind_name(kind);
        key += ' ';
        key += domain;
        key += '\n';  // neither can hold one
    }
    return key;
}

DestinationSets::Id DestinationSets::intern_key(const std::string& key) {
    if (auto it = by_key_.find(key); it != by_key_.end()) {
        ++sets_[it->second].refs;
        return it->second;
    }
    Id id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = static_cast<Id>(sets_.size());
        sets_.emplace_back();
    }
    Set& s = sets_[id];
    s.items.clear();
    // Back from the spelling: "kind domain" lines.
    for (std::size_t at = 0; at < key.size();) {
        const std::size_t space = key.find(' ', at), end = key.find('\n', at);
        const auto kind = parse_kind(std::string_view(key).substr(at, space - at));
        s.items.push_back({hold_domain(key.substr(space + 1, end - space - 1)),
                           kind.value_or(RecipientKind::relay)});
        at = end + 1;
    }
    s.items.shrink_to_fit();
    s.key = key;
    s.refs = 1;
    by_key_.emplace(key, id);
    return id;
}

void DestinationSets::release(Id id) {
    Set& s = sets_[id];
    if (--s.refs > 0) return;
    for (const auto& d : s.items) drop_domain(d.domain);
    by_key_.erase(s.key);
    s.items = {};
    s.key = {};
    free_.push_back(id);
}

std::string_view DestinationSets::hold_domain(const std::string& domain) {
    auto it = domains_.try_emplace(domain, 0).first;
    ++it->second;
    return it->first;
}

void DestinationSets::drop_domain(std::string_view domain) {
    auto it = domains_.find(std::string(domain));
    if (it != domains_.end() && --it->second == 0) domains_.erase(it);
}

}  // namespace holdfast::queue
