# The property table and everything generated from it: one table (src/properties.cpp) is the
# source of the JSON Schema, the validation, the mapping to the core's options and the C property
# list. Included by plugin/CMakeLists.txt; self-contained.
#
#   smtp_plugin_definitions  static library (PIC): table, schema, validation, definitions, and
#                            Boost.JSON's implementation (src/json_impl.cpp) for the whole plugin
#   generate_schema          writes smtp.schema.json and smtp_properties.h into a directory
#   update_schemas           rewrites the committed files in schemas/ (then commit them)
#   plugin_tests + "schema: ..." tests, when SMTP_BUILD_TESTS is on

set(SMTP_PROPERTIES_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SMTP_SCHEMAS_DIR ${PROJECT_SOURCE_DIR}/schemas)

add_library(smtp_plugin_definitions STATIC
  ${SMTP_PROPERTIES_DIR}/src/definition.cpp
  ${SMTP_PROPERTIES_DIR}/src/json_impl.cpp
  ${SMTP_PROPERTIES_DIR}/src/properties.cpp
  ${SMTP_PROPERTIES_DIR}/src/property_header.cpp
  ${SMTP_PROPERTIES_DIR}/src/schema.cpp
  ${SMTP_PROPERTIES_DIR}/src/settings.cpp
  ${SMTP_PROPERTIES_DIR}/src/validation.cpp
  ${SMTP_PROPERTIES_DIR}/src/validation_rules.cpp)
target_include_directories(smtp_plugin_definitions PUBLIC ${SMTP_PROPERTIES_DIR}/src)
target_link_libraries(smtp_plugin_definitions PUBLIC smtp_core Boost::headers)
set_target_properties(smtp_plugin_definitions PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

add_executable(generate_schema ${SMTP_PROPERTIES_DIR}/tools/generate_schema.cpp)
target_link_libraries(generate_schema PRIVATE smtp_plugin_definitions)

add_custom_target(update_schemas
  COMMAND generate_schema ${SMTP_SCHEMAS_DIR}
  COMMENT "Writing schemas/smtp.schema.json and schemas/smtp_properties.h from the property table"
  VERBATIM)

if(SMTP_BUILD_TESTS)
  set(SMTP_PLUGIN_TESTS_DIR ${PROJECT_SOURCE_DIR}/tests/plugin)

  # doctest tests of the table, schema, validation and definitions (+ the C header, as C).
  file(GLOB plugin_test_sources CONFIGURE_DEPENDS ${SMTP_PLUGIN_TESTS_DIR}/*.cpp)
  add_executable(plugin_tests ${plugin_test_sources} ${SMTP_PLUGIN_TESTS_DIR}/property_header_check.c)
  target_include_directories(plugin_tests PRIVATE ${SMTP_SCHEMAS_DIR})
  set_target_properties(plugin_tests PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  set_source_files_properties(${SMTP_PLUGIN_TESTS_DIR}/property_header_check.c PROPERTIES
    COMPILE_OPTIONS "-Wall;-Wextra;-Wpedantic;-Werror")
  target_compile_definitions(plugin_tests PRIVATE
    SMTP_SCHEMA_FILE="${SMTP_SCHEMAS_DIR}/smtp.schema.json")
  # find_package and include again: imported targets and doctest.cmake's script path are
  # directory-scoped, and tests/ found them in its own scope.
  find_package(doctest REQUIRED)
  include(doctest)
  if(TARGET doctest_main)  # tests/ is added before plugin/
    target_link_libraries(plugin_tests PRIVATE smtp_plugin_definitions doctest_main doctest::doctest)
  else()
    target_sources(plugin_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests/doctest_main.cpp)
    target_link_libraries(plugin_tests PRIVATE smtp_plugin_definitions doctest::doctest)
  endif()
  doctest_discover_tests(plugin_tests TEST_PREFIX "plugin: ")

  add_test(NAME "schema: committed schema and C property list equal the generated ones"
    COMMAND ${CMAKE_COMMAND}
      -DGENERATOR=$<TARGET_FILE:generate_schema>
      -DGENERATED_DIR=${CMAKE_CURRENT_BINARY_DIR}/generated_schemas
      -DCOMMITTED_DIR=${SMTP_SCHEMAS_DIR}
      -P ${SMTP_PLUGIN_TESTS_DIR}/check_generated.cmake)

  # Debian's python3 with python3-jsonschema (packaging/install-deps.sh) when present.
  find_program(SMTP_DEBIAN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT SMTP_DEBIAN_PYTHON3)
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    set(SMTP_DEBIAN_PYTHON3 ${Python3_EXECUTABLE})
  endif()
  add_test(NAME "schema: a JSON Schema 2020-12 validator accepts it"
    COMMAND ${SMTP_DEBIAN_PYTHON3} ${SMTP_PLUGIN_TESTS_DIR}/check_schema.py
            ${SMTP_SCHEMAS_DIR}/smtp.schema.json)
endif()
