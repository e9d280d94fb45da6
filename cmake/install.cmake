# Installs libmlflow as a package: the libraries cargo built, the C header and the C++ layer,
# a find_package(mlflow) config (targets mlflow::mlflow and mlflow::mlflow_static) and mlflow.pc.
include(CMakePackageConfigHelpers)

set(MLFLOW_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/mlflow" CACHE STRING "Where mlflowConfig.cmake goes")

install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/include/mlflow.h" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/bindings/cpp/mlflow/mlflow.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/mlflow")
install(FILES "${mlflow_static_lib}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(PROGRAMS "${mlflow_shared_lib}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_SOURCE_DIR}/cmake/mlflowConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/mlflowConfig.cmake"
  INSTALL_DESTINATION "${MLFLOW_INSTALL_CMAKEDIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# 0.x releases break the ABI between minors, so only the same major.minor is compatible.
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/mlflowConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/mlflowConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/mlflowConfigVersion.cmake"
        DESTINATION "${MLFLOW_INSTALL_CMAKEDIR}")

# mlflow.pc locates the prefix from its own directory, so an installed tree can be moved.
set(mlflow_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
file(RELATIVE_PATH mlflow_pc_to_prefix "/prefix/${mlflow_pc_dir}" "/prefix")
string(REGEX REPLACE "/$" "" mlflow_pc_to_prefix "${mlflow_pc_to_prefix}")
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/mlflow.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/mlflow.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/mlflow.pc" DESTINATION "${mlflow_pc_dir}")
