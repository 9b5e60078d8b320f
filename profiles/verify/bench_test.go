package verify

import "testing"

// BenchmarkVerifyBundle measures a full offline verification: the
// credential's proof and key, the status list's proof and its 131,072
// entries inflated, the checkpoint's signature and the inclusion proof.
func BenchmarkVerifyBundle(b *testing.B) {
	w := newWorld(b)
	signed := w.issue(b, 3, w.issuerKey, w.issuerVM, issued)
	bundle := w.bundle(b, signed, 5)
	opts := w.trusted()
	b.ReportAllocs()
	for b.Loop() {
		if rep := Verify(bundle, opts); !rep.OK {
			b.Fatal(rep.Failed())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
}
