// The header-only C++ side of the plugin contract (the outside of the hourglass): RAII handles,
// std::string documents and exceptions for hosts; sinks, struct_size checks and an exception
// guard for plugin authors. Everything here calls only what plugin.h declares, so it can be
// compiled into either side without linking anything; nothing C++ crosses the C waist.
#ifndef FLOWPLUGIN_PLUGIN_HPP
#define FLOWPLUGIN_PLUGIN_HPP

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <istream>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "flowplugin/plugin.h"

namespace flowplugin {

// --- strings and statuses ----------------------------------------------------------------------

// A view of `text` for the C side; valid as long as `text` is.
inline fp_string to_fp(std::string_view text) noexcept {
  return fp_string{text.data(), text.size()};
}

// A view of a C-side string (null data reads as empty).
inline std::string_view view(fp_string text) noexcept {
  return text.data == nullptr ? std::string_view{} : std::string_view{text.data, text.size};
}

inline const char* status_name(fp_status status) noexcept {
  switch (status) {
    case FP_OK:
      return "FP_OK";
    case FP_INVALID:
      return "FP_INVALID";
    case FP_REFUSED:
      return "FP_REFUSED";
    case FP_FAILED:
      return "FP_FAILED";
    case FP_UNSUPPORTED:
      return "FP_UNSUPPORTED";
    case FP_INTERNAL:
      return "FP_INTERNAL";
  }
  return "FP_<unknown>";
}

// A status and its message: what the host side throws, and what guarded() turns back into a
// status on the plugin side. For a refused property set the message is the problems document.
class Error : public std::runtime_error {
 public:
  Error(fp_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  fp_status status() const noexcept { return status_; }

 private:
  fp_status status_;
};

// --- struct_size -------------------------------------------------------------------------------

// True when `object` (from the other side, possibly older or newer) has `field`: its
// struct_size covers the whole field. False for a null object.
template <class T, class F>
bool has_field(const T* object, F T::*field) noexcept {
  static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>);
  if (object == nullptr) return false;
  const T probe{};  // the offset without touching the peer's (maybe shorter) object
  const auto offset = static_cast<std::size_t>(reinterpret_cast<const char*>(&(probe.*field)) -
                                               reinterpret_cast<const char*>(&probe));
  return offset + sizeof(F) <= object->struct_size;
}

// A local copy of a peer's struct: the fields it has, zero for the ones it lacks (OBS style).
// struct_size keeps the peer's value (at most sizeof(T)), so has_field() still answers on it.
template <class T>
T copy_known(const T* object) noexcept {
  static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>);
  T copy{};
  if (object == nullptr) return copy;
  const std::size_t size = std::min<std::size_t>(object->struct_size, sizeof(T));
  std::memcpy(&copy, object, size);
  copy.struct_size = static_cast<std::uint32_t>(size);
  return copy;
}

// A zeroed struct whose struct_size is this header's size.
template <class T>
T sized() noexcept {
  T value{};
  value.struct_size = static_cast<std::uint32_t>(sizeof(T));
  return value;
}

// --- sinks -------------------------------------------------------------------------------------

// Writes `text` to a sink from the other side; a null sink, or one without `write`, drops it.
inline void write(const fp_sink* sink, std::string_view text) noexcept {
  if (!has_field(sink, &fp_sink::write) || sink->write == nullptr) return;
  sink->write(sink->context, to_fp(text));
}

// A sink that appends every write to `out`; valid while `out` is. An allocation failure while
// appending terminates (the callback is noexcept: no exception may cross the C boundary).
inline fp_sink sink_to(std::string& out) noexcept {
  fp_sink sink = sized<fp_sink>();
  sink.context = &out;
  sink.write = [](void* context, fp_string text) noexcept {
    static_cast<std::string*>(context)->append(view(text));
  };
  return sink;
}

// A sink that calls `receiver(std::string_view)`; valid while `receiver` is. An exception from
// the receiver terminates (it cannot cross the C boundary).
template <class Receiver>
requires std::is_invocable_v<Receiver&, std::string_view> fp_sink sink_to(Receiver& receiver)
noexcept {
  fp_sink sink = sized<fp_sink>();
  sink.context = &receiver;
  sink.write = [](void* context, fp_string text) noexcept {
    (*static_cast<Receiver*>(context))(view(text));
  };
  return sink;
}

// --- the exception guard (plugin side) ---------------------------------------------------------

// Runs `body` (returning fp_status, or void for FP_OK) and turns what it throws into a status:
// flowplugin::Error keeps its status, anything else is FP_INTERNAL; the exception's message is
// written to `error_sink` (may be null) as plain text. Every extern "C" function of a plugin is
// noexcept and wraps its body in this. Write a document to a sink only once it is complete, so
// a failure never leaves half a document in front of the message.
template <class Body>
fp_status guarded(Body&& body, const fp_sink* error_sink) noexcept {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Body&>>) {
      body();
      return FP_OK;
    } else {
      return static_cast<fp_status>(body());
    }
  } catch (const Error& e) {
    write(error_sink, e.what());
    return e.status() == FP_OK ? FP_INTERNAL : e.status();
  } catch (const std::bad_alloc&) {
    write(error_sink, "out of memory");
  } catch (const std::exception& e) {
    write(error_sink, e.what());
  } catch (...) {
    write(error_sink, "unknown exception");
  }
  return FP_INTERNAL;
}

// --- streams (host side) -----------------------------------------------------------------------

namespace detail {

struct StreamSource {
  virtual ~StreamSource() = default;
  virtual std::int64_t read(void* buffer, std::size_t capacity) noexcept = 0;
  virtual bool rewind() noexcept = 0;
};

class StringSource final : public StreamSource {
 public:
  explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}
  std::int64_t size() const noexcept { return static_cast<std::int64_t>(bytes_.size()); }
  std::int64_t read(void* buffer, std::size_t capacity) noexcept override {
    const std::size_t count = std::min(capacity, bytes_.size() - position_);
    if (count > 0) std::memcpy(buffer, bytes_.data() + position_, count);
    position_ += count;
    return static_cast<std::int64_t>(count);
  }
  bool rewind() noexcept override {
    position_ = 0;
    return true;
  }

 private:
  std::string bytes_;
  std::size_t position_ = 0;
};

class FileSource final : public StreamSource {
 public:
  explicit FileSource(std::FILE* file) : file_(file) {}
  ~FileSource() override { std::fclose(file_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::int64_t read(void* buffer, std::size_t capacity) noexcept override {
    const std::size_t count = std::fread(buffer, 1, capacity, file_);
    if (count == 0 && std::ferror(file_) != 0) return -1;
    return static_cast<std::int64_t>(count);
  }
  bool rewind() noexcept override { return std::fseek(file_, 0, SEEK_SET) == 0; }

 private:
  std::FILE* file_;
};

class IstreamSource final : public StreamSource {
 public:
  explicit IstreamSource(std::istream& in) : in_(in), start_(in.tellg()) {}
  bool seekable() const noexcept { return start_ != std::istream::pos_type(-1); }
  std::int64_t size() {
    if (!seekable()) return -1;
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    in_.seekg(start_);
    if (end == std::istream::pos_type(-1) || !in_) {
      in_.clear();
      in_.seekg(start_);
      return -1;
    }
    return static_cast<std::int64_t>(end - start_);
  }
  std::int64_t read(void* buffer, std::size_t capacity) noexcept override {
    try {
      in_.read(static_cast<char*>(buffer), static_cast<std::streamsize>(capacity));
      if (in_.bad()) return -1;
      return static_cast<std::int64_t>(in_.gcount());
    } catch (...) {
      return -1;
    }
  }
  bool rewind() noexcept override {
    try {
      in_.clear();
      in_.seekg(start_);
      return static_cast<bool>(in_);
    } catch (...) {
      return false;
    }
  }

 private:
  std::istream& in_;
  std::istream::pos_type start_;
};

}  // namespace detail

// An fp_stream and the object behind it. Pass stream.get() to a call; the Stream must outlive
// the call. Movable (the fp_stream's context stays valid), not copyable; used by one call at a
// time ([object]).
class Stream {
 public:
  // The bytes of `bytes` (owned); size known, rewindable.
  static Stream from_string(std::string bytes) {
    auto source = std::make_unique<detail::StringSource>(std::move(bytes));
    const auto size = source->size();
    return Stream(std::move(source), size, true);
  }

  // The file at `path`, opened now (Error FP_FAILED when it cannot be); size known, rewindable.
  static Stream from_file(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) throw Error(FP_FAILED, "cannot open " + path.string());
    auto source = std::make_unique<detail::FileSource>(file);
    return Stream(std::move(source), ec ? -1 : static_cast<std::int64_t>(size), true);
  }

  // Reads `in` (borrowed: it must outlive the Stream) from its current position. When `in`
  // can seek, the size is known and the stream can rewind; otherwise neither.
  static Stream from_istream(std::istream& in) {
    auto source = std::make_unique<detail::IstreamSource>(in);
    const bool seekable = source->seekable();
    const auto size = source->size();
    return Stream(std::move(source), size, seekable);
  }

  const fp_stream* get() const noexcept { return &stream_; }

 private:
  Stream(std::unique_ptr<detail::StreamSource> source, std::int64_t size, bool rewindable)
      : source_(std::move(source)) {
    stream_ = sized<fp_stream>();
    stream_.context = source_.get();
    stream_.read = [](void* context, void* buffer, std::size_t capacity) noexcept {
      return static_cast<detail::StreamSource*>(context)->read(buffer, capacity);
    };
    stream_.size = size;
    if (rewindable) {
      stream_.rewind = [](void* context) noexcept -> std::int32_t {
        return static_cast<detail::StreamSource*>(context)->rewind() ? 0 : -1;
      };
    }
  }

  std::unique_ptr<detail::StreamSource> source_;
  fp_stream stream_{};
};

// One attachment of a send: a name, a media type and its content.
struct Attachment {
  std::string file_name;
  std::string content_type;
  Stream content;
};

// Reads a host's stream (plugin side, and tests): struct_size checked, null-safe.
class StreamReader {
 public:
  explicit StreamReader(const fp_stream* stream) noexcept : stream_(copy_known(stream)) {}
  // The size in bytes, or -1 when unknown.
  std::int64_t size() const noexcept {
    return has_field(&stream_, &fp_stream::size) ? stream_.size : -1;
  }
  // Up to `capacity` bytes; 0 at the end, -1 on error (or when there is no read function).
  std::int64_t read(void* buffer, std::size_t capacity) const noexcept {
    if (!has_field(&stream_, &fp_stream::read) || stream_.read == nullptr) return -1;
    return stream_.read(stream_.context, buffer, capacity);
  }
  bool can_rewind() const noexcept {
    return has_field(&stream_, &fp_stream::rewind) && stream_.rewind != nullptr;
  }
  bool rewind() const noexcept { return can_rewind() && stream_.rewind(stream_.context) == 0; }
  // Everything left; Error FP_FAILED when the stream reports an error.
  std::string read_all() const {
    std::string all;
    char buffer[16384];
    for (;;) {
      const auto count = read(buffer, sizeof buffer);
      if (count < 0) throw Error(FP_FAILED, "the stream reported a read error");
      if (count == 0) return all;
      all.append(buffer, static_cast<std::size_t>(count));
    }
  }

 private:
  fp_stream stream_;
};

// --- connections (host side) -------------------------------------------------------------------

// A live connection; destroyed through its factory when the handle goes. Must not outlive the
// plugin it came from (the Plugin of host.hpp).
class Connection {
 public:
  Connection() noexcept = default;
  Connection(const fp_connection_factory* factory, fp_connection* handle) noexcept
      : factory_(factory), handle_(handle) {}
  Connection(Connection&& other) noexcept
      : factory_(other.factory_), handle_(std::exchange(other.handle_, nullptr)) {}
  Connection& operator=(Connection&& other) noexcept {
    if (this != &other) {
      reset();
      factory_ = other.factory_;
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { reset(); }

  fp_connection* get() const noexcept { return handle_; }
  const fp_connection_factory* factory() const noexcept { return factory_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

  // Gives up ownership: the caller destroys the handle.
  fp_connection* release() noexcept { return std::exchange(handle_, nullptr); }

  void reset() noexcept {
    fp_connection* handle = std::exchange(handle_, nullptr);
    if (handle != nullptr && has_field(factory_, &fp_connection_factory::destroy) &&
        factory_->destroy != nullptr) {
      factory_->destroy(handle);
    }
  }

 private:
  const fp_connection_factory* factory_ = nullptr;
  fp_connection* handle_ = nullptr;
};

// A connection type of a loaded plugin ("connection.smtp/1"). Copyable view; null when the
// plugin did not know the id. Every call returns the document the plugin wrote. A status the
// function does not document (FP_INTERNAL, a field the factory lacks) throws Error.
class ConnectionFactory {
 public:
  using Result = std::pair<fp_status, std::string>;  // the status and the document written

  ConnectionFactory() noexcept = default;
  explicit ConnectionFactory(const fp_connection_factory* factory) noexcept : factory_(factory) {}

  const fp_connection_factory* get() const noexcept { return factory_; }
  explicit operator bool() const noexcept { return factory_ != nullptr; }

  // Static strings of the plugin: valid while it is loaded.
  std::string_view type_id() const { return field(&fp_connection_factory::type_id); }
  std::string_view display_name() const { return field(&fp_connection_factory::display_name); }
  std::string_view schema_json() const { return field(&fp_connection_factory::schema_json); }

  // FP_OK or FP_INVALID, and the problems array.
  Result validate(std::string_view properties_json) const {
    const auto validate_fn = function(&fp_connection_factory::validate, "validate");
    std::string problems;
    const fp_sink sink = sink_to(problems);
    const fp_status status = validate_fn(to_fp(properties_json), &sink);
    return checked(status, std::move(problems), {FP_OK, FP_INVALID});
  }

  // A live connection; Error{status, problems} when the plugin refuses the property set.
  Connection create(std::string_view properties_json) const {
    const auto create_fn = function(&fp_connection_factory::create, "create");
    (void)function(&fp_connection_factory::destroy, "destroy");
    std::string problems;
    const fp_sink sink = sink_to(problems);
    fp_connection* handle = nullptr;
    const fp_status status = create_fn(to_fp(properties_json), &sink, &handle);
    if (status != FP_OK) throw Error(status, problems);
    if (handle == nullptr) throw Error(FP_INTERNAL, "create returned FP_OK and no connection");
    return Connection(factory_, handle);
  }

  // The handshake report (FP_OK and FP_FAILED both return it; its "ok" says which).
  std::string test(const Connection& connection) const {
    const auto test_fn = function(&fp_connection_factory::test, "test");
    std::string report;
    const fp_sink sink = sink_to(report);
    const fp_status status = test_fn(handle(connection), &sink);
    return checked(status, std::move(report), {FP_OK, FP_FAILED}).second;
  }

  // Sends one message: FP_OK, FP_INVALID or FP_FAILED, and the result document. The streams
  // are read during the call only.
  Result send(const Connection& connection, std::string_view message_json,
              std::span<const Attachment> attachments = {},
              const Stream* raw_message = nullptr) const {
    const auto send_fn = function(&fp_connection_factory::send, "send");
    std::vector<fp_attachment> parts;
    parts.reserve(attachments.size());
    for (const Attachment& attachment : attachments) {
      fp_attachment part = sized<fp_attachment>();
      part.file_name = to_fp(attachment.file_name);
      part.content_type = to_fp(attachment.content_type);
      part.content = attachment.content.get();
      parts.push_back(part);
    }
    std::vector<const fp_attachment*> pointers;
    for (const fp_attachment& part : parts) pointers.push_back(&part);
    fp_send_request request = sized<fp_send_request>();
    request.message_json = to_fp(message_json);
    request.attachments = pointers.empty() ? nullptr : pointers.data();
    request.attachment_count = parts.size();
    request.raw_message = raw_message == nullptr ? nullptr : raw_message->get();
    std::string result;
    const fp_sink sink = sink_to(result);
    const fp_status status = send_fn(handle(connection), &request, &sink);
    return checked(status, std::move(result), {FP_OK, FP_INVALID, FP_FAILED});
  }

  // The DynamicConnection hook: FP_OK, FP_INVALID or FP_REFUSED, and the problems array.
  Result replace_definition(const Connection& connection, std::string_view properties_json) const {
    const auto replace_fn =
        function(&fp_connection_factory::replace_definition, "replace_definition");
    std::string problems;
    const fp_sink sink = sink_to(problems);
    const fp_status status = replace_fn(handle(connection), to_fp(properties_json), &sink);
    return checked(status, std::move(problems), {FP_OK, FP_INVALID, FP_REFUSED});
  }

 private:
  std::string_view field(fp_string fp_connection_factory::*member) const {
    if (!has_field(factory_, member)) {
      throw Error(FP_UNSUPPORTED, "the connection factory has no such field");
    }
    return view(factory_->*member);
  }

  template <class Fn>
  Fn function(Fn fp_connection_factory::*member, const char* name) const {
    if (!has_field(factory_, member) || factory_->*member == nullptr) {
      throw Error(FP_UNSUPPORTED, std::string("the connection factory has no ") + name);
    }
    return factory_->*member;
  }

  fp_connection* handle(const Connection& connection) const {
    if (!connection) throw Error(FP_INVALID, "no connection (moved from or released)");
    if (connection.factory() != factory_) {
      throw Error(FP_INVALID, "the connection belongs to another factory");
    }
    return connection.get();
  }

  static Result checked(fp_status status, std::string document,
                        std::initializer_list<fp_status> documented) {
    if (std::find(documented.begin(), documented.end(), status) == documented.end()) {
      throw Error(status, document.empty() ? std::string(status_name(status)) : document);
    }
    return {status, std::move(document)};
  }

  const fp_connection_factory* factory_ = nullptr;
};

}  // namespace flowplugin

#endif  // FLOWPLUGIN_PLUGIN_HPP
