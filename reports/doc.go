// Package reports will hold latency metrics in virtual time, gonum/plot plots, Perfetto and
// text traces and the HTML sweep report (issue 6). Nothing is implemented here yet.
package reports
