#include "plugins.hpp"

#include <algorithm>
#include <cstdlib>

namespace flowhost {

PluginFolder::PluginFolder(const std::filesystem::path& folder, flowplugin::LogFunction log) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path());
  }
  if (ec) {
    plugins_.push_back({folder, nullptr, "the plugin folder cannot be read: " + ec.message()});
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    LoadedPlugin loaded{file, nullptr, {}};
    try {
      flowplugin::HostOptions options;
      options.host_name = "flowhost 0.1.0";
      options.log = log;
      loaded.plugin = std::make_unique<flowplugin::Plugin>(file, std::move(options));
    } catch (const std::exception& e) {
      loaded.problem = e.what();
    }
    plugins_.push_back(std::move(loaded));
  }
}

std::optional<flowplugin::ConnectionFactory> PluginFolder::connection_factory(
    const std::string& type) const {
  const std::string id = "connection." + type + "/1";
  for (const auto& loaded : plugins_) {
    if (!loaded.plugin) continue;
    if (loaded.plugin->factory(id) != nullptr) return loaded.plugin->connection_factory(id);
  }
  return std::nullopt;
}

std::filesystem::path PluginFolder::default_folder() {
  if (const char* env = std::getenv("FLOWHOST_PLUGINS"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  // <prefix>/bin/flowhost -> <prefix>/lib/flowhost/plugins
  return self.parent_path().parent_path() / "lib" / "flowhost" / "plugins";
}

}  // namespace flowhost
