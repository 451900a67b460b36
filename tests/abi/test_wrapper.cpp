// The C++ wrapper (sdk/include/flowplugin/plugin.hpp) on its own: struct_size checks, sinks,
// the exception guard and the stream adapters, with no plugin loaded.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>

#include "flowplugin/plugin.hpp"

namespace {

std::string read_all(const flowplugin::Stream& stream) {
  return flowplugin::StreamReader(stream.get()).read_all();
}

}  // namespace

TEST_CASE("has_field: a field counts only when struct_size covers all of it") {
  auto host = flowplugin::sized<fp_host>();
  CHECK(host.struct_size == sizeof(fp_host));
  CHECK(flowplugin::has_field(&host, &fp_host::resolve_secret));

  // An older peer: its struct ends before resolve_secret.
  host.struct_size = offsetof(fp_host, resolve_secret);
  CHECK(flowplugin::has_field(&host, &fp_host::log));
  CHECK_FALSE(flowplugin::has_field(&host, &fp_host::resolve_secret));
  // One byte short of the whole field is not enough.
  host.struct_size = offsetof(fp_host, resolve_secret) + sizeof(host.resolve_secret) - 1;
  CHECK_FALSE(flowplugin::has_field(&host, &fp_host::resolve_secret));
  // A newer peer's longer struct has every field this header knows.
  host.struct_size = sizeof(fp_host) + 64;
  CHECK(flowplugin::has_field(&host, &fp_host::resolve_secret));

  const fp_host* none = nullptr;
  CHECK_FALSE(flowplugin::has_field(none, &fp_host::log));
}

TEST_CASE("copy_known: the fields a shorter peer has, zero for the rest") {
  auto request = flowplugin::sized<fp_send_request>();
  request.message_json = flowplugin::to_fp("{}");
  request.attachment_count = 3;
  request.raw_message = reinterpret_cast<const fp_stream*>(&request);  // any non-null pointer
  request.struct_size = offsetof(fp_send_request, raw_message);

  const auto copy = flowplugin::copy_known(&request);
  CHECK(copy.struct_size == offsetof(fp_send_request, raw_message));
  CHECK(flowplugin::view(copy.message_json) == "{}");
  CHECK(copy.attachment_count == 3);
  CHECK(copy.raw_message == nullptr);
  CHECK_FALSE(flowplugin::has_field(&copy, &fp_send_request::raw_message));

  const fp_send_request* none = nullptr;
  CHECK(flowplugin::copy_known(none).struct_size == 0);
}

TEST_CASE("strings: views both ways - a null fp_string reads as empty") {
  const std::string text = "connection.smtp/1";
  const fp_string c = flowplugin::to_fp(text);
  CHECK(c.data == text.data());
  CHECK(c.size == text.size());
  CHECK(flowplugin::view(c) == text);
  CHECK(flowplugin::view(fp_string{nullptr, 0}).empty());
  CHECK(std::string(flowplugin::status_name(FP_REFUSED)) == "FP_REFUSED");
}

TEST_CASE("sinks: sink_to appends to a string or calls a function - write tolerates null") {
  std::string out;
  const fp_sink sink = flowplugin::sink_to(out);
  flowplugin::write(&sink, "[");
  flowplugin::write(&sink, "]");
  CHECK(out == "[]");

  int calls = 0;
  auto receiver = [&](std::string_view text) { calls += text == "x" ? 1 : 100; };
  const fp_sink function_sink = flowplugin::sink_to(receiver);
  flowplugin::write(&function_sink, "x");
  CHECK(calls == 1);

  flowplugin::write(nullptr, "dropped");
  fp_sink old = flowplugin::sink_to(out);
  old.struct_size = offsetof(fp_sink, write);  // a sink too short to have `write`
  flowplugin::write(&old, "dropped");
  CHECK(out == "[]");
}

TEST_CASE("guarded: exceptions become a status and a message in the error sink") {
  std::string message;
  const fp_sink sink = flowplugin::sink_to(message);

  CHECK(flowplugin::guarded([] { return FP_FAILED; }, &sink) == FP_FAILED);
  CHECK(flowplugin::guarded([] {}, &sink) == FP_OK);
  CHECK(message.empty());

  CHECK(flowplugin::guarded([]() -> fp_status { throw std::runtime_error("boom"); }, &sink) ==
        FP_INTERNAL);
  CHECK(message == "boom");

  message.clear();
  CHECK(flowplugin::guarded([] { throw flowplugin::Error(FP_REFUSED, "not now"); }, &sink) ==
        FP_REFUSED);
  CHECK(message == "not now");

  message.clear();
  CHECK(flowplugin::guarded([] { throw std::bad_alloc(); }, &sink) == FP_INTERNAL);
  CHECK(message == "out of memory");

  message.clear();
  CHECK(flowplugin::guarded([] { throw 42; }, &sink) == FP_INTERNAL);
  CHECK(message == "unknown exception");

  // An Error that claims success is still a failure.
  CHECK(flowplugin::guarded([] { throw flowplugin::Error(FP_OK, "odd"); }, nullptr) == FP_INTERNAL);
}

TEST_CASE("streams: a string, with its size, read in small pieces, and rewound") {
  const auto stream = flowplugin::Stream::from_string("hello, world");
  const fp_stream* c = stream.get();
  CHECK(c->struct_size == sizeof(fp_stream));
  CHECK(c->size == 12);
  REQUIRE((c->rewind != nullptr));

  char buffer[5];
  std::string got;
  for (;;) {
    const auto n = c->read(c->context, buffer, sizeof buffer);
    REQUIRE(n >= 0);
    REQUIRE(n <= 5);
    if (n == 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  CHECK(got == "hello, world");
  CHECK(c->rewind(c->context) == 0);
  CHECK(read_all(stream) == "hello, world");

  // Moving the Stream keeps its fp_stream valid (the state is on the heap).
  auto moved = flowplugin::Stream::from_string("moved");
  const flowplugin::Stream target = std::move(moved);
  CHECK(read_all(target) == "moved");
}

TEST_CASE("streams: a file, with its size - a missing file throws FP_FAILED") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("flowplugin-stream-" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(100000, 'a') << "end";
  }
  {
    const auto stream = flowplugin::Stream::from_file(path);
    CHECK(stream.get()->size == 100003);
    const auto all = read_all(stream);
    CHECK(all.size() == 100003);
    CHECK(all.ends_with("end"));
    REQUIRE((stream.get()->rewind != nullptr));
    CHECK(stream.get()->rewind(stream.get()->context) == 0);
    CHECK(read_all(stream).size() == 100003);
  }
  std::filesystem::remove(path);

  try {
    (void)flowplugin::Stream::from_file(path);
    FAIL("a missing file must throw");
  } catch (const flowplugin::Error& e) {
    CHECK(e.status() == FP_FAILED);
    CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
  }
}

TEST_CASE("streams: an istream from its current position - seekable ones know size and rewind") {
  std::istringstream in("skip:payload");
  in.seekg(5);
  const auto stream = flowplugin::Stream::from_istream(in);
  CHECK(stream.get()->size == 7);
  CHECK(read_all(stream) == "payload");
  REQUIRE((stream.get()->rewind != nullptr));
  CHECK(stream.get()->rewind(stream.get()->context) == 0);
  CHECK(read_all(stream) == "payload");
}

TEST_CASE("streams: a stream that cannot seek has no size and no rewind") {
  // A streambuf without seek support, like a pipe.
  struct OneWay : std::streambuf {
    explicit OneWay(std::string text) : text_(std::move(text)) {
      setg(text_.data(), text_.data(), text_.data() + text_.size());
    }
    std::string text_;
  } buffer("one way");
  std::istream in(&buffer);
  const auto stream = flowplugin::Stream::from_istream(in);
  CHECK(stream.get()->size == -1);
  CHECK((stream.get()->rewind == nullptr));
  CHECK(read_all(stream) == "one way");
  CHECK_FALSE(flowplugin::StreamReader(stream.get()).rewind());
}

TEST_CASE("StreamReader: a failing stream is an error, not an end") {
  auto failing = flowplugin::sized<fp_stream>();
  failing.read = [](void*, void*, std::size_t) noexcept -> std::int64_t { return -1; };
  failing.size = -1;
  const flowplugin::StreamReader reader(&failing);
  CHECK_THROWS_AS((void)reader.read_all(), flowplugin::Error);
  CHECK_FALSE(reader.can_rewind());
}

TEST_CASE("Connection: destroyed through its factory, once - moves transfer ownership") {
  static int destroyed = 0;
  destroyed = 0;
  auto factory = flowplugin::sized<fp_connection_factory>();
  factory.destroy = [](fp_connection*) noexcept { ++destroyed; };
  auto* handle = reinterpret_cast<fp_connection*>(&factory);  // any non-null pointer
  {
    flowplugin::Connection a(&factory, handle);
    flowplugin::Connection b = std::move(a);
    CHECK_FALSE(a);
    CHECK(b.get() == handle);
    CHECK(destroyed == 0);
  }
  CHECK(destroyed == 1);

  flowplugin::Connection released(&factory, handle);
  CHECK(released.release() == handle);
  released.reset();
  CHECK(destroyed == 1);
}

TEST_CASE("ConnectionFactory: a factory too short for a function throws FP_UNSUPPORTED") {
  auto factory = flowplugin::sized<fp_connection_factory>();
  factory.validate = [](fp_string, const fp_sink*) noexcept { return FP_OK; };
  factory.struct_size = offsetof(fp_connection_factory, validate);  // validate not covered
  const flowplugin::ConnectionFactory wrapped(&factory);
  try {
    (void)wrapped.validate("{}");
    FAIL("must throw");
  } catch (const flowplugin::Error& e) {
    CHECK(e.status() == FP_UNSUPPORTED);
    CHECK(std::string(e.what()).find("validate") != std::string::npos);
  }
}

TEST_CASE("ConnectionFactory: an undocumented status throws Error with the text written") {
  auto factory = flowplugin::sized<fp_connection_factory>();
  factory.validate = [](fp_string, const fp_sink* sink) noexcept {
    flowplugin::write(sink, "internal: broken");
    return FP_INTERNAL;
  };
  const flowplugin::ConnectionFactory wrapped(&factory);
  try {
    (void)wrapped.validate("{}");
    FAIL("must throw");
  } catch (const flowplugin::Error& e) {
    CHECK(e.status() == FP_INTERNAL);
    CHECK(std::string(e.what()) == "internal: broken");
  }
}
