// The connection store: connection definitions as YAML files in a data directory.
//
//   <data>/connections/system/<name>.yaml          system connections, every user sees them
//   <data>/connections/users/<user>/<name>.yaml    a user's own connections
//
//   # written by flowhost
//   type: smtp
//   name: mail
//   properties:
//     host: mail.example.com
//     port: 587
//     smtp_password: env:SMTP_PASSWORD
//
// Properties are typed as yaml_json.hpp says (integers, booleans, strings; a quoted "0123"
// stays a string). Files are written atomically (a temporary file in the same directory,
// fsync, rename, fsync of the directory) with mode 0600, in directories created 0700. Names
// are checked before they become paths, and every path is checked to stay under the store
// after symbolic links are resolved; a connection file that is itself a symbolic link is
// refused. The store keeps no state but its directory: any number of threads and processes
// may use it at once (a reader sees the old file or the new one, never a mix; the last
// writer wins).
#ifndef FLOWHOST_STORE_HPP
#define FLOWHOST_STORE_HPP

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowplugin/host.hpp"

namespace flowhost {

enum class Scope { system, user };

std::string_view scope_name(Scope scope);                 // "system", "user"
std::optional<Scope> parse_scope(std::string_view text);  // "system", "user", else nullopt

// Connection, user and type names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. So never "." or "..", no
// '/', no NUL, no leading dot or dash, at most 64 characters.
bool is_valid_name(std::string_view name);
// std::invalid_argument naming `what` ("connection name", "user name") and the rule; the name
// is quoted with control characters escaped.
void check_name(std::string_view what, std::string_view name);

struct StoredConnection {
  std::string name;
  Scope scope = Scope::system;
  std::string user;                    // the owner, for Scope::user; empty for Scope::system
  std::string type;                    // the plugin's connection type: "smtp"
  std::string properties_json = "{}";  // a JSON object: strings, integers, booleans (, null)
  std::filesystem::path file;          // where it is stored (set by get, resolve and list)

  // Set by get, resolve and list:
  std::vector<std::string> warnings;  // the file's mode is looser than 0600, a `name:` that
                                      // differs from the file name, an unknown key
  // Set by list only:
  bool shadows_system = false;  // a user connection hiding a system one of its name
  bool shadowed = false;        // a system connection hidden from this user by their own
  std::string error;            // the file cannot be read (malformed YAML, a symbolic
                                // link...): type and properties are then empty
};

class ConnectionStore {
 public:
  // The directory need not exist: reading an absent store finds nothing, `put` creates it.
  // A relative path is made absolute now.
  explicit ConnectionStore(std::filesystem::path data_dir);

  // $FLOWHOST_DATA, else $XDG_DATA_HOME/flowhost (if absolute), else ~/.local/share/flowhost.
  static std::filesystem::path default_data_dir();

  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

  // The file a connection is (or would be) stored in. `user` is ignored for Scope::system.
  // std::invalid_argument for a bad name, or a user scope without a user.
  std::filesystem::path file_of(Scope scope, const std::string& user,
                                const std::string& name) const;

  // Adds or replaces a connection (name, scope, user, type, properties_json; the rest is
  // ignored) and returns its file. std::invalid_argument for a bad name or type, properties
  // that are not a JSON object, or a number with a fraction; std::runtime_error (a
  // std::system_error for the system's errors) when it cannot be written.
  std::filesystem::path put(const StoredConnection& connection);

  // One connection, or nullopt if there is none. std::runtime_error naming the file when it
  // cannot be read: malformed YAML, a symbolic link, a path that leads out of the store.
  std::optional<StoredConnection> get(Scope scope, const std::string& user,
                                      const std::string& name) const;

  // The connection `user` sees under `name`: their own if they have one (even if malformed:
  // then the error, never a silent fall back to the system's), else the system connection.
  // An empty user sees only system connections.
  std::optional<StoredConnection> resolve(const std::string& name, const std::string& user) const;

  // What `user` can see: the system connections and their own (nullopt), or only one scope.
  // Sorted by name; under one name, the user's (shadows_system) before the system's
  // (shadowed). A file that cannot be read is listed with `error` set rather than failing the
  // list; files that are not <valid name>.yaml (temporary files, for one) are skipped. An
  // empty user sees only system connections; Scope::user with an empty user is an
  // std::invalid_argument.
  std::vector<StoredConnection> list(std::optional<Scope> scope, const std::string& user) const;

  // Removes a connection: true if it existed.
  bool remove(Scope scope, const std::string& user, const std::string& name);

 private:
  std::filesystem::path root() const;  // <data>/connections
  void check_inside(const std::filesystem::path& path) const;
  std::vector<StoredConnection> scan(Scope scope, const std::string& user) const;

  std::filesystem::path data_dir_;
};

// Writes `content` to `file` atomically: a temporary file beside it (".<name>.tmp-XXXXXX",
// created with `mode`), fsync, rename over `file`, fsync of the directory. The temporary file
// is removed on failure. A reader sees the old content or the new, never part of it.
void write_file_atomically(const std::filesystem::path& file, std::string_view content,
                           mode_t mode = 0600);

// --- secrets -------------------------------------------------------------------------------

// The properties a plugin's schema marks secret ("writeOnly": true), from its schema_json().
std::set<std::string> secret_property_names(std::string_view schema_json);

// "env:NAME" or "file:PATH" with a non-empty NAME or PATH: a reference to a secret, not one.
bool is_secret_reference(std::string_view value);

// A copy of the properties with every secret (a property of `secret_names` holding a value)
// replaced by "********", except a reference, which is shown as is; null and "" are kept
// (nothing to hide). Every other property is unchanged, in its order.
// std::invalid_argument if the properties are not a JSON object.
std::string mask_secrets(const std::string& properties_json,
                         const std::set<std::string>& secret_names);

// A copy of the properties with each secret reference replaced by the secret, for the
// properties of `secret_names` only: for a host that hands plugins resolved values. (The
// SMTP plugin resolves references itself through fp_host::resolve_secret, so a host that
// loads it through flowplugin::Plugin needs none of this.) A literal secret, or a value of a
// scheme the resolver does not know (FP_UNSUPPORTED), is kept. std::runtime_error when a
// reference cannot be resolved: the message names the property and the reference, never a
// secret. A null resolver means flowplugin::resolve_secret_reference (env:, file:).
std::string resolve_secrets(const std::string& properties_json,
                            const std::set<std::string>& secret_names,
                            const flowplugin::SecretResolver& resolver = {});

}  // namespace flowhost

#endif  // FLOWHOST_STORE_HPP
