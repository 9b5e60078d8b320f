package marketplace_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// IBAN vectors: the examples of the ISO 13616 registry (SWIFT's IBAN
// registry publishes one per country) and the French example of the
// Banque de France.
func TestNormalizeIBAN(t *testing.T) {
	valid := map[string]string{
		"FR76 3000 6000 0112 3456 7890 189": "FR7630006000011234567890189",
		"fr1420041010050500013m02606":       "FR1420041010050500013M02606",
		"DE89 3704 0044 0532 0130 00":       "DE89370400440532013000",
		"GB82 WEST 1234 5698 7654 32":       "GB82WEST12345698765432",
		"BE68 5390 0754 7034":               "BE68539007547034",
	}
	for in, want := range valid {
		if got, ok := marketplace.NormalizeIBAN(in); !ok || got != want {
			t.Errorf("NormalizeIBAN(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"FR76 3000 6000 0112 3456 7890 188", // check fails
		"FR7630006000011234567890",          // French IBAN too short
		"DE88 3704 0044 0532 0130 00",       // wrong check digits
		"1276 3000 6000 0112 3456 7890 189", // no country
		"FR7A30006000011234567890189",       // letters as check digits
		"FR76-3000-6000-0112-3456-7890-189", // punctuation
		"", "FR76",
	} {
		if _, ok := marketplace.NormalizeIBAN(in); ok {
			t.Errorf("NormalizeIBAN(%q) accepted", in)
		}
	}
}

func FuzzNormalizeIBAN(f *testing.F) {
	f.Add("FR76 3000 6000 0112 3456 7890 189")
	f.Add("GB82WEST12345698765432")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := marketplace.NormalizeIBAN(s)
		if !ok {
			return
		}
		if again, ok2 := marketplace.NormalizeIBAN(got); !ok2 || again != got {
			t.Errorf("a normalised IBAN %q does not normalise to itself", got)
		}
		if strings.ContainsAny(got, " abcdefghijklmnopqrstuvwxyz") || len(got) < 15 || len(got) > 34 {
			t.Errorf("NormalizeIBAN(%q) = %q", s, got)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"06 12 34 56 78": "+33612345678", "01.23.45.67.89": "+33123456789", "+33 6 12 34 56 78": "+33612345678",
		"+49 30 1234567": "+49301234567",
	} {
		if got, ok := marketplace.NormalizePhone(in); !ok || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"0612", "+33 06 12 34 56 78", "00 33 6 12 34 56 78", "06 12 34 56 7a", "+1234"} {
		if got, ok := marketplace.NormalizePhone(in); ok {
			t.Errorf("NormalizePhone(%q) accepted as %q", in, got)
		}
	}
}

type notices struct {
	mu   sync.Mutex
	sent []marketplace.Notice
}

func (n *notices) Notify(_ context.Context, x marketplace.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, x)
	return nil
}

// A change of contact or bank details is recorded, notified to the
// previous details, and holds purchases for the cooling-off period, with
// an error that says until when.
func TestContactChangeCoolsOffPurchases(t *testing.T) {
	now := parisNoon(2026, 3, 2)
	sent := &notices{}
	e := newEnv(t, now, day(2026, 4, 20), func(c *marketplace.EnrolmentConfig) {
		c.CoolingOff = 72 * time.Hour
		c.Notifier = sent
	})
	ctx := context.Background()
	learner := e.learner(3000_00, marketplace.Account{})
	other := e.learner(0, marketplace.Account{})

	if _, err := e.svc.SetContact(ctx, other, learner.AccountID, marketplace.ContactInput{Email: "x@y.fr"}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("another learner changes the details: %v", err)
	}
	if _, err := e.svc.SetContact(ctx, marketplace.Party{Admin: true}, learner.AccountID, marketplace.ContactInput{Email: "x@y.fr"}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("an administrator changes the details: %v", err)
	}
	_, err := e.svc.SetContact(ctx, learner, learner.AccountID, marketplace.ContactInput{Email: "nope", Phone: "12", IBAN: "FR76 3000 6000 0112 3456 7890 188"})
	var v *marketplace.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 3 {
		t.Fatalf("bad input: %v, want three fields at fault", err)
	}
	if c, _ := e.svc.Contact(ctx, learner, learner.AccountID); c.Email != "" || c.Version != 0 {
		t.Errorf("bad input changed the details: %+v", c)
	}

	// First details: no cooling-off, no notice.
	c, err := e.svc.SetContact(ctx, learner, learner.AccountID, marketplace.ContactInput{Email: "ana@exemple.fr", Phone: "06 12 34 56 78", IBAN: "FR76 3000 6000 0112 3456 7890 189"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Phone != "+33612345678" || c.IBAN != "FR7630006000011234567890189" || !c.ChangedAt.IsZero() || len(sent.sent) != 0 {
		t.Errorf("first details: %+v, notices %d", c, len(sent.sent))
	}
	d := e.toAccepted(learner) // buying goes on
	_ = d

	// A change: recorded, notified to the previous address, purchases wait.
	e.clock.set(now.Add(time.Hour))
	c, err = e.svc.SetContact(ctx, learner, learner.AccountID, marketplace.ContactInput{Email: "pirate@exemple.com", Phone: "06 12 34 56 78", IBAN: "DE89 3704 0044 0532 0130 00"})
	if err != nil {
		t.Fatal(err)
	}
	at, err := e.svc.ContactChangedAt(ctx, learner.AccountID)
	if err != nil || !at.Equal(now.Add(time.Hour).UTC()) {
		t.Errorf("ContactChangedAt = %v, %v; want %v", at, err, now.Add(time.Hour))
	}
	if _, what, err := e.svc.LastContactChange(ctx, learner.AccountID); err != nil || what != "bank" {
		t.Errorf("LastContactChange names %q, %v; want bank (the IBAN changed)", what, err)
	}
	if len(sent.sent) != 1 || sent.sent[0].Email != "ana@exemple.fr" || !strings.Contains(sent.sent[0].Body, "coordonnées bancaires") {
		t.Fatalf("notices: %+v; want one to the previous address naming the bank details", sent.sent)
	}
	req, err := e.svc.Request(ctx, learner, key(), e.offer.ID, e.session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Propose(ctx, e.provider(), key(), req.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	before := e.balance(marketplace.LearnerAccount(learner.AccountID))
	_, err = e.svc.Accept(ctx, learner, key(), req.ID, true)
	var co *marketplace.CoolingOffError
	if !errors.As(err, &co) || !errors.Is(err, marketplace.ErrCoolingOff) || !co.Until.Equal(now.Add(73*time.Hour).UTC()) {
		t.Fatalf("Accept during the cooling-off: %v", err)
	}
	if got := e.balance(marketplace.LearnerAccount(learner.AccountID)); got != before {
		t.Errorf("the refused acceptance moved money: %d -> %d", before, got)
	}
	// Unchanged details: no new change, no notice.
	if _, err := e.svc.SetContact(ctx, learner, learner.AccountID, marketplace.ContactInput{Email: "pirate@exemple.com", Phone: "+33612345678", IBAN: "DE89370400440532013000"}); err != nil || len(sent.sent) != 1 {
		t.Errorf("same details again: %v, %d notices", err, len(sent.sent))
	}
	// After the period, the purchase goes through.
	e.clock.set(now.Add(73 * time.Hour))
	if _, err := e.svc.Accept(ctx, learner, key(), req.ID, true); err != nil {
		t.Errorf("Accept after the cooling-off: %v", err)
	}
	e.audit()
}
