//go:build race

package main

// raceEnabled tells the tests that the race detector slows everything,
// the embedded FerretDB most: the heaviest tests run smaller.
const raceEnabled = true
