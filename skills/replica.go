package skills

import (
	"context"
	"fmt"

	"github.com/parcours/parcours/marketplace"
)

// A replica of the service over a shared database keeps the embedded graph
// in memory like a single process does, and follows the records the other
// replicas write (store/mongo's change feed) with Refresh and Reload.

// Refresh applies records another process wrote to the store, in memory
// only: they are in the store already. Applying a record again is
// harmless, so a replica may refresh its own writes.
func (g *Embedded) Refresh(b Batch) {
	normalise(&b)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.applyMemory(b)
}

// Reload reads every record of the store again and replaces what memory
// holds of them; the trainings (offers, which come from the marketplace
// store) stay.
func (g *Embedded) Reload(ctx context.Context) error {
	if g.store == nil {
		return nil
	}
	fresh, err := NewEmbedded(ctx, g.store)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.skills, g.byLabel, g.occs, g.certs, g.jobs = fresh.skills, fresh.byLabel, fresh.occs, fresh.certs, fresh.jobs
	g.edges, g.out, g.in, g.outcome, g.hiring = fresh.edges, fresh.out, fresh.in, fresh.outcome, fresh.hiring
	return nil
}

// RebuildOffers replaces the trainings with the published offers of
// store, as after a bulk load of the catalogue.
func (g *Embedded) RebuildOffers(ctx context.Context, store marketplace.OfferStore) error {
	fresh, err := NewEmbedded(ctx, nil)
	if err != nil {
		return err
	}
	if err := fresh.Build(ctx, store); err != nil {
		return fmt.Errorf("reading the trainings: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.offers, g.byCert = fresh.offers, fresh.byCert
	return nil
}
