package recommend

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// Sources are where the recommender reads its signals.
type Sources struct {
	Store     Store
	Dossiers  DossierScanner
	Enrolment marketplace.EnrolmentStore
	Offers    marketplace.OfferStore
	Graph     skills.Graph
	// Market gives the local figures; nil silences the local-return
	// recommender.
	Market Market
	// Flags tells which offers a control flagged; nil reads no flag (and
	// the service says so in its log).
	Flags  controls.Flags
	Places *geo.Gazetteer
	Log    *slog.Logger
}

// Feedback weights of the signals. A dossier weighs more the further it
// went, and an evaluation moves it by its overall score.
const (
	weightRequested = 1
	weightAccepted  = 2
	weightCompleted = 3
	weightDropped   = 0.5 // refused or cancelled
	weightView      = 0.3
)

// dossierWeight returns the implicit feedback of a dossier, whether the
// worker followed the training, and the overall evaluation (0 if none).
func dossierWeight(d marketplace.Dossier, overall int) (float32, bool) {
	switch d.State {
	case marketplace.NotProcessed, marketplace.Validated:
		return weightRequested, false
	case marketplace.Accepted, marketplace.InTraining:
		return weightAccepted, true
	case marketplace.ServiceDoneDeclared, marketplace.ServiceDoneValidated:
		w := float32(weightCompleted)
		if overall > 0 {
			w += float32(overall-3) * 0.5 // 1 → 2, 5 → 4
		}
		return w, true
	}
	return weightDropped, false
}

// seatsTaken tells whether a dossier holds a seat of its session.
func seatsTaken(s marketplace.DossierState) bool {
	switch s {
	case marketplace.Validated, marketplace.Accepted, marketplace.InTraining, marketplace.ServiceDoneDeclared, marketplace.ServiceDoneValidated:
		return true
	}
	return false
}

// history turns an account's dossiers and consented views into events.
func history(ds []marketplace.Dossier, overall map[string]int, p Preferences) []Event {
	var ev []Event
	for _, d := range ds {
		w, followed := dossierWeight(d, overall[d.ID])
		ev = append(ev, Event{Offer: d.OfferID, Weight: w, Dossier: true, Followed: followed, At: d.RequestedAt})
	}
	if p.ViewsConsent {
		for _, v := range p.Views {
			ev = append(ev, Event{Offer: v.Offer, Weight: weightView, At: v.At})
		}
	}
	slices.SortStableFunc(ev, func(a, b Event) int { return a.At.Compare(b.At) })
	return ev
}

// needs reads what the worker lacks for their targets and, when they chose
// none, for the occupations nearest their skills; with targets, the
// occupation nearest the first target too.
func needs(ctx context.Context, g skills.Graph, account string, targets []string) ([]Need, error) {
	var out []Need
	add := func(occ string, chosen bool) error {
		for _, n := range out {
			if n.Occupation == occ {
				return nil
			}
		}
		gap, err := g.Gap(ctx, account, skills.Target{Occupation: occ})
		if errors.Is(err, skills.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n := Need{Occupation: occ, Label: gap.Label, Chosen: chosen}
		for _, m := range gap.Missing {
			n.Missing = append(n.Missing, m.Skill.ID)
		}
		slices.Sort(n.Missing)
		if len(n.Missing) > 0 {
			out = append(out, n)
		}
		return nil
	}
	for _, t := range targets {
		if err := add(t, true); err != nil {
			return nil, err
		}
	}
	if len(targets) > 0 {
		near, err := g.NearOccupations(ctx, targets[0], 1)
		if err != nil && !errors.Is(err, skills.ErrNotFound) {
			return nil, err
		}
		for _, n := range near {
			if err := add(n.Occupation.ID, false); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	ps, err := g.Passerelles(ctx, account, 3)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Missing > 0 {
			if err := add(p.Occupation.ID, false); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// stamp is what a stored result is compared with: the fingerprint of the
// account's inputs and the week it was computed in, so that every result
// is recomputed at least once a week (offers come and go; an unchanged
// account's list would otherwise only shrink as its offers close).
func stamp(a *Account, now time.Time) string {
	y, w := now.UTC().ISOWeek()
	return fmt.Sprintf("%s.%d-%02d", fingerprint(a), y, w)
}

// fingerprint digests an account's inputs.
func fingerprint(a *Account) string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(a.ID)
	w(a.Commune)
	for _, e := range a.History {
		w(e.Offer)
		var b [6]byte
		binary.LittleEndian.PutUint32(b[:4], math.Float32bits(e.Weight))
		if e.Dossier {
			b[4] = 1
		}
		if e.Followed {
			b[5] = 1
		}
		h.Write(b[:])
	}
	for _, n := range a.Needs {
		w(n.Occupation)
		w(fmt.Sprint(n.Chosen, n.Missing))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// place fills an account's department and region from its commune.
func (s *Sources) place(a *Account) {
	if a.Commune == "" || s.Places == nil {
		return
	}
	a.Department, a.Region, _, _, _ = s.Places.Place(a.Commune)
}

// account reads one account's signals.
func (s *Sources) account(ctx context.Context, id string) (Account, error) {
	a := Account{ID: id}
	p, err := s.Store.Preferences(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return a, err
	}
	var ds []marketplace.Dossier
	overall := map[string]int{}
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		list, next, err := s.Enrolment.Dossiers(ctx, marketplace.DossierFilter{AccountID: id}, page)
		if err != nil {
			return a, err
		}
		for _, d := range list {
			if d.Evaluated {
				if e, err := s.Enrolment.Evaluation(ctx, d.ID); err == nil {
					overall[d.ID] = e.Scores[len(e.Scores)-1]
				} else if !errors.Is(err, ErrNotFound) {
					return a, err
				}
			}
		}
		ds = append(ds, list...)
		if next == "" {
			break
		}
		page.After = next
	}
	return s.assemble(ctx, id, ds, overall, p)
}

func (s *Sources) assemble(ctx context.Context, id string, ds []marketplace.Dossier, overall map[string]int, p Preferences) (Account, error) {
	a := Account{ID: id, Commune: p.Commune, History: history(ds, overall, p)}
	s.place(&a)
	if s.Graph != nil {
		var err error
		if a.Needs, err = needs(ctx, s.Graph, id, p.Targets); err != nil {
			return a, err
		}
	}
	return a, nil
}

// snapshotInputs reads everything a batch needs: the catalogue and every
// account with a dossier or preferences.
func (s *Sources) snapshotInputs(ctx context.Context, now time.Time) (*Catalogue, []Account, error) {
	byAccount := map[string][]marketplace.Dossier{}
	taken := map[string]int{} // session ID -> seats held
	err := s.Dossiers.EachDossier(ctx, func(d marketplace.Dossier) error {
		byAccount[d.AccountID] = append(byAccount[d.AccountID], d)
		if seatsTaken(d.State) {
			taken[d.OfferID+"\x00"+d.SessionID]++
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the dossiers: %w", err)
	}
	overall := map[string]int{}
	err = s.Dossiers.EachEvaluation(ctx, func(e marketplace.Evaluation) error {
		overall[e.DossierID] = e.Scores[len(e.Scores)-1]
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the evaluations: %w", err)
	}
	prefs := map[string]Preferences{}
	if err := s.Store.EachPreferences(ctx, func(p Preferences) error { prefs[p.Account] = p; return nil }); err != nil {
		return nil, nil, fmt.Errorf("reading the preferences: %w", err)
	}
	cat, err := s.catalogue(ctx, taken, now)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(byAccount)+len(prefs))
	for id := range byAccount {
		ids = append(ids, id)
	}
	for id := range prefs {
		if _, ok := byAccount[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	accounts := make([]Account, 0, len(ids))
	for _, id := range ids {
		a, err := s.assemble(ctx, id, byAccount[id], overall, prefs[id])
		if err != nil {
			return nil, nil, err
		}
		accounts = append(accounts, a)
	}
	return cat, accounts, nil
}

// catalogue reads every offer with its sessions and what the graph says of
// its certification. taken maps offer and session IDs to held seats (nil:
// counted from the dossiers now, for an on-demand catalogue).
func (s *Sources) catalogue(ctx context.Context, taken map[string]int, now time.Time) (*Catalogue, error) {
	if taken == nil {
		taken = map[string]int{}
		err := s.Dossiers.EachDossier(ctx, func(d marketplace.Dossier) error {
			if seatsTaken(d.State) {
				taken[d.OfferID+"\x00"+d.SessionID]++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var offers []Offer
	codes := map[string]bool{}
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		list, next, err := s.Offers.Offers(ctx, marketplace.OfferFilter{}, page)
		if err != nil {
			return nil, fmt.Errorf("reading the offers: %w", err)
		}
		for _, o := range list {
			ro := Offer{ID: o.ID, ProviderID: o.ProviderID, Title: o.Title, Certification: o.Certification.Code,
				Department: o.Department, Region: o.Region, Distance: o.Modality == marketplace.Distance, PriceCents: o.PriceCents}
			if o.Status == marketplace.Published {
				sessions, err := s.Offers.Sessions(ctx, o.ID)
				if err != nil {
					return nil, err
				}
				for _, se := range sessions {
					if se.Start.After(today) && taken[o.ID+"\x00"+se.ID] < se.Seats {
						ro.Available, ro.NextSession = true, se.Start
						break
					}
				}
			}
			if ro.Available && s.Flags != nil {
				flagged, err := s.Flags.FlaggedOffer(ctx, o.ID)
				if err != nil {
					return nil, fmt.Errorf("reading the control flags: %w", err)
				}
				ro.Available = !flagged
			}
			codes[ro.Certification] = true
			offers = append(offers, ro)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	if s.Graph != nil {
		list := make([]string, 0, len(codes))
		for c := range codes {
			list = append(list, c)
		}
		slices.Sort(list)
		certs, err := graphCerts(ctx, s.Graph, list)
		if err != nil {
			return nil, fmt.Errorf("reading the certifications in the skills graph: %w", err)
		}
		for i := range offers {
			if ci := certs[offers[i].Certification]; ci != nil {
				offers[i].Formacodes, offers[i].Teaches, offers[i].Occupations = ci.formacodes, ci.teaches, ci.occupations
			}
		}
	}
	return NewCatalogue(offers, s.Market), nil
}
