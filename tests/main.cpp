#define BOOST_TEST_MODULE ctgrad
#include <boost/test/unit_test.hpp>
