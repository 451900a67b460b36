// Compiled as C++ with warnings as errors: plugin.h first and alone (it must be
// self-contained), then the C++ wrapper and the loader.
#include "flowplugin/plugin.h"

#include <cstddef>
#include <type_traits>

#include "flowplugin/host.hpp"
#include "flowplugin/plugin.hpp"

// The same layout as in C (plugin_h_check.c), and plain C types for the wrapper's memcpy.
static_assert(offsetof(fp_plugin_entry, struct_size) == 0);
static_assert(std::is_standard_layout_v<fp_connection_factory>);
static_assert(std::is_trivially_copyable_v<fp_connection_factory>);
static_assert(std::is_trivially_copyable_v<fp_plugin_entry>);
static_assert(std::is_trivially_copyable_v<fp_host>);

std::size_t flowplugin_cpp_check();
std::size_t flowplugin_cpp_check() {
  const auto entry = flowplugin::sized<fp_plugin_entry>();
  return flowplugin::has_field(&entry, &fp_plugin_entry::get_factory) ? sizeof entry : 0;
}
