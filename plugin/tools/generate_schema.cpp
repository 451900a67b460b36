// Writes the files generated from the property table into a directory:
//   smtp.schema.json   the JSON Schema of the properties
//   smtp_properties.h  the C property list
// Usage: generate_schema DIRECTORY
// The build compares the committed schemas/ with a fresh run; target update_schemas rewrites them.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "property_header.hpp"
#include "schema.hpp"

namespace {

bool write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) std::cerr << "generate_schema: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: generate_schema DIRECTORY\n";
    return 2;
  }
  const std::filesystem::path directory = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  const bool ok = write(directory / "smtp.schema.json", smtpplugin::schema_json()) &&
                  write(directory / "smtp_properties.h", smtpplugin::property_header());
  return ok ? 0 : 1;
}
