package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// BenchDossiers returns n dossiers for the scan benchmarks.
func BenchDossiers(n int) []marketplace.Dossier {
	out := make([]marketplace.Dossier, n)
	for i := range out {
		out[i] = marketplace.Dossier{ID: fmt.Sprintf("d%08d", i), AccountID: fmt.Sprintf("a%07d", i%400_000), OfferID: fmt.Sprintf("o%06d", i%300_000),
			ProviderID: fmt.Sprintf("p%05d", i%3000), Title: "Formation", State: marketplace.ServiceDoneValidated, Billing: marketplace.Paid,
			PriceCents: 150000, PaidCents: 150000, RequestedAt: Time, AcceptedAt: Time, EnteredAt: Time.AddDate(0, 0, 15),
			ExitedAt: Time.AddDate(0, 1, 0), CompletionRate: 100, UpdatedAt: Time, Version: 6,
			Funding: []marketplace.Share{{From: marketplace.LearnerAccount("a"), Cents: 150000, Kind: "account"}}}
	}
	return out
}

// BenchEachDossier measures reading every dossier of s (holding n) as the
// nightly scan does; dossiers/s is the reading rate.
func BenchEachDossier(b *testing.B, s controls.DossierScanner, n int) {
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		count := 0
		if err := s.EachDossier(ctx, func(marketplace.Dossier) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("read %d dossiers, want %d", count, n)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "dossiers/s")
	}
}
