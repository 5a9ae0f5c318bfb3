# bulwark_component(<name> [DEPS component...] [LIBS target...])
#   One static library per component, bulwark_<name>, from src/<name>/*.cpp. DEPS are other
#   components whose public headers this one uses; LIBS are system libraries it needs.
function(bulwark_component name)
  cmake_parse_arguments(C "" "" "DEPS;LIBS;PUBLIC_LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(bulwark_${name} STATIC ${sources})
  add_library(bulwark::${name} ALIAS bulwark_${name})
  set_target_properties(bulwark_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON EXPORT_NAME ${name})
  target_include_directories(bulwark_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(dep IN LISTS C_DEPS)
    target_link_libraries(bulwark_${name} PUBLIC bulwark_${dep})
  endforeach()
  target_link_libraries(bulwark_${name} PRIVATE ${C_LIBS} PUBLIC ${C_PUBLIC_LIBS} Threads::Threads)
  set_property(GLOBAL APPEND PROPERTY BULWARK_COMPONENT_TARGETS bulwark_${name})
endfunction()

# bulwark_test(<name> [DEPS component...] [LIBS target...] [LABELS label...])
#   One GoogleTest executable, test_<name>, from the *.cpp of the calling folder; each
#   TEST is its own CTest case. Label "integration" for tests that need Redis/PostgreSQL
#   or a running server, so the sanitizer run can leave them out.
function(bulwark_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "DEPS;LIBS;LABELS;SOURCES" ${ARGN})
  if(T_SOURCES)
    set(sources ${T_SOURCES})
  else()
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  endif()
  add_executable(test_${name} ${sources})
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(dep IN LISTS T_DEPS)
    target_link_libraries(test_${name} PRIVATE bulwark_${dep})
  endforeach()
  target_link_libraries(test_${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  gtest_discover_tests(test_${name}
    DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    TEST_PREFIX "${name}.")
endfunction()
