// Boost.Asio's separately compiled implementation (BOOST_ASIO_SEPARATE_COMPILATION, from
// deps_asio) for the sandbox library. sdk/ never links the session core, which has its own copy.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
