# Tests of the sandbox capture server (sdk/host/sandbox): the sans-I/O codecs, hostile clients over
# plain sockets, the certificates and start()'s refusals, and Python's smtplib/poplib/ssl as
# independent clients (sandbox_client_check.py, driven from test_clients.cpp).
#
# Included from tests/CMakeLists.txt after doctest_main is defined. Self-contained otherwise:
# links flowhost_sandbox (defined in sdk/host/sandbox/sandbox.cmake) and doctest_main.

set(SANDBOX_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
cmake_path(ABSOLUTE_PATH SANDBOX_TESTS_DIR NORMALIZE)
cmake_path(APPEND SANDBOX_TESTS_DIR ../../sdk/host/sandbox/src OUTPUT_VARIABLE SANDBOX_INTERNAL_DIR)
cmake_path(NORMAL_PATH SANDBOX_INTERNAL_DIR)

if(NOT COMMAND doctest_discover_tests)
  find_package(doctest REQUIRED)
  include(doctest)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)

add_executable(sandbox_tests
  ${SANDBOX_TESTS_DIR}/test_codec.cpp
  ${SANDBOX_TESTS_DIR}/test_clients.cpp
  ${SANDBOX_TESTS_DIR}/test_hostile.cpp
  ${SANDBOX_TESTS_DIR}/test_pki.cpp)
# The internal headers (codec, crypto, text, mail_store) are tested directly.
target_include_directories(sandbox_tests PRIVATE ${SANDBOX_TESTS_DIR} ${SANDBOX_INTERNAL_DIR})
target_link_libraries(sandbox_tests PRIVATE flowhost_sandbox doctest_main Boost::headers
  OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(sandbox_tests PRIVATE
  SANDBOX_PYTHON="${Python3_EXECUTABLE}"
  SANDBOX_CLIENT_CHECK="${SANDBOX_TESTS_DIR}/sandbox_client_check.py")
doctest_discover_tests(sandbox_tests TEST_PREFIX "sandbox: ")
