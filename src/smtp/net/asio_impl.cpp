// The separately compiled implementation of Boost.Asio and its SSL support, built once for the
// whole library (BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
