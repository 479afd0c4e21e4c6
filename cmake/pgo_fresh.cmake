# pgo_fresh.cmake - run before the library of a CONCSIM_PGO=use build is
# compiled: stops the build when a source of sim/ or models/ changed
# after the training that made the profiles (STAMP, touched by
# scripts/dev.sh when the instrumented build began). gcc would build the
# edited functions without their profiles and, under -Werror, fail on
# their callers ("Missing counts for called function"); this says why.
file(GLOB_RECURSE sources ${SRC}/sim/*.[ch] ${SRC}/models/*.[ch])
set(stale "")
foreach(f ${sources})
  if(${f} IS_NEWER_THAN ${STAMP} AND NOT ${STAMP} IS_NEWER_THAN ${f})
    file(RELATIVE_PATH rel ${SRC} ${f})
    list(APPEND stale ${rel})
  endif()
endforeach()
if(stale)
  list(JOIN stale " " stale)
  message(FATAL_ERROR "changed since the profile-guided training: ${stale}\n"
          "rebuild with `bash scripts/dev.sh build` (it trains again), or "
          "build plainly in another folder (cmake -S . -B build-dev)")
endif()
