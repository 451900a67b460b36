// Boost.JSON's implementation, compiled once for the whole plugin (header-only mode): every
// other file includes <boost/json.hpp> only.
#include <boost/json/src.hpp>
