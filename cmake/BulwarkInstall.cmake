include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(bulwark_all_components GLOBAL PROPERTY BULWARK_COMPONENT_TARGETS)
install(TARGETS bulwark ${bulwark_all_components} EXPORT bulwarkTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/bulwark DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bulwarkTargets NAMESPACE bulwark:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulwark)
configure_package_config_file(cmake/bulwarkConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bulwarkConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulwark)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bulwarkConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bulwarkConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/bulwarkConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulwark)
