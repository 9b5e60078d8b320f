package bolt

import (
	"errors"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
)

// maxGroup bounds the operations of one commit.
const maxGroup = 512

// group commits operations in groups: a single goroutine takes the first
// waiting operation, then every other one already waiting, applies them in
// one bbolt transaction and syncs once. Under load a group holds every
// operation that arrived during the previous sync; alone, an operation
// commits at once. bbolt's own db.Batch waits on a timer instead, which
// either delays lone writes or cuts groups short.
type group struct {
	db     *bbolt.DB
	mu     sync.RWMutex // held for reading while sending, for writing by close
	closed bool
	ops    chan *pendingOp
	done   chan struct{}
}

type pendingOp struct {
	op      marketplace.Op
	applied bool
	err     error
	ready   chan struct{}
}

// errClosed is returned by operations sent after Close.
var errClosed = errors.New("the store is closed")

func newGroup(db *bbolt.DB) *group {
	g := &group{db: db, ops: make(chan *pendingOp, maxGroup), done: make(chan struct{})}
	go g.loop()
	return g
}

// apply queues op and waits for its commit. It waits even if the caller
// gives up: the operation may be committed, and its idempotency key makes a
// retry safe.
func (g *group) apply(op marketplace.Op) (bool, error) {
	p := &pendingOp{op: op, ready: make(chan struct{})}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return false, errClosed
	}
	g.ops <- p
	g.mu.RUnlock()
	<-p.ready
	return p.applied, p.err
}

func (g *group) loop() {
	defer close(g.done)
	for first := range g.ops {
		batch := []*pendingOp{first}
	more:
		for len(batch) < maxGroup {
			select {
			case p, ok := <-g.ops:
				if !ok {
					break more
				}
				batch = append(batch, p)
			default:
				break more
			}
		}
		g.commit(batch)
		for _, p := range batch {
			close(p.ready)
		}
	}
}

// commit applies a group in one transaction. An operation refused by a
// domain rule wrote nothing (applyOp checks before writing), so the others
// commit; any other failure aborts the transaction, and then each
// operation is tried alone so that one bad operation fails only itself.
func (g *group) commit(batch []*pendingOp) {
	err := g.db.Update(func(tx *bbolt.Tx) error {
		for _, p := range batch {
			p.applied, p.err = applyOp(tx, p.op)
			if p.err != nil && !domainError(p.err) {
				return p.err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for _, p := range batch {
		p.err = g.db.Update(func(tx *bbolt.Tx) error {
			var err error
			p.applied, err = applyOp(tx, p.op)
			return err
		})
		if p.err != nil {
			p.applied = false
		}
	}
}

// domainError reports the refusals applyOp makes before writing anything.
func domainError(err error) bool {
	for _, target := range []error{marketplace.ErrConflict, marketplace.ErrInsufficientBalance, marketplace.ErrIdempotencyMismatch, marketplace.ErrNotFound} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// close stops accepting operations, commits those queued and waits.
func (g *group) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.ops)
	}
	g.mu.Unlock()
	<-g.done
}
