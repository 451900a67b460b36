// bench/driver: sends N messages through ONE connection of the SMTP plugin from T threads and
// prints one JSON line of figures. Uses only sdk/include (the header-only host loader), the way
// a host drives the plugin: one connection definition, many concurrent sends, sessions pooled
// by the plugin.
//
//   driver --plugin PATH --host 127.0.0.1 --port 2525 --count 2000 --size 1024 --threads 1
//          [--seconds 5] [--mode raw|mime] [--attach FILE]
//
// --mode raw  (default) a ready-made 7-bit RFC 5322 message of --size bytes, handed to the plugin
//             as raw_message through a stream over one shared buffer (no per-message copy in
//             the driver), envelope only in the JSON: what smtp-source/smtplib send.
// --mode mime the plugin builds the message (MIME builder) from {"text": ...} of --size bytes.
// --attach F  a MIME message with F attached, streamed from disk per send (the 100 MB case).
//
// Output: {"messages", "seconds", "msgs_per_s", "cpu_user_s", "cpu_sys_s", "max_rss_kb",
//          "failures", "first_failure"}; exit 0 when every send was OK, 1 otherwise, 2 on usage.
#include <flowplugin/host.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Args {
  std::string plugin = "build/dev/plugin/libsmtp_connection.so";
  std::string host = "127.0.0.1";
  int port = 25;
  long count = 1000;
  std::size_t size = 1024;
  int threads = 1;
  double seconds = 5.0;
  std::string mode = "raw";
  std::string attach;
  std::string from = "bench@example.test";
  std::string to = "sink@example.test";
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "driver: " << why
            << "\nusage: driver --plugin PATH --host H --port P --count N --size BYTES "
               "--threads T [--seconds S] [--mode raw|mime] [--attach FILE]\n";
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view key = argv[i];
    if (i + 1 >= argc) usage("missing value for " + std::string(key));
    const std::string value = argv[++i];
    try {
      if (key == "--plugin")
        a.plugin = value;
      else if (key == "--host")
        a.host = value;
      else if (key == "--port")
        a.port = std::stoi(value);
      else if (key == "--count")
        a.count = std::stol(value);
      else if (key == "--size")
        a.size = std::stoul(value);
      else if (key == "--threads")
        a.threads = std::stoi(value);
      else if (key == "--seconds")
        a.seconds = std::stod(value);
      else if (key == "--mode")
        a.mode = value;
      else if (key == "--attach")
        a.attach = value;
      else if (key == "--from")
        a.from = value;
      else if (key == "--to")
        a.to = value;
      else
        usage("unknown option " + std::string(key));
    } catch (const std::exception&) {
      usage("bad value for " + std::string(key));
    }
  }
  if (a.count < 1 || a.threads < 1 || a.seconds <= 0) usage("count, threads, seconds must be > 0");
  if (a.mode != "raw" && a.mode != "mime") usage("mode is raw or mime");
  return a;
}

// 7-bit lines of 76 characters + CRLF, `size` bytes in all (the last line shorter).
std::string body_lines(std::size_t size) {
  std::string body;
  body.reserve(size + 80);
  std::size_t line = 0;
  while (body.size() + 2 < size) {
    const std::size_t room = std::min<std::size_t>(76, size - body.size() - 2);
    for (std::size_t i = 0; i < room; ++i) body.push_back(static_cast<char>('a' + (line + i) % 26));
    body += "\r\n";
    ++line;
  }
  if (body.empty()) body = "x\r\n";
  return body;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// A read-only stream over a buffer shared by every send (one cursor per stream object).
struct ViewSource {
  std::string_view bytes;
  std::size_t position = 0;
};

fp_stream view_stream(ViewSource& source) {
  fp_stream s = flowplugin::sized<fp_stream>();
  s.context = &source;
  s.read = [](void* context, void* buffer, std::size_t capacity) noexcept -> std::int64_t {
    auto* v = static_cast<ViewSource*>(context);
    const std::size_t n = std::min(capacity, v->bytes.size() - v->position);
    if (n > 0) std::memcpy(buffer, v->bytes.data() + v->position, n);
    v->position += n;
    return static_cast<std::int64_t>(n);
  };
  s.size = static_cast<std::int64_t>(source.bytes.size());
  s.rewind = [](void* context) noexcept -> std::int32_t {
    static_cast<ViewSource*>(context)->position = 0;
    return 0;
  };
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);

  try {
    flowplugin::Plugin plugin(args.plugin, {.host_name = "bench driver",
                                            .log = [](fp_log_level level, std::string_view line) {
                                              if (level >= FP_LOG_WARN) std::cerr << line << '\n';
                                            }});
    const flowplugin::ConnectionFactory smtp = plugin.connection_factory("connection.smtp/1");
    if (!smtp) {
      std::cerr << "driver: the plugin has no connection.smtp/1\n";
      return 2;
    }
    const std::string properties = R"({"name": "bench", "host": ")" + json_escape(args.host) +
                                   R"(", "port": )" + std::to_string(args.port) +
                                   R"(, "authentication": "none", "timeout": 30})";
    const flowplugin::Connection connection = smtp.create(properties);

    // The message, built once.
    const std::string envelope_json =
        R"({"from": {"address": ")" + args.from + R"("}, "recipients": [")" + args.to + R"("]})";
    std::string raw;
    std::string mime_json;
    if (!args.attach.empty()) {
      mime_json = R"({"from": {"address": ")" + args.from + R"("}, "to": [")" + args.to +
                  R"("], "subject": "bench attachment", "text": "Attached.\r\n"})";
    } else if (args.mode == "raw") {
      const std::string head = "From: <" + args.from + ">\r\nTo: <" + args.to +
                               ">\r\nSubject: bench\r\nMessage-ID: <bench@example.test>\r\n"
                               "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n";
      raw = head + body_lines(args.size > head.size() ? args.size - head.size() : 3);
    } else {
      mime_json = R"({"from": {"address": ")" + args.from + R"("}, "to": [")" + args.to +
                  R"("], "subject": "bench", "text": ")" + json_escape(body_lines(args.size)) +
                  R"("})";
    }

    std::atomic<long> next{0};
    std::atomic<long> sent{0};
    std::atomic<long> failures{0};
    std::mutex failure_mutex;
    std::string first_failure;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(args.seconds));

    auto worker = [&] {
      while (std::chrono::steady_clock::now() < deadline) {
        if (next.fetch_add(1, std::memory_order_relaxed) >= args.count) break;
        fp_status status = FP_INTERNAL;
        std::string result;
        try {
          if (!args.attach.empty()) {
            std::vector<flowplugin::Attachment> attachments;
            attachments.push_back({"payload.bin", "application/octet-stream",
                                   flowplugin::Stream::from_file(args.attach)});
            std::tie(status, result) = smtp.send(connection, mime_json, attachments);
          } else if (args.mode == "raw") {
            ViewSource source{raw};
            const fp_stream stream = view_stream(source);
            fp_send_request request = flowplugin::sized<fp_send_request>();
            request.message_json = flowplugin::to_fp(envelope_json);
            request.raw_message = &stream;
            const fp_sink sink = flowplugin::sink_to(result);
            status = smtp.get()->send(connection.get(), &request, &sink);
          } else {
            std::tie(status, result) = smtp.send(connection, mime_json);
          }
        } catch (const std::exception& e) {
          result = e.what();
        }
        if (status == FP_OK) {
          sent.fetch_add(1, std::memory_order_relaxed);
        } else {
          failures.fetch_add(1, std::memory_order_relaxed);
          const std::lock_guard lock(failure_mutex);
          if (first_failure.empty()) first_failure = result.substr(0, 400);
        }
      }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < args.threads; ++i) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    // Peak resident memory of this program: VmHWM (ru_maxrss would keep the high-water mark of
    // whatever forked us, across exec).
    long peak_kb = usage.ru_maxrss;
    if (std::FILE* status_file = std::fopen("/proc/self/status", "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, status_file) != nullptr) {
        if (std::sscanf(line, "VmHWM: %ld kB", &peak_kb) == 1) break;
      }
      std::fclose(status_file);
    }
    auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    const long messages = sent.load();
    std::printf(
        "{\"messages\": %ld, \"seconds\": %.6f, \"msgs_per_s\": %.1f, \"cpu_user_s\": %.6f, "
        "\"cpu_sys_s\": %.6f, \"max_rss_kb\": %ld, \"failures\": %ld, \"first_failure\": \"%s\"}\n",
        messages, seconds, seconds > 0 ? messages / seconds : 0.0, secs(usage.ru_utime),
        secs(usage.ru_stime), peak_kb, failures.load(), json_escape(first_failure).c_str());
    return failures.load() == 0 && messages > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "driver: " << e.what() << '\n';
    return 1;
  }
}
