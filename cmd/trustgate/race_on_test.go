//go:build race

package main

// raceDetector reports whether the tests run under the race detector (go
// test -race, make race), whose shadow memory multiplies every process's
// resident size.
const raceDetector = true
