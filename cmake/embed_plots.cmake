# embed_plots.cmake - compiles the gnuplot templates (plots/*.gp) into the
# binary, so that `concsim plot` works wherever the binary is copied.
#
#   cmake -DSRC=<source dir> -DOUT=<file.c> -P cmake/embed_plots.cmake
#
# Writes OUT, a C file defining sim_plot_templates[] (sim/output/plots.h): each
# template's file name and text, then {NULL, NULL}. OUT is only replaced
# when its content changes.
file(GLOB files "${SRC}/plots/*.gp")
list(SORT files)
set(body "/* Generated from the plots/ templates by cmake/embed_plots.cmake. */\n")
string(APPEND body "#include <stddef.h>\n\n#include \"output/plots.h\"\n\n")
set(table "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME)
  string(MAKE_C_IDENTIFIER "tpl_${name}" id)
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const char ${id}[] = {${hex} 0};\n")
  string(APPEND table "    {\"${name}\", ${id}},\n")
endforeach()
string(APPEND body "\nconst struct sim_plot_template sim_plot_templates[] = {\n")
string(APPEND body "${table}    {NULL, NULL},\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
