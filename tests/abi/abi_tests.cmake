# ABI tests: a host written only against sdk/ headers (flowplugin_sdk) loads the plugin module
# and drives it through the C ABI. Nothing here links src/ or plugin/ code.
#
# Included from tests/CMakeLists.txt, after doctest_main and SERVERS_RUN_DIR are defined. The
# plugin target `smtp_plugin` may be defined later (plugin/ is added after tests/): it is only
# named in generator expressions and add_dependencies, which CMake resolves at generate time.
#
#   abi_tests         the wrapper alone, the loader against fake plugins, and the built plugin
#                     without servers (exports, NEEDED, version negotiation, schema, validate)
#   abi_server_tests  the built plugin against the real Postfix/Dovecot (fixture mailservers)

set(ABI_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
cmake_path(GET ABI_TESTS_DIR PARENT_PATH ABI_TESTS_INCLUDE_DIR)  # tests/: "abi/..." includes

# --- fake plugins, for the loader's own tests ---------------------------------------------------
set(abi_fake_plugins good major2 no_entry short_entry)
foreach(variant IN LISTS abi_fake_plugins)
  list(FIND abi_fake_plugins ${variant} index)
  math(EXPR number "${index} + 1")
  add_library(abi_fake_plugin_${variant} MODULE ${ABI_TESTS_DIR}/fake_plugin.cpp)
  target_link_libraries(abi_fake_plugin_${variant} PRIVATE flowplugin_sdk)
  target_compile_definitions(abi_fake_plugin_${variant} PRIVATE FAKE_VARIANT=${number})
  set_target_properties(abi_fake_plugin_${variant} PROPERTIES
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endforeach()

# --- shared support: JSON, the harness, running tools -------------------------------------------
add_library(abi_support OBJECT ${ABI_TESTS_DIR}/abi_support.cpp)
target_include_directories(abi_support PUBLIC ${ABI_TESTS_INCLUDE_DIR})
target_link_libraries(abi_support PUBLIC Boost::headers)

# --- abi_tests: no servers ---------------------------------------------------------------------
add_executable(abi_tests
  ${ABI_TESTS_DIR}/test_wrapper.cpp
  ${ABI_TESTS_DIR}/test_loader.cpp
  ${ABI_TESTS_DIR}/test_smtp_plugin.cpp)
target_link_libraries(abi_tests PRIVATE abi_support doctest_main flowplugin_sdk)
target_compile_definitions(abi_tests PRIVATE
  FAKE_PLUGIN_GOOD="$<TARGET_FILE:abi_fake_plugin_good>"
  FAKE_PLUGIN_MAJOR2="$<TARGET_FILE:abi_fake_plugin_major2>"
  FAKE_PLUGIN_NO_ENTRY="$<TARGET_FILE:abi_fake_plugin_no_entry>"
  FAKE_PLUGIN_SHORT_ENTRY="$<TARGET_FILE:abi_fake_plugin_short_entry>"
  FLOWPLUGIN_NM="${CMAKE_NM}"
  FLOWPLUGIN_READELF="${CMAKE_READELF}")
add_dependencies(abi_tests smtp_plugin
  abi_fake_plugin_good abi_fake_plugin_major2 abi_fake_plugin_no_entry abi_fake_plugin_short_entry)
doctest_discover_tests(abi_tests TEST_PREFIX "abi: "
  PROPERTIES ENVIRONMENT "SMTP_PLUGIN_PATH=$<TARGET_FILE:smtp_plugin>")

# --- abi_server_tests: the real servers --------------------------------------------------------
add_executable(abi_server_tests ${ABI_TESTS_DIR}/test_smtp_servers.cpp)
target_link_libraries(abi_server_tests PRIVATE abi_support doctest_main flowplugin_sdk
  Threads::Threads)
add_dependencies(abi_server_tests smtp_plugin)
# The plugin's path goes in ENVIRONMENT_MODIFICATION, not as a second ENVIRONMENT value:
# doctest_discover_tests passes PROPERTIES as a flat list, where a second NAME=VALUE would be
# read as a property name.
doctest_discover_tests(abi_server_tests TEST_PREFIX "abi servers: "
  PROPERTIES FIXTURES_REQUIRED mailservers RESOURCE_LOCK mailservers
             ENVIRONMENT "SMTP_TEST_SERVERS=${SERVERS_RUN_DIR}/servers.json"
             ENVIRONMENT_MODIFICATION "SMTP_PLUGIN_PATH=set:$<TARGET_FILE:smtp_plugin>")
