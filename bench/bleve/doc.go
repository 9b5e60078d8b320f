// Package bleve measures Bleve (github.com/blevesearch/bleve/v2) on the
// same catalogue and query mix as the Parcours search benchmarks, for the
// comparison in docs/benchmarks-search.md.
//
// It is a module of its own, so that the main module neither builds nor
// downloads Bleve and its dependencies; it uses the main module through a
// replace directive. Run it with scripts/bench-search.
package bleve
