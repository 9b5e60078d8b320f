package marketplace

import (
	"context"
	"time"
)

// ClientKeyPrefix begins the journal key of every operation made under a
// client's Idempotency-Key (the API scopes the client's key to its token
// holder after it). Only those records are ever purged: the keys the
// service derives itself, such as a yearly credit's
// "credit:<account>:<year>", are what makes a job that runs again move
// money once, and are kept.
const ClientKeyPrefix = "http:"

// JournalPurger is the capability of an enrolment store to forget the
// idempotency records of finished operations: PurgeJournal deletes the
// records whose key starts with prefix, finished before before, and
// reports how many it deleted. An operation still being applied is never
// deleted. A request sent again with a purged key is a new request: a
// transition then meets the dossier's new version and is refused as
// stale, so no money moves twice.
type JournalPurger interface {
	PurgeJournal(ctx context.Context, prefix string, before time.Time) (int, error)
}
