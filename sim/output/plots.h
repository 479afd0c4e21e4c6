/*
 * plots.h - the gnuplot templates of plots/ (*.gp), compiled into the binary
 * by cmake/embed_plots.cmake, for `concsim plot` (cmd_plot.c).
 */
#ifndef SIM_PLOTS_H
#define SIM_PLOTS_H

/* One template: its file name in plots/ and its text. */
struct sim_plot_template {
	const char *name;
	const char *text;
};

/* Every template, ending with {NULL, NULL}. */
extern const struct sim_plot_template sim_plot_templates[];

#endif
