# common.gp - what every concsim figure shares: the terminal for the
# chosen format, one colour and marker per series, grid and key style.
#
# `concsim plot` writes the variables above this part (format, output,
# data, scenario, n, label[]) and the figure's own template below it.

if (format eq 'svg') {
    set terminal svg size width, height dynamic enhanced font 'Sans,13' background '#ffffff'
} else {
    if (format eq 'pdf') {
        set terminal pdfcairo size width / 96.0, height / 96.0 enhanced font 'Sans,11'
    } else {
        if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
            set terminal pngcairo size width, height enhanced font 'Sans,11'
        } else {
            set terminal png size width, height font 'Sans,11'
        }
    }
}
set output output
set encoding utf8

# Okabe-Ito colours (readable with colour blindness), then distinct markers
set style line 1 lc rgb '#0072B2' lw 2 pt 7 ps 0.9
set style line 2 lc rgb '#D55E00' lw 2 pt 5 ps 0.9
set style line 3 lc rgb '#009E73' lw 2 pt 9 ps 1.1
set style line 4 lc rgb '#CC79A7' lw 2 pt 13 ps 1.1
set style line 5 lc rgb '#E69F00' lw 2 pt 11 ps 1.1
set style line 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.0
set style line 7 lc rgb '#000000' lw 2 pt 3 ps 1.0
set style line 8 lc rgb '#999933' lw 2 pt 1 ps 1.0
set style increment user

set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
set grid xtics ytics front lc rgb '#c4c4c4' lw 0.8 dt solid
set grid back
# the key sits right of the plot, where it can never hide a curve
set key outside right top Left reverse box lc rgb '#bbbbbb' samplen 2.5 spacing 1.2 width 1
set title font ',13'
set mxtics
set mytics

# a sweep's data block of panel p and series i (panel-major); a run's
# figures have one panel
blk(p, i) = (p - 1) * n + i - 1
max0(v) = v > 0 ? v : 0
