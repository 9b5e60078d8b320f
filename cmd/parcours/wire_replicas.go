package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/mongo"
)

// Several replicas over one MongoDB database each keep in memory: the
// search index, the embedded skills graph (its records and the trainings)
// and the neutrality indicators. The change feed (store/mongo) carries the
// other replicas' writes to them; replicaCaches hands each change to what
// it concerns. What stays per replica on purpose is listed in
// docs/deploy.md.

// replicaCaches is this replica's in-memory state as the change feed's
// follower.
type replicaCaches struct{ a *app }

var (
	_ marketplace.Observer     = replicaCaches{}
	_ mongo.GraphFollower      = replicaCaches{}
	_ mongo.NeutralityFollower = replicaCaches{}
)

// embedded returns the in-memory graph, nil with a graph server (Neo4j),
// which every replica reads directly and which the writer already told.
func (r replicaCaches) embedded() *skills.Embedded {
	g, _ := r.a.graph.(*skills.Embedded)
	return g
}

func (r replicaCaches) OfferSaved(o marketplace.Offer, ss []marketplace.Session) {
	r.a.index.OfferSaved(o, ss)
	if g := r.embedded(); g != nil {
		g.OfferSaved(o, ss)
	}
}

func (r replicaCaches) OfferDeleted(id string) {
	r.a.index.OfferDeleted(id)
	if g := r.embedded(); g != nil {
		g.OfferDeleted(id)
	}
}

func (r replicaCaches) Refresh(b skills.Batch) {
	if g := r.embedded(); g != nil {
		g.Refresh(b)
	}
}

func (r replicaCaches) Reload(ctx context.Context) error {
	if g := r.embedded(); g != nil {
		return g.Reload(ctx)
	}
	return nil
}

func (r replicaCaches) SetNeutrality(ind search.Indicators) { r.a.monitor.Set(ind) }

// rebuildCatalogue reads the whole catalogue again into the index and the
// graph's trainings, after a bulk load by another replica.
func (a *app) rebuildCatalogue(ctx context.Context) error {
	if err := a.index.Build(ctx, a.store); err != nil {
		return err
	}
	if g, ok := a.graph.(*skills.Embedded); ok {
		return g.RebuildOffers(ctx, a.store)
	}
	return nil
}

// followReplicas keeps this replica's memory in step with the other
// replicas' writes, from change number after, until ctx ends.
func (a *app) followReplicas(ctx context.Context, after int64, log *slog.Logger) {
	a.mongo.Follow(ctx, after, a.cfg.Store.Mongo.PollInterval, replicaCaches{a}, a.rebuildCatalogue, log)
}

// measureNeutrality is the search-neutrality job: on a shared database the
// replica that runs a tick publishes its figures to the others.
func (a *app) measureNeutrality(ctx context.Context) error {
	if err := a.monitor.Run(ctx); err != nil {
		return err
	}
	if a.mongo == nil {
		return nil
	}
	if ind, ok := a.monitor.Latest(); ok {
		return a.mongo.PublishNeutrality(ctx, ind)
	}
	return nil
}

// keyFingerprint identifies the instance's secrets without revealing
// them: public keys, and MACs of a fixed text under the secret keys.
func keyFingerprint(sec *secrets.Secrets) string {
	h := sha256.New()
	h.Write(sec.TokenKey.Public().(ed25519.PublicKey))
	h.Write(sec.AttestationKey.Public().(ed25519.PublicKey))
	for _, k := range [][]byte{sec.NIRKey, sec.SearchKey, sec.PaymentWebhookKey} {
		m := hmac.New(sha256.New, k)
		m.Write([]byte("parcours: every replica holds the same keys"))
		h.Write(m.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil))
}
