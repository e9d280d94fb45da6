// Header hygiene: mlflow.hpp included twice here and again in header_hygiene_b.cpp, linked into
// one program (no duplicate symbols) and compiled with strict warnings (-Wconversion,
// -Wold-style-cast, -Wshadow, ... see CMakeLists.txt).
#include <mlflow/mlflow.hpp>
#include <mlflow/mlflow.hpp>

#include <gtest/gtest.h>

std::string_view hygiene_version_b();

TEST(HeaderHygiene, TwoTranslationUnitsShareOneDefinition) {
  EXPECT_EQ(mlflow::version(), hygiene_version_b());
  EXPECT_EQ(mlflow::detail::python_float_string(0.25), "0.25");
}
