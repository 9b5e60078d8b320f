// Package mongotest starts an embedded FerretDB (SQLite handler, loopback
// port) for tests of the MongoDB backend, or uses the MongoDB named by
// PARCOURS_TEST_MONGO_URI. Either way the tests run: there is nothing to
// skip, so CI never passes on a skipped MongoDB run.
package mongotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Server is a MongoDB-wire server shared by one test binary.
type Server struct {
	URI    string
	client *mongo.Client
	stop   func()
	n      atomic.Int64
	tag    string
}

var (
	mu     sync.Mutex
	server *Server
	errSrv error
	dir    string // the embedded server's files, removed by Cleanup
)

// Start returns the shared server, starting it on first use: the MongoDB
// at PARCOURS_TEST_MONGO_URI when set, else an embedded FerretDB 1.24
// whose files live in a temporary directory of its own (not a test's: the
// server outlives the test that started it). It fails rather than skips.
// The server runs until Cleanup; a test must not stop it, since the tests
// after it (or the next round of -count) use it too.
func Start() (*Server, error) {
	mu.Lock()
	defer mu.Unlock()
	if server != nil || errSrv != nil {
		return server, errSrv
	}
	dir, errSrv = os.MkdirTemp("", "ferretdb")
	if errSrv != nil {
		return nil, errSrv
	}
	server, errSrv = start(dir)
	if errSrv != nil {
		os.RemoveAll(dir)
	}
	return server, errSrv
}

// Cleanup stops the shared server if it was started and removes its
// files. Call it from TestMain after m.Run.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if server != nil {
		server.stopAll()
		server = nil
	}
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
	}
	errSrv = nil
}

func start(dir string) (*Server, error) {
	s := &Server{URI: os.Getenv("PARCOURS_TEST_MONGO_URI"), stop: func() {}, tag: fmt.Sprintf("t%d", time.Now().UnixNano()%1e9)}
	if s.URI == "" {
		f, err := ferretdb.New(&ferretdb.Config{
			Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
			Handler:  "sqlite",
			// SQLite's lock is waited for up to a minute (FerretDB's
			// default is 10 s): the concurrency tests queue hundreds of
			// writes on one file of a shared machine, and a write that
			// gives up answers "database is locked", which a real MongoDB
			// never does.
			SQLiteURL: "file:" + dir + "/?_pragma=busy_timeout(60000)",
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			return nil, fmt.Errorf("starting FerretDB: %w", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.Run(ctx); close(done) }()
		s.URI = f.MongoDBURI()
		s.stop = func() { cancel(); <-done }
	}
	c, err := mongo.Connect(options.Client().ApplyURI(s.URI).SetServerSelectionTimeout(20 * time.Second))
	if err != nil {
		s.stop()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		s.stop()
		return nil, fmt.Errorf("the MongoDB test server does not answer: %w", err)
	}
	s.client = c
	return s, nil
}

// Client returns a client connected to the server, shared by the tests.
func (s *Server) Client() *mongo.Client { return s.client }

// NewDatabase returns the name of a database no other test uses.
func (s *Server) NewDatabase() string {
	return fmt.Sprintf("parcours_%s_%d", s.tag, s.n.Add(1))
}

// stopAll disconnects the shared client and stops the embedded server.
func (s *Server) stopAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.client.Disconnect(ctx)
	s.stop()
}

// Main is a TestMain for packages whose tests use the server: it starts
// it, runs the tests and stops it. A server that cannot start fails the
// run.
func Main(m *testing.M) {
	if _, err := Start(); err != nil {
		fmt.Fprintln(os.Stderr, "MongoDB tests cannot run:", err)
		os.Exit(1)
	}
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Shared returns the server Main started.
func Shared(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if server == nil {
		t.Fatal("mongotest.Main did not start the server: call it from TestMain")
	}
	return server
}
