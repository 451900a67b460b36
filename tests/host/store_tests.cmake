# Tests of the reference host's connection store (sdk/host/store.cmake): the store, YAML <-> JSON
# and secrets. Included from tests/CMakeLists.txt (after doctest_main); flowhost_store may be
# defined later, CMake resolves the name at generate time.

set(HOST_STORE_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(host_store_tests
  ${HOST_STORE_TESTS_DIR}/test_store.cpp
  ${HOST_STORE_TESTS_DIR}/test_yaml_json.cpp
  ${HOST_STORE_TESTS_DIR}/test_secrets.cpp)
cmake_path(GET HOST_STORE_TESTS_DIR PARENT_PATH HOST_STORE_TESTS_INCLUDE_DIR)  # "host/..."
target_include_directories(host_store_tests PRIVATE ${HOST_STORE_TESTS_INCLUDE_DIR})
target_link_libraries(host_store_tests PRIVATE flowhost_store doctest_main)
cmake_path(GET HOST_STORE_TESTS_INCLUDE_DIR PARENT_PATH HOST_STORE_REPO_DIR)
target_compile_definitions(host_store_tests PRIVATE
  SMTP_SCHEMA_FILE="${HOST_STORE_REPO_DIR}/schemas/smtp.schema.json")
doctest_discover_tests(host_store_tests TEST_PREFIX "host: ")
