# Third-party dependencies, all from Debian 12's packages (see packaging/install-deps.sh).
#
# Boost.Asio, spdlog and fmt are used header-only so that the library built on them can be
# loaded into a host that has none of them (and cannot clash with the host's own copies).

find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS headers)

# spdlog + fmt, header-only. Debian's spdlog is configured for an external fmt.
find_path(SPDLOG_INCLUDE_DIR spdlog/spdlog.h REQUIRED)
find_path(FMT_INCLUDE_DIR fmt/format.h REQUIRED)
add_library(deps_spdlog INTERFACE)
target_include_directories(deps_spdlog SYSTEM INTERFACE ${SPDLOG_INCLUDE_DIR} ${FMT_INCLUDE_DIR})
target_compile_definitions(deps_spdlog INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY=1)
target_link_libraries(deps_spdlog INTERFACE Threads::Threads)

# Boost.Asio without the deprecated interfaces, and with its own separate compilation unit
# (src/smtp/net/asio_impl.cpp) so the heavy implementation is compiled once.
add_library(deps_asio INTERFACE)
target_link_libraries(deps_asio INTERFACE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(deps_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_ASIO_DISABLE_BOOST_COROUTINE)
