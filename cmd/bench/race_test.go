//go:build race

package main

// raceEnabled says the tests run with -race, so the bench they build and
// run gets the race detector too.
const raceEnabled = true
