# The audit's parsers and checks, apart so that the unit tests (tests/cli) and the fuzz target
# (fuzz/cli_audit/, fuzz_cli_audit_parsers) link them alone. Included by tools/bulwark, and by
# the top level for a fuzz tree built without the apps. Standard library only.
if(NOT TARGET bulwark_cli_audit)
  add_library(bulwark_cli_audit STATIC ${CMAKE_CURRENT_LIST_DIR}/audit_parse.cpp
                                       ${CMAKE_CURRENT_LIST_DIR}/audit_checks.cpp)
  target_include_directories(bulwark_cli_audit PUBLIC ${CMAKE_CURRENT_LIST_DIR})
endif()
