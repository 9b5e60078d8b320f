package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/store/bolt"
)

// BenchmarkTransparencyLogAppend appends one entry at a time to the log
// kept in the store (each append one atomic write), then reports the
// inclusion proof time at the size reached.
func BenchmarkTransparencyLogAppend(b *testing.B) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	l := tlog.New(s.TransparencyLog())
	b.Run("append", func(b *testing.B) {
		for i := range b.N {
			if _, err := l.AppendData(ctx, fmt.Appendf(nil, "entry %d", i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	})
	size, _ := l.Size(ctx)
	b.Run("inclusion-proof", func(b *testing.B) {
		for i := range b.N {
			if _, err := l.InclusionProof(ctx, uint64(i)%size, size); err != nil {
				b.Fatal(err)
			}
		}
	})
}
