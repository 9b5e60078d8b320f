package marketplace_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// recorder is an Observer that remembers what it heard.
type recorder struct {
	saved   []string
	deleted []string
}

func (r *recorder) OfferSaved(o marketplace.Offer, _ []marketplace.Session) {
	r.saved = append(r.saved, o.ID+":"+string(o.Status))
}
func (r *recorder) OfferDeleted(id string) { r.deleted = append(r.deleted, id) }

var (
	admin = marketplace.Actor{Admin: true}
	ctx   = context.Background()
)

func newService(t *testing.T) (*marketplace.CatalogueService, *clock, *recorder) {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &clock{t: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)}
	svc := marketplace.NewCatalogueService(s, geo.Default(), c.now)
	rec := &recorder{}
	svc.Observe(rec)
	return svc, c, rec
}

func provider(n int, validUntil time.Time) marketplace.Provider {
	p := storetest.Provider(n)
	p.ID, p.CreatedAt, p.UpdatedAt = "", time.Time{}, time.Time{}
	p.Qualiopi.ValidUntil = validUntil
	return p
}

func offer(providerID string, status marketplace.Status) marketplace.Offer {
	o := storetest.Offer(1, providerID)
	o.ID, o.CreatedAt, o.UpdatedAt = "", time.Time{}, time.Time{}
	o.Department, o.Region, o.Lat, o.Lon = "", "", 0, 0
	o.Status = status
	return o
}

func TestOnlyAdminsRegisterProviders(t *testing.T) {
	svc, c, _ := newService(t)
	p := provider(1, c.t.AddDate(1, 0, 0))
	if _, err := svc.CreateProvider(ctx, marketplace.Actor{ProviderID: "x"}, p); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("provider registering: err = %v, want ErrForbidden", err)
	}
	bad := p
	bad.SIRET, bad.NDA, bad.Commune = "44306184100048", "12", "99999"
	_, err := svc.CreateProvider(ctx, admin, bad)
	var v *marketplace.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	var fields []string
	for _, f := range v.Fields {
		fields = append(fields, f.Field)
	}
	if diff := cmp.Diff([]string{"siret", "nda", "commune"}, fields); diff != "" {
		t.Errorf("fields at fault (-want +got):\n%s", diff)
	}
	got, err := svc.CreateProvider(ctx, admin, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || !got.CreatedAt.Equal(c.t) {
		t.Errorf("created provider = %+v", got)
	}
}

func TestPublishingNeedsValidQualiopi(t *testing.T) {
	svc, c, _ := newService(t)
	lapsed, err := svc.CreateProvider(ctx, admin, provider(1, c.t.AddDate(0, 0, -1)))
	if err != nil {
		t.Fatal(err)
	}
	me := marketplace.Actor{ProviderID: lapsed.ID}
	if _, err := svc.CreateOffer(ctx, me, offer(lapsed.ID, marketplace.Published)); !errors.Is(err, marketplace.ErrNotPublishable) {
		t.Errorf("publishing without Qualiopi: err = %v, want ErrNotPublishable", err)
	}
	draft, err := svc.CreateOffer(ctx, me, offer(lapsed.ID, marketplace.Draft))
	if err != nil {
		t.Fatalf("a draft needs no Qualiopi: %v", err)
	}
	draft.Status = marketplace.Published
	if _, err := svc.UpdateOffer(ctx, me, draft, time.Time{}); !errors.Is(err, marketplace.ErrNotPublishable) {
		t.Errorf("publishing a draft without Qualiopi: err = %v, want ErrNotPublishable", err)
	}
	// Valid until today included.
	today, _ := svc.CreateProvider(ctx, admin, provider(2, c.t.Truncate(24*time.Hour)))
	if _, err := svc.CreateOffer(ctx, marketplace.Actor{ProviderID: today.ID}, offer(today.ID, marketplace.Published)); err != nil {
		t.Errorf("certificate valid until today: %v", err)
	}
}

func TestProvidersOnlyChangeTheirOwnOffers(t *testing.T) {
	svc, c, _ := newService(t)
	a, _ := svc.CreateProvider(ctx, admin, provider(1, c.t.AddDate(1, 0, 0)))
	b, _ := svc.CreateProvider(ctx, admin, provider(2, c.t.AddDate(1, 0, 0)))
	asA, asB := marketplace.Actor{ProviderID: a.ID}, marketplace.Actor{ProviderID: b.ID}
	if _, err := svc.CreateOffer(ctx, asB, offer(a.ID, marketplace.Draft)); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("B creating for A: err = %v", err)
	}
	o, err := svc.CreateOffer(ctx, asA, offer(a.ID, marketplace.Published))
	if err != nil {
		t.Fatal(err)
	}
	if o.Department != "69" || o.Region != "84" || o.Lat == 0 {
		t.Errorf("place not resolved from the commune: %+v", o)
	}
	changed := o
	changed.Title = "Détourné"
	if _, err := svc.UpdateOffer(ctx, asB, changed, time.Time{}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("B updating A's offer: err = %v", err)
	}
	if err := svc.DeleteOffer(ctx, asB, o.ID); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("B deleting A's offer: err = %v", err)
	}
	sess := marketplace.Session{OfferID: o.ID, Start: c.t.AddDate(0, 1, 0), End: c.t.AddDate(0, 2, 0), Seats: 5}
	if _, err := svc.AddSession(ctx, asB, sess); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("B adding a session to A's offer: err = %v", err)
	}
	stolen := changed
	stolen.ProviderID = b.ID
	if _, err := svc.UpdateOffer(ctx, asA, stolen, time.Time{}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("moving an offer to another provider: err = %v, want ErrInvalid", err)
	}
	got, _ := svc.Store().Offer(ctx, o.ID)
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("refused changes altered the offer (-want +got):\n%s", diff)
	}
	if ss, _ := svc.Store().Sessions(ctx, o.ID); len(ss) != 0 {
		t.Errorf("refused session was stored: %v", ss)
	}
	if _, err := svc.UpdateOffer(ctx, admin, changed, time.Time{}); err != nil {
		t.Errorf("admin updating: %v", err)
	}
}

func TestStaleVersionIsAConflict(t *testing.T) {
	svc, c, _ := newService(t)
	p, _ := svc.CreateProvider(ctx, admin, provider(1, c.t.AddDate(1, 0, 0)))
	me := marketplace.Actor{ProviderID: p.ID}
	o, _ := svc.CreateOffer(ctx, me, offer(p.ID, marketplace.Draft))
	first := o
	first.Title = "Première modification"
	if _, err := svc.UpdateOffer(ctx, me, first, o.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	second := o
	second.Title = "Seconde, sur une version périmée"
	if _, err := svc.UpdateOffer(ctx, me, second, o.UpdatedAt); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	got, _ := svc.Store().Offer(ctx, o.ID)
	if got.Title != first.Title {
		t.Errorf("title = %q, want the first update", got.Title)
	}
}

func TestLapsedQualiopiUnpublishes(t *testing.T) {
	svc, c, rec := newService(t)
	p, _ := svc.CreateProvider(ctx, admin, provider(1, c.t.AddDate(0, 0, 10)))
	me := marketplace.Actor{ProviderID: p.ID}
	pub, _ := svc.CreateOffer(ctx, me, offer(p.ID, marketplace.Published))
	draft, _ := svc.CreateOffer(ctx, me, offer(p.ID, marketplace.Draft))
	other, _ := svc.CreateProvider(ctx, admin, provider(2, c.t.AddDate(1, 0, 0)))
	kept, _ := svc.CreateOffer(ctx, marketplace.Actor{ProviderID: other.ID}, offer(other.ID, marketplace.Published))

	if n, err := svc.UnpublishLapsed(ctx); err != nil || n != 0 {
		t.Fatalf("before expiry: %d, %v", n, err)
	}
	c.t = c.t.AddDate(0, 0, 11)
	if n, err := svc.UnpublishLapsed(ctx); err != nil || n != 1 {
		t.Fatalf("after expiry: unpublished %d, %v; want 1", n, err)
	}
	for id, want := range map[string]marketplace.Status{pub.ID: marketplace.Unpublished, draft.ID: marketplace.Draft, kept.ID: marketplace.Published} {
		if got, _ := svc.Store().Offer(ctx, id); got.Status != want {
			t.Errorf("offer %s: status %s, want %s", id, got.Status, want)
		}
	}
	if last := rec.saved[len(rec.saved)-1]; last != pub.ID+":unpublished" {
		t.Errorf("observers last heard %q, want the unpublication", last)
	}
	if n, _ := svc.UnpublishLapsed(ctx); n != 0 {
		t.Errorf("second run unpublished %d more", n)
	}
}

func TestObserversFollowWrites(t *testing.T) {
	svc, c, rec := newService(t)
	p, _ := svc.CreateProvider(ctx, admin, provider(1, c.t.AddDate(1, 0, 0)))
	o, _ := svc.CreateOffer(ctx, admin, offer(p.ID, marketplace.Published))
	if err := svc.DeleteOffer(ctx, admin, o.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{o.ID + ":published"}, rec.saved); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{o.ID}, rec.deleted); diff != "" {
		t.Error(diff)
	}
}
