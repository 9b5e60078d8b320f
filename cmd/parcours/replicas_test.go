package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parcours/parcours/store/mongo/mongotest"
)

// TestReplicasRunEachTickOnce starts three `parcours serve` processes on
// one database (an embedded FerretDB in this test process) with the
// deadline job every second: every tick runs on exactly one replica.
// Then it SIGKILLs one replica of a new trio and checks that the job goes
// on running on the others.
func TestReplicasRunEachTickOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three services")
	}
	srv, err := mongotest.Start()
	if err != nil {
		t.Fatal(err)
	}
	db := srv.NewDatabase()
	env := []string{"PARCOURS_STORE_DRIVER=mongo", "PARCOURS_STORE_MONGO_URI=" + srv.URI,
		"PARCOURS_STORE_MONGO_DATABASE=" + db, "PARCOURS_MONEY_DEADLINE_SCHEDULE=@every 1s", "PARCOURS_LOG_LEVEL=info"}
	dirs, _ := replicaDataDirs(t, 3)
	var svcs []*service
	for _, dir := range dirs {
		svcs = append(svcs, startService(t, dir, env...))
	}
	leases := srv.Client().Database(db).Collection("leases")
	ctx := context.Background()
	count := func(filter bson.M) int64 {
		n, err := leases.CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := func(s *service) int {
		data, _ := os.ReadFile(s.logs)
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "job done") && strings.Contains(l, "dossier-deadlines") {
				n++
			}
		}
		return n
	}
	time.Sleep(5 * time.Second)
	for _, s := range svcs {
		s.stop()
	}
	total := 0
	for _, s := range svcs {
		total += runs(s)
	}
	done := count(bson.M{"done": true, "run": bson.M{"$regex": "^dossier-deadlines@"}})
	if total < 3 || int64(total) != done || count(bson.M{"gen": bson.M{"$gt": 1}}) != 0 {
		t.Fatalf("%d runs in all for %d ticks done; want one run per tick, at least 3", total, done)
	}
	// Again, killing one replica with SIGKILL mid-schedule.
	svcs = svcs[:0]
	for _, dir := range dirs {
		svcs = append(svcs, startService(t, dir, env...))
	}
	time.Sleep(3 * time.Second)
	svcs[0].kill()
	before := count(bson.M{"done": true})
	time.Sleep(4 * time.Second)
	after := count(bson.M{"done": true})
	if after < before+2 {
		t.Errorf("%d ticks done in the 4 s after the kill, want at least 2", after-before)
	}
	for _, s := range svcs[1:] {
		s.stop()
	}
}
