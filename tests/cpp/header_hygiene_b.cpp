// Header hygiene, second translation unit (see header_hygiene_a.cpp).
#include <mlflow.h>
#include <mlflow/mlflow.hpp>

std::string_view hygiene_version_b();

std::string_view hygiene_version_b() {
  (void)mlflow::detail::python_float_string(1.0);
  return mlflow::version();
}
