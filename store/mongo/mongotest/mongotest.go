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
	once   sync.Once
	server *Server
	errSrv error
)

// Start returns the shared server, starting it on first use: the MongoDB
// at PARCOURS_TEST_MONGO_URI when set, else an embedded FerretDB 1.24
// whose files live in dir. It fails rather than skips.
func Start(dir string) (*Server, error) {
	once.Do(func() { server, errSrv = start(dir) })
	return server, errSrv
}

func start(dir string) (*Server, error) {
	s := &Server{URI: os.Getenv("PARCOURS_TEST_MONGO_URI"), stop: func() {}, tag: fmt.Sprintf("t%d", time.Now().UnixNano()%1e9)}
	if s.URI == "" {
		f, err := ferretdb.New(&ferretdb.Config{
			Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
			Handler:   "sqlite",
			SQLiteURL: "file:" + dir + "/",
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

// Stop disconnects the shared client and stops the embedded server.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.client.Disconnect(ctx)
	s.stop()
}

// Main is a TestMain for packages whose tests use the server: it starts
// it in a temporary directory, runs the tests and stops it. A server that
// cannot start fails the run.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "ferretdb")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := Start(dir); err != nil {
		fmt.Fprintln(os.Stderr, "MongoDB tests cannot run:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Shared returns the server Main started.
func Shared(t testing.TB) *Server {
	t.Helper()
	if server == nil {
		t.Fatal("mongotest.Main did not start the server: call it from TestMain")
	}
	return server
}
