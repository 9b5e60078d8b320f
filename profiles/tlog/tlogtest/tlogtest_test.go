package tlogtest

import (
	"testing"

	"github.com/parcours/parcours/profiles/tlog"
)

func TestMemoryStore(t *testing.T) {
	Run(t, func(*testing.T) tlog.Store { return &tlog.MemoryStore{} })
}
