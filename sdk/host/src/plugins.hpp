#pragma once
// The plugin folder: every plugin in it loaded, a broken or incompatible one reported without
// failing the others.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowplugin/host.hpp"

namespace flowhost {

struct LoadedPlugin {
  std::filesystem::path file;
  std::unique_ptr<flowplugin::Plugin> plugin;  // null when it failed to load
  std::string problem;                         // why it failed
};

class PluginFolder {
 public:
  // Loads every "*.so" in `folder` (sorted by name). Log lines of the plugins go to `log`.
  PluginFolder(const std::filesystem::path& folder, flowplugin::LogFunction log);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }

  // The factory for connection type `type` ("smtp" -> "connection.smtp/1"), or nothing.
  std::optional<flowplugin::ConnectionFactory> connection_factory(const std::string& type) const;

  // $FLOWHOST_PLUGINS, else the plugins folder of the installed runtime beside this program.
  static std::filesystem::path default_folder();

 private:
  std::vector<LoadedPlugin> plugins_;
};

}  // namespace flowhost
