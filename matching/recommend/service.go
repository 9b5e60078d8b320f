package recommend

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// Config tunes the service.
type Config struct {
	Options Options
	Model   ModelConfig
	// Retrain is how old a trained model may be before a batch trains a
	// new one: the shards of one run share the model (default 30 min).
	Retrain time.Duration
	// Shards splits the accounts of a batch (default 1).
	Shards int
}

// Service computes, stores and serves recommendations. It is safe for
// concurrent use.
type Service struct {
	src  Sources
	cfg  Config
	keys *search.Keys
	log  *slog.Logger
	now  func() time.Time
	// liveIndex, when set, filters served items (SetLive).
	liveIndex Live

	mu   sync.Mutex // serialises snapshot builds
	snap struct {
		sync.RWMutex
		cat      *Catalogue
		model    *Model
		accounts []Account
		built    time.Time
	}
}

// NewService returns a service over src. keys orders equal scores as
// search does; now may be nil for time.Now.
func NewService(src Sources, cfg Config, keys *search.Keys, now func() time.Time) *Service {
	if cfg.Retrain <= 0 {
		cfg.Retrain = 30 * time.Minute
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 1
	}
	if now == nil {
		now = time.Now
	}
	log := src.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if src.Flags == nil {
		log.Warn("recommendations: no control flags are read (controls.Flags is nil)")
	}
	return &Service{src: src, cfg: cfg, keys: keys, log: log, now: now}
}

// Shards returns the number of shards a batch splits the accounts into.
func (s *Service) Shards() int { return s.cfg.Shards }

// Shard returns the shard of an account.
func Shard(account string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(account))
	return int(h.Sum32() % uint32(shards))
}

// tie returns the tie-break of an account's ranking.
func (s *Service) tie(client string) Tie {
	if s.keys == nil {
		return func(id string) uint64 {
			h := fnv.New64a()
			h.Write([]byte(client + "\x00" + id))
			return h.Sum64()
		}
	}
	return s.keys.TieBreak(client, "recommendations").Of
}

// snapshot returns the current catalogue, model and accounts, reading and
// training anew when they are older than maxAge. Concurrent callers (the
// shards of one run) share one build.
func (s *Service) snapshot(ctx context.Context, maxAge time.Duration, train bool) (*Catalogue, *Model, []Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.RLock()
	cat, model, accounts, built := s.snap.cat, s.snap.model, s.snap.accounts, s.snap.built
	s.snap.RUnlock()
	if cat != nil && s.now().Sub(built) < maxAge && (!train || model != nil) {
		return cat, model, accounts, nil
	}
	start := time.Now()
	if !train {
		// On demand, without a recent batch in this process: the
		// catalogue alone, without every account's inputs, and no model
		// (its offers are indexed by the catalogue it was trained with).
		cat, err := s.src.catalogue(ctx, nil, s.now())
		if err != nil {
			return nil, nil, nil, err
		}
		s.snap.Lock()
		s.snap.cat, s.snap.model, s.snap.accounts, s.snap.built = cat, nil, nil, s.now()
		s.snap.Unlock()
		return cat, nil, nil, nil
	}
	cat, accounts, err := s.src.snapshotInputs(ctx, s.now())
	if err != nil {
		return nil, nil, nil, err
	}
	read := time.Since(start)
	if train {
		model = Train(cat, accounts, s.cfg.Model)
	}
	s.log.Info("recommendations: inputs read and model trained", "offers", len(cat.Offers), "accounts", len(accounts),
		"read", read, "train", time.Since(start)-read, "model", modelVersion(model))
	s.snap.Lock()
	s.snap.cat, s.snap.model, s.snap.accounts, s.snap.built = cat, model, accounts, s.now()
	s.snap.Unlock()
	return cat, model, accounts, nil
}

func modelVersion(m *Model) string {
	if m == nil {
		return ""
	}
	return m.Version
}

// Group returns an account's profile group in the current model, -1 when
// it has none (no model, or no history when it was trained).
func (s *Service) Group(account string) int {
	s.snap.RLock()
	defer s.snap.RUnlock()
	if s.snap.model == nil {
		return -1
	}
	return s.snap.model.Group(account)
}

// ForgetSnapshot makes the next batch read its inputs and train again.
func (s *Service) ForgetSnapshot() {
	s.snap.Lock()
	s.snap.cat, s.snap.model, s.snap.accounts = nil, nil, nil
	s.snap.Unlock()
}

// RefreshStats says what a refresh did.
type RefreshStats struct {
	Accounts   int // accounts of the shard
	Recomputed int // accounts whose inputs changed (or all, on a full refresh)
	Model      string
}

// Refresh recomputes the stored top-K of one shard's accounts whose inputs
// changed since their stored result (every account of the shard when full
// is set), retraining the model when it is older than Config.Retrain.
// progress, when set, is called as accounts are done.
func (s *Service) Refresh(ctx context.Context, shard int, full bool, progress func(done, total int)) (RefreshStats, error) {
	if shard < 0 || shard >= s.cfg.Shards {
		return RefreshStats{}, fmt.Errorf("recommend: shard %d of %d", shard, s.cfg.Shards)
	}
	cat, model, accounts, err := s.snapshot(ctx, s.cfg.Retrain, true)
	if err != nil {
		return RefreshStats{}, err
	}
	stored := map[string]string{}
	err = s.src.Store.EachResultStamp(ctx, func(a, f string) error {
		if Shard(a, s.cfg.Shards) == shard {
			stored[a] = f
		}
		return nil
	})
	if err != nil {
		return RefreshStats{}, err
	}
	var todo []*Account
	st := RefreshStats{Model: model.Version}
	for i := range accounts {
		a := &accounts[i]
		if Shard(a.ID, s.cfg.Shards) != shard {
			continue
		}
		st.Accounts++
		if full || stored[a.ID] != stamp(a, s.now()) {
			todo = append(todo, a)
		}
	}
	st.Recomputed = len(todo)
	if progress != nil {
		progress(0, len(todo))
	}
	err = RankAll(ctx, cat, model, todo, s.tie, s.cfg.Options, s.now(), func(rs []Result) error {
		for i := 0; i < len(rs); i += 512 {
			if err := s.src.Store.PutResults(ctx, rs[i:min(i+512, len(rs))]); err != nil {
				return err
			}
		}
		return nil
	}, func(done int) {
		if progress != nil {
			progress(done, len(todo))
		}
	})
	return st, err
}

// RankAll ranks accounts on every core, a chunk at a time, and hands each
// chunk's results to sink (in account order), so that the results of a
// whole shard are never all in memory. progress, when set, is called after
// each chunk.
func RankAll(ctx context.Context, cat *Catalogue, model *Model, accounts []*Account, tie func(string) Tie, opt Options, now time.Time,
	sink func([]Result) error, progress func(done int)) error {
	const chunk = 2048
	out := make([]Result, 0, chunk)
	for start := 0; start < len(accounts); start += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := accounts[start:min(start+chunk, len(accounts))]
		out = out[:len(part)]
		parallel(len(part), func(i int) {
			a := part[i]
			out[i] = Result{Account: a.ID, Items: Rank(cat, model, a, tie(a.ID), opt), Fingerprint: stamp(a, now), Model: modelVersion(model), ComputedAt: now}
		})
		if err := sink(out); err != nil {
			return err
		}
		if progress != nil {
			progress(start + len(part))
		}
	}
	return nil
}

// ForAccount returns an account's recommendations: the stored result when
// its inputs have not changed since, else a result computed now (with the
// model of this process's last batch, if any) and stored. Items no longer
// available are left out.
func (s *Service) ForAccount(ctx context.Context, account string) (Result, error) {
	a, err := s.src.account(ctx, account)
	if err != nil {
		return Result{}, err
	}
	fp := stamp(&a, s.now())
	r, err := s.src.Store.Result(ctx, account)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Result{}, err
	}
	if err != nil || r.Fingerprint != fp {
		cat, model, _, err := s.snapshot(ctx, 24*time.Hour, false)
		if err != nil {
			return Result{}, err
		}
		r = Result{Account: account, Items: Rank(cat, model, &a, s.tie(account), s.cfg.Options), Fingerprint: fp, Model: modelVersion(model), ComputedAt: s.now()}
		if err := s.src.Store.PutResults(ctx, []Result{r}); err != nil {
			return Result{}, err
		}
	}
	r.Items, err = s.live(ctx, r.Items)
	return r, err
}

// ForContext recommends to an anonymous visitor from an occupation they
// aim at and their commune: skills (all the occupation requires) and
// local return. client orders equal scores.
func (s *Service) ForContext(ctx context.Context, occupation, commune, client string, limit int) ([]Item, error) {
	a := Account{ID: "", Commune: commune}
	s.src.place(&a)
	if occupation != "" && s.src.Graph != nil {
		v, err := s.src.Graph.Occupation(ctx, occupation)
		if err != nil {
			return nil, err
		}
		n := Need{Occupation: occupation, Label: v.Occupation.Label, Chosen: true}
		for _, r := range v.Requires {
			n.Missing = append(n.Missing, r.Skill.ID)
		}
		if len(n.Missing) > 0 {
			a.Needs = []Need{n}
		}
	}
	cat, _, _, err := s.snapshot(ctx, 24*time.Hour, false)
	if err != nil {
		return nil, err
	}
	opt := s.cfg.Options
	opt.TopK = limit
	items := Rank(cat, nil, &a, s.tie(client+"\x00"+occupation+"\x00"+commune), opt)
	// For a visitor, the skills "they lack" are all the occupation requires.
	for i := range items {
		for j := range items[i].Reasons {
			r := &items[i].Reasons[j]
			if r.Source == Skills {
				r.Text = fmt.Sprintf("Couvre %s des %s qu’exige le métier %s", frNumber(r.Covered), plural(r.Missing, "compétence", "compétences"), a.Needs[0].Label)
			}
		}
	}
	return s.live(ctx, items)
}

// Live tells whether an offer may still be shown: published with a session
// ahead. *search.Index implements it.
type Live interface {
	Offer(id string) (search.Hit, bool)
}

// SetLive makes served results leave out the offers that stopped being
// available since they were computed.
func (s *Service) SetLive(l Live) { s.liveIndex = l }

func (s *Service) live(ctx context.Context, items []Item) ([]Item, error) {
	out := items[:0:0]
	today := s.now().Truncate(24 * time.Hour)
	for _, it := range items {
		if s.liveIndex != nil {
			h, ok := s.liveIndex.Offer(it.Offer)
			if !ok {
				continue
			}
			ahead := false
			for _, se := range h.Sessions {
				ahead = ahead || se.Start.After(today)
			}
			if !ahead {
				continue
			}
		}
		if s.src.Flags != nil {
			flagged, err := s.src.Flags.FlaggedOffer(ctx, it.Offer)
			if err != nil {
				return nil, err
			}
			if flagged {
				continue
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// Preferences returns an account's preferences (the zero preferences of
// the account when it never gave any).
func (s *Service) Preferences(ctx context.Context, account string) (Preferences, error) {
	p, err := s.src.Store.Preferences(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return Preferences{Account: account}, nil
	}
	return p, err
}

// SetPreferences checks and stores an account's targets, commune and
// consent; a bad field is a *marketplace.ValidationError and changes
// nothing.
func (s *Service) SetPreferences(ctx context.Context, p Preferences) (Preferences, error) {
	occupationKnown := func(code string) bool {
		if s.src.Graph == nil {
			return false
		}
		_, err := s.src.Graph.Occupation(ctx, code)
		return err == nil
	}
	communeKnown := func(code string) bool {
		if s.src.Places == nil {
			return false
		}
		_, ok := s.src.Places.Commune(code)
		return ok
	}
	if err := p.Validate(occupationKnown, communeKnown); err != nil {
		return Preferences{}, err
	}
	if p.Targets == nil {
		p.Targets = []string{}
	}
	p.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := s.src.Store.PutPreferences(ctx, p); err != nil {
		return Preferences{}, err
	}
	return s.Preferences(ctx, p.Account)
}

// RecordView records that an account viewed an offer, when it consented;
// it reports whether it did.
func (s *Service) RecordView(ctx context.Context, account, offer string) (bool, error) {
	if _, err := s.src.Offers.Offer(ctx, offer); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, &marketplace.ValidationError{Fields: []marketplace.FieldError{{Field: "offer_id", Reason: "no such offer"}}}
		}
		return false, err
	}
	return s.src.Store.AddView(ctx, account, View{Offer: offer, At: s.now().UTC().Truncate(time.Millisecond)})
}

// Store returns the service's store.
func (s *Service) Store() Store { return s.src.Store }
