#pragma once
// The C property list (schemas/smtp_properties.h) generated from the property table: property
// names, their values and defaults as macros, and an X-macro list of every property.

#include <string>

namespace smtpplugin {

std::string property_header();

}  // namespace smtpplugin
