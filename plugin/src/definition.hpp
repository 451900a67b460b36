#pragma once
// A property set turned into the session core's options: validated in full first, defaults
// from the table, secret references resolved through the host.

#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/options.hpp"
#include "validation.hpp"

namespace smtpplugin {

struct Definition {
  std::string name;
  bool dynamic = false;  // a DynamicConnection may replace it
  smtp::SessionOptions session;
};

// Resolves "env:NAME" / "file:PATH"; on failure returns std::nullopt and says why in `error`
// (which must not contain the secret).
using SecretResolver =
    std::function<std::optional<std::string>(std::string_view reference, std::string& error)>;

// Appends every problem (notes and warnings too). Returns std::nullopt when any is an error,
// including a secret that could not be resolved.
std::optional<Definition> make_definition(const boost::json::object& properties,
                                          const SecretResolver& resolve,
                                          std::vector<Problem>& problems);
std::optional<Definition> make_definition(std::string_view properties_json,
                                          const SecretResolver& resolve,
                                          std::vector<Problem>& problems);

}  // namespace smtpplugin
