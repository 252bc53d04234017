package redistest

import (
	"flag"
	"strconv"
)

// Parallel sets how many of the test binary's parallel tests run at once
// (go test's -parallel) to n, unless the command line sets it. go test's
// default is one per CPU, which suits tests that compute; a package whose
// tests mostly wait (for servers they start, failovers, replicas, TTLs)
// then leaves the CPUs idle while its waits queue one behind another. Such
// a package calls Parallel from TestMain, before m.Run.
func Parallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			given = true
		}
	})
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic("redistest.Parallel: " + err.Error())
		}
	}
}
