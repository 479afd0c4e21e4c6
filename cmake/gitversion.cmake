# gitversion.cmake - writes OUT, a header defining CONCSIM_GIT_DESCRIBE:
# `git describe --always --dirty` of SRC at build time, or VERSION when SRC
# is not a git checkout (a release tarball) or git is missing. The file is
# rewritten only when the description changes, so that an unchanged tree
# rebuilds nothing.
find_package(Git QUIET)
set(desc "")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} describe --always --dirty
                  OUTPUT_VARIABLE desc ERROR_QUIET RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    set(desc "")
  endif()
endif()
if(desc STREQUAL "")
  set(desc "${VERSION}")
endif()
set(text "#define CONCSIM_GIT_DESCRIBE \"${desc}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
