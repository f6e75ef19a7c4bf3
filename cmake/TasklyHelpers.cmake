# taskly_target_options(target): the compile settings every taskly target shares.
function(taskly_target_options target)
  target_compile_options(${target} PRIVATE ${TASKLY_WARNINGS})
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()

# taskly_add_test(name LABEL label SOURCES file...): one GoogleTest binary linked with libtaskly,
# its tests registered with CTest under one label: "unit", "concurrency" (threads: also run under
# TSan) or "conformance" (the Store suite: also run under TSan). One label per test, because
# gtest_discover_tests cannot pass a list of labels through.
function(taskly_add_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  taskly_target_options(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE taskly ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL} DISCOVERY_TIMEOUT 60)
endfunction()
