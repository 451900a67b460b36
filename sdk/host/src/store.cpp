#include "store.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "yaml_json.hpp"

namespace flowhost {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t max_name_length = 64;
constexpr std::size_t max_file_size = 1 << 20;  // a connection is a few hundred bytes
constexpr std::string_view file_suffix = ".yaml";
constexpr std::string_view masked = "********";

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A name for messages: quoted, control characters and non-ASCII bytes escaped, cut short.
std::string quoted(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  const std::size_t shown = std::min<std::size_t>(text.size(), 80);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += static_cast<char>(byte);
    }
  }
  out += '"';
  if (text.size() > shown) out += "...";
  return out;
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Creates a directory 0700 if it is absent; an existing one (or a symbolic link to one) is
// accepted as it is.
void make_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) throw_errno("cannot set the mode of " + dir.string());
    return;
  }
  if (errno != EEXIST) throw_errno("cannot create " + dir.string());
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  }
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + dir.string());
  const int result = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (result != 0) throw_errno("cannot sync " + dir.string());
}

bool is_under(const fs::path& path, const fs::path& base) {
  auto [base_end, path_it] = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  // weakly_canonical of a directory may end in an empty element ("dir/"): ignore it.
  return base_end == base.end() || (std::next(base_end) == base.end() && base_end->empty());
}

struct FileContent {
  std::string text;
  mode_t mode = 0;
};

// Reads a connection file, refusing a symbolic link, anything but a regular file and a file
// too large to be a connection. nullopt if it does not exist.
std::optional<FileContent> read_connection_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) {
      throw std::runtime_error(file.string() +
                               ": is a symbolic link; connection files must be "
                               "regular files");
    }
    throw_errno("cannot read " + file.string());
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw_errno("cannot read " + file.string());
  if (!S_ISREG(info.st_mode)) throw std::runtime_error(file.string() + ": is not a regular file");
  if (static_cast<std::size_t>(info.st_size) > max_file_size) {
    throw std::runtime_error(file.string() + ": is too large for a connection (" +
                             std::to_string(info.st_size) + " bytes)");
  }
  FileContent content;
  content.mode = info.st_mode;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read " + file.string());
    }
    if (got == 0) break;
    content.text.append(buffer, static_cast<std::size_t>(got));
    if (content.text.size() > max_file_size) {
      throw std::runtime_error(file.string() + ": is too large for a connection");
    }
  }
  return content;
}

// A connection file's content, or std::runtime_error naming the file.
void parse_connection(const FileContent& content, StoredConnection& connection) {
  const std::string file = connection.file.string();
  YAML::Node loaded;
  try {
    loaded = load_one_document(content.text);
  } catch (const YAML::Exception& e) {
    std::string where = file;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw std::runtime_error(where + ": malformed YAML: " + e.msg);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
  const YAML::Node& document = loaded;  // const: a lookup never adds a key
  if (!document.IsMap()) {
    throw std::runtime_error(file +
                             ": not a connection (expected a mapping with type, name "
                             "and properties)");
  }
  const YAML::Node type = document["type"];
  if (!type || !type.IsScalar() || !is_valid_name(type.Scalar())) {
    throw std::runtime_error(file + ": `type` is missing or not a connection type (smtp)");
  }
  connection.type = type.Scalar();

  const YAML::Node name = document["name"];
  if (name && (!name.IsScalar() || name.Scalar() != connection.name)) {
    connection.warnings.push_back(
        "the file says `name: " + (name.IsScalar() ? name.Scalar() : std::string("...")) +
        "`; the file name (" + connection.name + ") is the name");
  }

  const YAML::Node properties = document["properties"];
  if (!properties || properties.IsNull()) {
    connection.properties_json = "{}";
  } else if (!properties.IsMap()) {
    throw std::runtime_error(file + ": `properties` is not a mapping");
  } else {
    try {
      connection.properties_json = json::serialize(yaml_to_json_value(properties, "properties"));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(file + ": " + e.what());
    }
  }

  for (const auto& entry : document) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    if (key != "type" && key != "name" && key != "properties") {
      connection.warnings.push_back("unknown key `" + key + "` ignored");
    }
  }
  if ((content.mode & 077) != 0) {
    connection.warnings.push_back("file mode " + mode_text(content.mode) +
                                  " is looser than 0600 (chmod 600 " + file + ")");
  }
}

std::string connection_yaml(const StoredConnection& connection, const json::value& properties) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value;
  emit_json(out, json::value(connection.type), "type");
  out << YAML::Key << "name" << YAML::Value;
  emit_json(out, json::value(connection.name), "name");
  out << YAML::Key << "properties" << YAML::Value;
  emit_json(out, properties, "properties");
  out << YAML::EndMap;
  if (!out.good()) throw std::invalid_argument("cannot write YAML: " + out.GetLastError());
  std::string text = "# written by flowhost\n";
  text += out.c_str();
  text += '\n';

  // The file must read back as what was put, whatever the strings hold.
  const YAML::Node back = YAML::Load(text);
  if (yaml_to_json_value(back["properties"], "properties") != properties) {
    throw std::logic_error("connection " + connection.name +
                           ": the YAML written does not read back as the same properties");
  }
  return text;
}

}  // namespace

// --- names and scopes --------------------------------------------------------------------------

std::string_view scope_name(Scope scope) { return scope == Scope::system ? "system" : "user"; }

std::optional<Scope> parse_scope(std::string_view text) {
  if (text == "system") return Scope::system;
  if (text == "user") return Scope::user;
  return std::nullopt;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_length || !is_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), is_name_char);
}

void check_name(std::string_view what, std::string_view name) {
  if (is_valid_name(name)) return;
  std::string why;
  if (name.empty()) {
    why = "it is empty";
  } else if (name.size() > max_name_length) {
    why = "it has " + std::to_string(name.size()) + " characters";
  } else if (name.find('\0') != std::string_view::npos) {
    why = "it holds a NUL character";
  } else if (name.find('/') != std::string_view::npos) {
    why = "it holds a '/'";
  } else if (!is_alnum(name.front())) {
    why = "it starts with '" + std::string(1, name.front()) + "'";
  } else {
    why = "it holds a character that is not allowed";
  }
  throw std::invalid_argument("invalid " + std::string(what) + " " + quoted(name) + ": " + why +
                              " (use 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                              "letter or a digit)");
}

// --- the store ---------------------------------------------------------------------------------

ConnectionStore::ConnectionStore(fs::path data_dir) : data_dir_(fs::absolute(data_dir)) {}

fs::path ConnectionStore::default_data_dir() {
  if (const char* data = std::getenv("FLOWHOST_DATA"); data != nullptr && *data != '\0') {
    return data;
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "flowhost";  // the XDG spec ignores a relative path
  }
  fs::path home;
  if (const char* env_home = std::getenv("HOME"); env_home != nullptr && *env_home != '\0') {
    home = env_home;
  } else if (const passwd* entry = ::getpwuid(::getuid());
             entry != nullptr && entry->pw_dir != nullptr) {
    home = entry->pw_dir;
  } else {
    throw std::runtime_error("no data directory: set FLOWHOST_DATA or HOME, or use --data DIR");
  }
  return home / ".local" / "share" / "flowhost";
}

fs::path ConnectionStore::root() const { return data_dir_ / "connections"; }

fs::path ConnectionStore::file_of(Scope scope, const std::string& user,
                                  const std::string& name) const {
  check_name("connection name", name);
  const std::string file_name = name + std::string(file_suffix);
  if (scope == Scope::system) return root() / "system" / file_name;
  if (user.empty()) throw std::invalid_argument("a user connection needs a user name");
  check_name("user name", user);
  return root() / "users" / user / file_name;
}

void ConnectionStore::check_inside(const fs::path& path) const {
  const fs::path base = fs::weakly_canonical(root());
  const fs::path resolved = fs::weakly_canonical(path);
  if (resolved == base || !is_under(resolved, base)) {
    throw std::runtime_error(path.string() + " leads to " + resolved.string() +
                             ", outside the connection store " + base.string() +
                             " (a symbolic link?): refused");
  }
}

fs::path ConnectionStore::put(const StoredConnection& connection) {
  const fs::path file = file_of(connection.scope, connection.user, connection.name);
  check_name("connection type", connection.type);

  std::error_code error;
  json::value properties = json::parse(connection.properties_json, error);
  if (error) {
    throw std::invalid_argument("the properties of " + connection.name +
                                " are not valid JSON: " + error.message());
  }
  if (!properties.is_object()) {
    throw std::invalid_argument("the properties of " + connection.name + " are not a JSON object");
  }
  const std::string text = connection_yaml(connection, properties);

  if (!data_dir_.parent_path().empty()) fs::create_directories(data_dir_.parent_path());
  make_private_dir(data_dir_);
  make_private_dir(root());
  if (connection.scope == Scope::system) {
    make_private_dir(root() / "system");
  } else {
    make_private_dir(root() / "users");
    make_private_dir(root() / "users" / connection.user);
  }
  check_inside(file.parent_path() / ".");
  check_inside(file);
  write_file_atomically(file, text, 0600);
  return file;
}

std::optional<StoredConnection> ConnectionStore::get(Scope scope, const std::string& user,
                                                     const std::string& name) const {
  StoredConnection connection;
  connection.file = file_of(scope, user, name);
  connection.name = name;
  connection.scope = scope;
  if (scope == Scope::user) connection.user = user;
  check_inside(connection.file);
  const std::optional<FileContent> content = read_connection_file(connection.file);
  if (!content) return std::nullopt;
  parse_connection(*content, connection);
  return connection;
}

std::optional<StoredConnection> ConnectionStore::resolve(const std::string& name,
                                                         const std::string& user) const {
  if (!user.empty()) {
    if (auto own = get(Scope::user, user, name)) return own;
  }
  return get(Scope::system, {}, name);
}

std::vector<StoredConnection> ConnectionStore::scan(Scope scope, const std::string& user) const {
  const fs::path dir = scope == Scope::system ? root() / "system" : root() / "users" / user;
  std::vector<StoredConnection> found;
  std::error_code error;
  if (!fs::exists(dir, error)) return found;
  check_inside(dir / ".");
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string file_name = it->path().filename().string();
    if (!file_name.ends_with(file_suffix)) continue;
    const std::string name = file_name.substr(0, file_name.size() - file_suffix.size());
    if (!is_valid_name(name)) continue;  // temporary files (".x.yaml.tmp-..."), strays
    StoredConnection connection;
    connection.name = name;
    connection.scope = scope;
    if (scope == Scope::user) connection.user = user;
    connection.file = it->path();
    try {
      const std::optional<FileContent> content = read_connection_file(connection.file);
      if (!content) continue;  // removed while we looked
      parse_connection(*content, connection);
    } catch (const std::exception& e) {
      connection.type.clear();
      connection.properties_json.clear();
      connection.error = e.what();
    }
    found.push_back(std::move(connection));
  }
  if (error) throw std::system_error(error, "cannot list " + dir.string());
  return found;
}

std::vector<StoredConnection> ConnectionStore::list(std::optional<Scope> scope,
                                                    const std::string& user) const {
  if (!user.empty()) check_name("user name", user);
  if (scope == Scope::user && user.empty()) {
    throw std::invalid_argument("listing user connections needs a user name");
  }
  std::vector<StoredConnection> system = scan(Scope::system, {});
  std::vector<StoredConnection> own;
  if (!user.empty()) own = scan(Scope::user, user);

  std::set<std::string> own_names;
  for (const auto& connection : own) own_names.insert(connection.name);
  std::set<std::string> system_names;
  for (auto& connection : system) {
    system_names.insert(connection.name);
    connection.shadowed = own_names.contains(connection.name);
  }
  for (auto& connection : own) connection.shadows_system = system_names.contains(connection.name);

  std::vector<StoredConnection> result;
  if (scope != Scope::user) std::move(system.begin(), system.end(), std::back_inserter(result));
  if (scope != Scope::system) std::move(own.begin(), own.end(), std::back_inserter(result));
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    if (a.name != b.name) return a.name < b.name;
    return a.scope == Scope::user && b.scope == Scope::system;  // the one that wins first
  });
  return result;
}

bool ConnectionStore::remove(Scope scope, const std::string& user, const std::string& name) {
  const fs::path file = file_of(scope, user, name);
  check_inside(file);
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return false;
    throw_errno("cannot remove " + file.string());
  }
  fsync_dir(file.parent_path());
  return true;
}

void write_file_atomically(const fs::path& file, std::string_view content, mode_t mode) {
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  std::string temporary = (dir / ("." + file.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkostemp(temporary.data(), O_CLOEXEC);  // created 0600
  if (fd < 0) throw_errno("cannot create a temporary file in " + dir.string());
  bool renamed = false;
  try {
    if (::fchmod(fd, mode) != 0) throw_errno("cannot set the mode of " + temporary);
    std::size_t written = 0;
    while (written < content.size()) {
      const ssize_t done = ::write(fd, content.data() + written, content.size() - written);
      if (done < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot write " + temporary);
      }
      written += static_cast<std::size_t>(done);
    }
    if (::fsync(fd) != 0) throw_errno("cannot sync " + temporary);
    const int closed = ::close(fd);
    fd = -1;  // released even when close fails: never close it twice
    if (closed != 0) throw_errno("cannot write " + temporary);
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
      throw_errno("cannot replace " + file.string());
    }
    renamed = true;
    fsync_dir(dir);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    if (!renamed) ::unlink(temporary.c_str());
    throw;
  }
}

// --- secrets ---------------------------------------------------------------------------------

std::set<std::string> secret_property_names(std::string_view schema_json) {
  std::error_code error;
  const json::value schema = json::parse(schema_json, error);
  if (error) throw std::invalid_argument("the schema is not valid JSON: " + error.message());
  std::set<std::string> names;
  const json::object* root = schema.if_object();
  const json::value* properties = root != nullptr ? root->if_contains("properties") : nullptr;
  if (properties == nullptr || !properties->is_object()) return names;
  for (const auto& [name, property] : properties->get_object()) {
    const json::object* fields = property.if_object();
    if (fields == nullptr) continue;
    const json::value* write_only = fields->if_contains("writeOnly");
    if (write_only != nullptr && write_only->is_bool() && write_only->get_bool()) {
      names.emplace(name);
    }
  }
  return names;
}

bool is_secret_reference(std::string_view value) {
  return (value.starts_with("env:") && value.size() > 4) ||
         (value.starts_with("file:") && value.size() > 5);
}

namespace {

void wipe(std::string& secret) noexcept {
  volatile char* bytes = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = 0;
  secret.clear();
}

json::object properties_object(const std::string& properties_json) {
  std::error_code error;
  json::value value = json::parse(properties_json, error);
  if (error) throw std::invalid_argument("the properties are not valid JSON: " + error.message());
  if (!value.is_object()) throw std::invalid_argument("the properties are not a JSON object");
  return std::move(value.as_object());
}

}  // namespace

std::string mask_secrets(const std::string& properties_json,
                         const std::set<std::string>& secret_names) {
  json::object properties = properties_object(properties_json);
  for (auto& [name, value] : properties) {
    if (!secret_names.contains(std::string(name))) continue;
    if (value.is_null()) continue;
    if (const json::string* text = value.if_string()) {
      if (text->empty() || is_secret_reference(*text)) continue;
    }
    value = json::string(masked);
  }
  return json::serialize(properties);
}

std::string resolve_secrets(const std::string& properties_json,
                            const std::set<std::string>& secret_names,
                            const flowplugin::SecretResolver& resolver) {
  json::object properties = properties_object(properties_json);
  for (auto& [name, value] : properties) {
    if (!secret_names.contains(std::string(name))) continue;
    json::string* text = value.if_string();
    if (text == nullptr || text->empty()) continue;
    std::string secret;
    std::string error;
    const fp_status status = resolver ? resolver(*text, secret, error)
                                      : flowplugin::resolve_secret_reference(*text, secret, error);
    if (status == FP_OK) {
      *text = secret;
      wipe(secret);
    } else if (status != FP_UNSUPPORTED) {
      throw std::runtime_error("property \"" + std::string(name) + "\": " +
                               (error.empty() ? "its secret reference cannot be resolved" : error));
    }
  }
  return json::serialize(properties);
}

}  // namespace flowhost
