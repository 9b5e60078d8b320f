//go:build !race

package api_test

import "testing"

// The 200 concurrent acceptances over HTTP on MongoDB run without the race
// detector only: under it the embedded FerretDB (pure-Go SQLite, in this
// process) serves the burst in minutes, so operations time out and answer
// 500. The bbolt run of the same test stays under -race.
func TestConcurrentAcceptancesThroughHTTPMongo(t *testing.T) {
	testConcurrentAcceptancesThroughHTTP(t, newMongoEnv(t))
}
