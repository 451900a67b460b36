// Boost.JSON's implementation, compiled once for every program that links flowhost_store
// (flowhost and its tests). Nothing else linked with flowhost_store may include
// <boost/json/src.hpp>.
#include <boost/json/src.hpp>
