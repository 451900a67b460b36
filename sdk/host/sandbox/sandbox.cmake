# The sandbox: a local capture mail server (SMTP + POP3, TLS on a generated CA) for trying flows.
# Static library flowhost_sandbox; public header <flowhost/sandbox.hpp>. Self-contained: included
# from sdk/host/CMakeLists.txt, needs only deps_asio (cmake/Dependencies.cmake). Never links the
# session core (src/): Asio's implementation is compiled here (asio_impl.cpp), so a program must
# not link this library together with another library that compiles it too.

set(FLOWHOST_SANDBOX_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(flowhost_sandbox STATIC
  ${FLOWHOST_SANDBOX_DIR}/asio_impl.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/channel.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/codec.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/crypto.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/mail_store.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/pki.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/pop3_session.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/server.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/smtp_session.cpp
  ${FLOWHOST_SANDBOX_DIR}/src/text.cpp)
add_library(flowhost::sandbox ALIAS flowhost_sandbox)
target_include_directories(flowhost_sandbox
  PUBLIC ${FLOWHOST_SANDBOX_DIR}/include
  PRIVATE ${FLOWHOST_SANDBOX_DIR}/src)
target_compile_features(flowhost_sandbox PUBLIC cxx_std_20)
# OpenSSL and threads reach the final link through deps_asio's interface (a static library's
# private dependencies are still linked into whatever uses it).
target_link_libraries(flowhost_sandbox PRIVATE deps_asio)
# GCC 12 reports a false -Wmismatched-new-delete when it inlines a coroutine whose frame comes
# from Asio's awaitable allocator.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(flowhost_sandbox PRIVATE -Wno-mismatched-new-delete)
endif()
