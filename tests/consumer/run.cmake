# One consumer test (see tests/CMakeLists.txt): builds the README's C example
# against an installed mixcut (CMake package or pkg-config) or through
# add_subdirectory, runs it, and checks how it was linked.
#   cmake -DMODE=<mode> -DPREFIX=<install prefix> -DSOURCE_DIR=<mixcut> -DWORK=<dir>
#         -DGENERATOR=Ninja -DCC=<c compiler> [-DPKG_CONFIG=pkg-config] [-DLAUNCHER=ccache]
#         -P run.cmake
# MODE: find_package_shared, find_package_static, pkg_config_shared,
#       pkg_config_static, add_subdirectory.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " command "${ARGV}")
    message(FATAL_ERROR "${MODE}: `${command}` failed (${rc}):\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(program "${WORK}/consumer")
set(configure ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK}" -G "${GENERATOR}"
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=${CC} -DMIXCUT_SOURCE_DIR=${SOURCE_DIR})
if(LAUNCHER)
  list(APPEND configure -DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER} -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()

if(MODE MATCHES "^find_package_(shared|static)$")
  set(static OFF)
  if(MODE STREQUAL "find_package_static")
    set(static ON)
  endif()
  run(${configure} -DCMAKE_PREFIX_PATH=${PREFIX} -DMIXCUT_USE_STATIC_LIBS=${static})
  run(${CMAKE_COMMAND} --build "${WORK}")
elseif(MODE MATCHES "^pkg_config_(shared|static)$")
  set(ENV{PKG_CONFIG_PATH} "")
  file(GLOB pc_dirs "${PREFIX}/lib*/pkgconfig" "${PREFIX}/lib/*/pkgconfig")
  set(ENV{PKG_CONFIG_LIBDIR} "${pc_dirs}")  # only the prefix's, not the system's
  set(static "")
  if(MODE STREQUAL "pkg_config_static")
    set(static --static)
  endif()
  run(${PKG_CONFIG} ${static} --cflags --libs mixcut)
  separate_arguments(flags UNIX_COMMAND "${out}")
  run(${PKG_CONFIG} --variable=libdir mixcut)
  string(STRIP "${out}" libdir)
  message(STATUS "cc c_example.c ${flags}")
  # As a user would type it: cc app.c $(pkg-config --cflags --libs mixcut).
  run(${CC} -std=c99 "${SOURCE_DIR}/examples/c_example.c" -o "${program}" ${flags} -lm
      -Wl,-rpath,${libdir})
elseif(MODE STREQUAL "add_subdirectory")
  run(${configure} -DMIXCUT_CONSUMER_MODE=add_subdirectory)
  run(${CMAKE_COMMAND} --build "${WORK}" --target consumer)
  # Only the library and the program were built: no test or bench binary.
  file(GLOB_RECURSE built LIST_DIRECTORIES false "${WORK}/mixcut/*_test" "${WORK}/mixcut/*_bench")
  if(built)
    message(FATAL_ERROR "add_subdirectory built mixcut's own tests: ${built}")
  endif()
else()
  message(FATAL_ERROR "unknown MODE=${MODE}")
endif()

run("${program}")
message(STATUS "${MODE}: ${out}")
# The static builds must not need libmixcut.so at run time, the shared ones must.
run(readelf -d "${program}")
if(out MATCHES "NEEDED[^\n]*libmixcut")
  set(dynamic ON)
else()
  set(dynamic OFF)
endif()
if(MODE MATCHES "static$" AND dynamic)
  message(FATAL_ERROR "${MODE}: the program loads libmixcut.so")
elseif(MODE MATCHES "shared$" AND NOT dynamic)
  message(FATAL_ERROR "${MODE}: the program does not load libmixcut.so")
endif()
message(STATUS "${MODE}: OK")
