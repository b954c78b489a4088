# Install rules: the libraries, the header, the CMake package (mixcutConfig)
# and mixcut.pc, in GNUInstallDirs paths. Components: mixcut_runtime (the
# .so itself), mixcut_shared (its link name and CMake targets), mixcut_static
# (libmixcut.a and its targets), mixcut_dev (header, config, pkg-config).
include(CMakePackageConfigHelpers)
set(mixcut_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mixcut)

# What a program linking libmixcut.a also needs: OpenMP's runtime and the
# C++ runtime (libmixcut is C++ inside).
set(mixcut_static_libs ${OpenMP_CXX_LIB_NAMES} stdc++ m)
list(REMOVE_DUPLICATES mixcut_static_libs)

if(TARGET mixcut_static OR NOT MIXCUT_SHARED)
  set(mixcut_static_target mixcut)
  if(TARGET mixcut_static)
    set(mixcut_static_target mixcut_static)
  endif()
  install(TARGETS ${mixcut_static_target} EXPORT mixcutStaticTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mixcut_static)
  install(EXPORT mixcutStaticTargets NAMESPACE mixcut:: FILE mixcut-static-targets.cmake
    DESTINATION ${mixcut_cmake_dir} COMPONENT mixcut_static)
endif()
if(MIXCUT_SHARED)
  install(TARGETS mixcut EXPORT mixcutSharedTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mixcut_runtime
            NAMELINK_COMPONENT mixcut_shared
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT mixcut_runtime)
  install(EXPORT mixcutSharedTargets NAMESPACE mixcut:: FILE mixcut-shared-targets.cmake
    DESTINATION ${mixcut_cmake_dir} COMPONENT mixcut_shared)
endif()
install(FILES include/mixcut/mixcut.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mixcut COMPONENT mixcut_dev)

configure_package_config_file(cmake/mixcutConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mixcutConfig.cmake INSTALL_DESTINATION ${mixcut_cmake_dir})
# The ABI is stable within a major version: 0.x accepts 0.y requests only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mixcutConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mixcutConfig.cmake ${PROJECT_BINARY_DIR}/mixcutConfigVersion.cmake
  DESTINATION ${mixcut_cmake_dir} COMPONENT mixcut_dev)

# mixcut.pc: paths relative to ${pcfiledir}, so the prefix can move.
list(TRANSFORM mixcut_static_libs PREPEND -l OUTPUT_VARIABLE mixcut_pc_libs_private)
list(JOIN mixcut_pc_libs_private " " mixcut_pc_libs_private)
file(RELATIVE_PATH mixcut_pc_to_prefix
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" mixcut_pc_to_prefix "${mixcut_pc_to_prefix}")
file(RELATIVE_PATH mixcut_pc_libdir ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_LIBDIR})
file(RELATIVE_PATH mixcut_pc_includedir ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_INCLUDEDIR})
configure_file(cmake/mixcut.pc.in ${PROJECT_BINARY_DIR}/mixcut.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mixcut.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT mixcut_dev)
