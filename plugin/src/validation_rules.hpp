#pragma once
// The rules that relate properties to each other (required per section, TLS and ports,
// credentials in clear, MD5, unused TLS settings). Internal to validation.cpp.

#include <bitset>
#include <initializer_list>
#include <vector>

#include "properties.hpp"
#include "settings.hpp"
#include "validation.hpp"

namespace smtpplugin::detail {

// A property set after the per-property checks: a rule uses a property only when it is absent
// (its default applies) or valid; a reported value is not judged twice.
struct Checked {
  Settings settings;
  std::bitset<property_count> invalid;

  bool usable(std::initializer_list<Id> ids) const {
    for (const Id id : ids) {
      if (invalid.test(static_cast<std::size_t>(id))) return false;
    }
    return true;
  }
};

void check_rules(const Checked& checked, std::vector<Problem>& problems);

}  // namespace smtpplugin::detail
