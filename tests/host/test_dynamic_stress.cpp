// DynamicConnection under load: many concurrent runs, half of them replacing the connection's
// definition mid-run to point at another server. Every mail must reach the server its run's
// definition named at that moment, exactly once. Run under the tsan preset too.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "flowhost/sandbox.hpp"
#include "flows.hpp"
#include "plugins.hpp"
#include "store.hpp"

namespace fs = std::filesystem;
using namespace flowhost;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Subject -> how many copies a sandbox received.
std::map<std::string, int> subjects(const fs::path& mail_dir) {
  std::map<std::string, int> found;
  for (const auto& e : fs::directory_iterator(mail_dir)) {
    if (e.path().extension() != ".eml") continue;
    const auto text = read_file(e.path());
    const auto at = text.find("\r\nSubject: ");
    if (at == std::string::npos) continue;
    const auto start = at + 11;
    ++found[text.substr(start, text.find("\r\n", start) - start)];
  }
  return found;
}

SendMailStep mail(const std::string& subject) {
  SendMailStep step;
  step.connection = "mail";
  step.fields.from = "flows@example.test";
  step.fields.to = {"bob@example.test"};
  step.fields.subject = subject;
  step.fields.text = "load";
  return step;
}

}  // namespace

TEST_CASE("concurrent runs swapping definitions mid-run: every mail at its server, exactly once") {
  const auto dir = fs::temp_directory_path() / ("flowhost-stress-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "plugins");
  fs::create_symlink(FLOWHOST_TEST_PLUGIN, dir / "plugins" / "libsmtp_connection.so");

  sandbox::Options a_options;
  a_options.data_dir = dir / "server-a";
  sandbox::Options b_options;
  b_options.data_dir = dir / "server-b";
  sandbox::Server a(a_options), b(b_options);
  a.start();
  b.start();

  ConnectionStore store(dir / "data");
  StoredConnection mail_connection;
  mail_connection.name = "mail";
  mail_connection.scope = Scope::system;
  mail_connection.type = "smtp";
  mail_connection.properties_json = R"({"host": "127.0.0.1", "port": )" +
                                    std::to_string(a.ports().smtp) +
                                    R"(, "authentication": "none", "dynamic": true})";
  store.put(mail_connection);

  const PluginFolder plugins(dir / "plugins", {});
  REQUIRE(plugins.connection_factory("smtp"));
  const Runner runner(plugins, store, "tester");

  Flow stay{"stay", {}, {mail("run ${run} first"), mail("run ${run} second")}};
  Flow swap{"swap",
            {},
            {mail("run ${run} first"),
             DynamicConnectionStep{"mail", R"({"port": )" + std::to_string(b.ports().smtp) + "}"},
             mail("run ${run} second")}};

  constexpr int runs = 40;
  std::vector<RunResult> results(runs);
  std::atomic<int> next{0};
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < 8; ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < runs; i = next++) {
          const bool swaps = i % 2 == 0;
          results[static_cast<std::size_t>(i)] = runner.run(swaps ? swap : stay, i + 1, {});
        }
      });
    }
  }
  for (const auto& r : results) CHECK_MESSAGE(r.status == "OK", "run " << r.run);

  // The sandbox stores a message before it answers 250, so every file is there now.
  const auto at_a = subjects(a.mail_dir());
  const auto at_b = subjects(b.mail_dir());
  for (int run = 1; run <= runs; ++run) {
    const bool swapped = (run - 1) % 2 == 0;
    const auto first = "run " + std::to_string(run) + " first";
    const auto second = "run " + std::to_string(run) + " second";
    CAPTURE(run);
    CHECK(at_a.count(first) == 1);
    CHECK((at_a.count(first) ? at_a.at(first) : 0) == 1);
    CHECK(at_b.count(first) == 0);
    const auto& right = swapped ? at_b : at_a;
    const auto& wrong = swapped ? at_a : at_b;
    CHECK((right.count(second) ? right.at(second) : 0) == 1);
    CHECK(wrong.count(second) == 0);
  }
  // The stored definition still names server A: the swaps were each run's own.
  CHECK(store.resolve("mail", "tester")->properties_json.find(std::to_string(a.ports().smtp)) !=
        std::string::npos);

  a.stop();
  b.stop();
  fs::remove_all(dir);
}
