package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/marketplace"
)

// Locker is the jobs.Locker of replicas sharing one database. A job's
// tick (its firing time, to the second) is run under a lease document
// {_id: "<job>@<tick>#<generation>", holder, expires, done}. Taking a lease
// is an insert under a unique _id, which one process wins even on
// FerretDB (where a conditional update is not atomic); a holder renews
// its lease while the job runs; when it stops renewing (killed), the
// others see the lease expire and race to insert the next generation,
// whose number is the fencing token.
type Locker struct {
	s      *Store
	holder string
	ttl    time.Duration
}

var _ jobs.Locker = (*Locker)(nil)

// ErrLeaseLost is returned by Renew when another process took the run over.
var ErrLeaseLost = errors.New("the job lease was taken over")

// Locker returns a Locker for the process named holder, with leases of
// 15 seconds.
func (s *Store) Locker(holder string) *Locker {
	return &Locker{s: s, holder: holder, ttl: 15 * time.Second}
}

// WithTTL returns l with leases of ttl (tests use short ones).
func (l *Locker) WithTTL(ttl time.Duration) *Locker { c := *l; c.ttl = ttl; return &c }

// TTL implements jobs.Locker.
func (l *Locker) TTL() time.Duration { return l.ttl }

type leaseDoc struct {
	ID      string `bson:"_id"`
	Run     string `bson:"run"`
	Gen     int64  `bson:"gen"`
	Holder  string `bson:"holder"`
	Expires string `bson:"expires"`
	Done    bool   `bson:"done"`
}

// Lock implements jobs.Locker.
func (l *Locker) Lock(ctx context.Context, job string, tick time.Time) (jobs.Lease, bool, error) {
	run := fmt.Sprintf("%s@%d", job, tick.Truncate(time.Second).Unix())
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	c := l.s.db.Collection(cLeases)
	var last leaseDoc
	err := c.FindOne(ctx, bson.M{"run": run}, options.FindOne().SetSort(bson.D{{Key: "run", Value: 1}, {Key: "gen", Value: -1}})).Decode(&last)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return nil, false, translate(err)
	case last.Done:
		return nil, false, nil
	case last.Expires > timeKey(time.Now()):
		return nil, true, nil
	}
	d := leaseDoc{ID: fmt.Sprintf("%s#%d", run, last.Gen+1), Run: run, Gen: last.Gen + 1, Holder: l.holder, Expires: timeKey(time.Now().Add(l.ttl))}
	if _, err := c.InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) || errors.Is(translate(err), marketplace.ErrConflict) {
			return nil, true, nil
		}
		return nil, false, translate(err)
	}
	return &lease{l: l, d: d}, false, nil
}

type lease struct {
	l *Locker
	d leaseDoc
}

func (le *lease) Token() int64 { return le.d.Gen }

// Renew extends the lease unless a later generation exists.
func (le *lease) Renew(ctx context.Context) error {
	ctx, cancel := le.l.s.ctx(ctx)
	defer cancel()
	c := le.l.s.db.Collection(cLeases)
	n, err := c.CountDocuments(ctx, bson.M{"run": le.d.Run, "gen": bson.M{"$gt": le.d.Gen}})
	if err != nil {
		return translate(err)
	}
	if n > 0 {
		return ErrLeaseLost
	}
	_, err = c.UpdateOne(ctx, bson.M{"_id": le.d.ID}, bson.M{"$set": bson.M{"expires": timeKey(time.Now().Add(le.l.ttl))}})
	return translate(err)
}

// Done marks the tick run.
func (le *lease) Done(ctx context.Context) error {
	ctx, cancel := le.l.s.ctx(ctx)
	defer cancel()
	_, err := le.l.s.db.Collection(cLeases).UpdateOne(ctx, bson.M{"_id": le.d.ID}, bson.M{"$set": bson.M{"done": true}})
	return translate(err)
}
