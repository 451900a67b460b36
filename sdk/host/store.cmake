# The connection store of the reference host (flowhost): connection definitions as YAML files,
# YAML <-> JSON for property sets, secrets masking and resolution.
#
# Included from sdk/host/CMakeLists.txt. Self-contained: finds yaml-cpp itself; Boost::headers
# comes from cmake/Dependencies.cmake (found again here if this is used on its own).
#
# flowhost_store compiles Boost.JSON's implementation (src/json_impl.cpp): a program linking it
# must not include <boost/json/src.hpp> anywhere else.

set(FLOWHOST_STORE_DIR ${CMAKE_CURRENT_LIST_DIR})

find_package(yaml-cpp REQUIRED)  # Debian 12's 0.7 names its target yaml-cpp
if(NOT TARGET Boost::headers)
  find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS headers)
endif()

add_library(flowhost_store STATIC
  ${FLOWHOST_STORE_DIR}/src/store.cpp
  ${FLOWHOST_STORE_DIR}/src/yaml_json.cpp
  ${FLOWHOST_STORE_DIR}/src/json_impl.cpp)
target_include_directories(flowhost_store PUBLIC ${FLOWHOST_STORE_DIR}/src)
if(TARGET yaml-cpp::yaml-cpp)  # newer yaml-cpp releases
  set(FLOWHOST_YAML_CPP yaml-cpp::yaml-cpp)
else()
  set(FLOWHOST_YAML_CPP yaml-cpp)
endif()
target_link_libraries(flowhost_store PUBLIC flowplugin_sdk ${FLOWHOST_YAML_CPP} Boost::headers)
target_compile_features(flowhost_store PUBLIC cxx_std_20)
