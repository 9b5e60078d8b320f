package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parcours/parcours/profiles/tlog"
)

// BenchmarkTransparencyLogAppend appends one entry at a time to the log
// kept in the store (each append one atomic write), then reports the
// inclusion proof time at the size reached.
func BenchmarkTransparencyLogAppend(b *testing.B) {
	ctx := context.Background()
	l := tlog.New(open(b).TransparencyLog())
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
