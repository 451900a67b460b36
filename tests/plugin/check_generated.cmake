# Runs generate_schema into GENERATED_DIR and compares each file with the committed one in
# COMMITTED_DIR, byte for byte. On a difference: cmake --build --preset dev --target update_schemas
foreach(var GENERATOR GENERATED_DIR COMMITTED_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_generated.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(COMMAND ${GENERATOR} ${GENERATED_DIR} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "generate_schema failed (${result})")
endif()

set(stale "")
foreach(file smtp.schema.json smtp_properties.h)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E compare_files ${GENERATED_DIR}/${file} ${COMMITTED_DIR}/${file}
    RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    list(APPEND stale ${file})
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "schemas/ is stale: ${stale} differ from the property table's output in "
    "${GENERATED_DIR}. Run `cmake --build --preset dev --target update_schemas` and commit.")
endif()
message(STATUS "schemas/smtp.schema.json and schemas/smtp_properties.h are up to date")
