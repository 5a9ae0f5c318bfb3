# `bulwark new`: install Bulwark into a folder, make a skeleton with the INSTALLED command,
# then configure, build and run the skeleton's own test against the installed package, as a
# user would. Also: the command refuses a non-empty folder and a bad name, and the skeleton
# keeps secrets out of git.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BULWARK_BUILD_DIR} --prefix ${WORK_DIR}/prefix
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed")
endif()
set(bulwark ${WORK_DIR}/prefix/bin/bulwark)
set(app ${WORK_DIR}/hello-app)

execute_process(COMMAND ${bulwark} new ${app} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc OR NOT out MATCHES "created hello-app")
  message(FATAL_ERROR "bulwark new failed: ${out}${err}")
endif()
foreach(f CMakeLists.txt src/main.cpp src/app.cpp src/app.hpp tests/app_test.cpp .env.example .gitignore README.md)
  if(NOT EXISTS ${app}/${f})
    message(FATAL_ERROR "the skeleton has no ${f}")
  endif()
endforeach()
file(STRINGS ${app}/.gitignore ignored)
if(NOT ".env" IN_LIST ignored OR NOT "instance/" IN_LIST ignored)
  message(FATAL_ERROR ".gitignore must keep out .env and instance/: ${ignored}")
endif()
file(READ ${app}/.env.example example)
if(example MATCHES "\nSECRET_KEY=" OR example MATCHES "SECRET_KEY=[^\n]")
  message(FATAL_ERROR ".env.example must not set a secret")
endif()

# Refusals: a non-empty folder (nothing in it changes) and names that are not [a-z][a-z0-9_-]*.
file(WRITE ${app}/src/app.cpp.mine "mine")
execute_process(COMMAND ${bulwark} new ${app} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "not empty")
  message(FATAL_ERROR "bulwark new overwrote a non-empty folder (${rc}): ${err}")
endif()
file(REMOVE ${app}/src/app.cpp.mine)
foreach(bad "Bad" "1app" "app;rm" "test" "a..b")
  execute_process(COMMAND ${bulwark} new ${WORK_DIR}/bad --name ${bad} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 1 OR EXISTS ${WORK_DIR}/bad)
    message(FATAL_ERROR "bulwark new accepted the name '${bad}' (${rc})")
  endif()
endforeach()

execute_process(COMMAND ${CMAKE_COMMAND} -S ${app} -B ${app}/build -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the skeleton failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${app}/build -j2 RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the skeleton failed")
endif()
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${app}/build --output-on-failure
  RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(rc OR NOT out MATCHES "100% tests passed, 0 tests failed out of 1")
  message(FATAL_ERROR "the skeleton's test did not pass: ${out}")
endif()
