package profiles

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// ErrExpired is returned for a share link past its expiry.
var ErrExpired = errors.New("the share link has expired")

// Accounts finds a worker's training account from their NIR, which issuers
// know them by; the NIR itself is never kept.
type Accounts interface {
	// AccountByNIR returns the account ID of a valid NIR, ErrNotFound if
	// no account has it.
	AccountByNIR(ctx context.Context, nir string) (string, error)
}

// Service runs career profiles: the workers' lines, the issuers' attestations,
// share links. It is safe for concurrent use.
type Service struct {
	store       Store
	employments Employments
	accounts    Accounts
	graph       skills.Graph
	notary      *Notary
	now         func() time.Time
	log         *slog.Logger
	newID       func() string
}

// Config is what a Service needs. Store is required; Notary is required
// for everything that signs.
type Config struct {
	Store       Store
	Employments Employments // who declared whom (employer attestation check)
	Accounts    Accounts    // NIR -> account, for issuers
	// Graph, when set, receives attested skills and names the skills a
	// certification covers.
	Graph  skills.Graph
	Notary *Notary
	Now    func() time.Time
	Log    *slog.Logger
}

// NewService returns the service.
func NewService(cfg Config) *Service {
	s := &Service{store: cfg.Store, employments: cfg.Employments, accounts: cfg.Accounts, graph: cfg.Graph,
		notary: cfg.Notary, now: cfg.Now, log: cfg.Log, newID: func() string { return uuid.Must(uuid.NewV7()).String() }}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Store returns the profiles store.
func (s *Service) Store() Store { return s.store }

// Notary returns the signing and logging side of the service.
func (s *Service) Notary() *Notary { return s.notary }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Profile lists a person's lines, most recent first: ongoing periods, then
// by end or start day, then by title.
func (s *Service) Profile(ctx context.Context, person string) ([]Entry, error) {
	es, err := s.store.ProfileEntries(ctx, person)
	if err != nil {
		return nil, err
	}
	SortEntries(es)
	return es, nil
}

// SortEntries orders lines for display: by kind (employment, training,
// certification, skill), then most recent first, then by title.
func SortEntries(es []Entry) {
	rank := map[Kind]int{Employment: 0, Training: 1, Certification: 2, SkillLine: 3}
	last := func(e Entry) time.Time {
		if e.End.IsZero() && !e.Start.IsZero() {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return cmp.Or(e.End, e.Start)
	}
	slices.SortStableFunc(es, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(rank[a.Kind], rank[b.Kind]), last(b).Compare(last(a)), b.Start.Compare(a.Start),
			cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID))
	})
}

// Entry returns one line of a person.
func (s *Service) Entry(ctx context.Context, person, id string) (Entry, error) {
	return s.store.ProfileEntry(ctx, person, id)
}

// AddDeclared adds a line in the worker's own words.
func (s *Service) AddDeclared(ctx context.Context, person string, e Entry) (Entry, error) {
	if person == "" {
		return Entry{}, fmt.Errorf("no person: %w", ErrForbidden)
	}
	now := s.clock()
	e.ID, e.PersonID, e.Evidence, e.CredentialID, e.IssuerID, e.Revoked = s.newID(), person, Declared, "", "", false
	e.Start, e.End = Day(e.Start), Day(e.End)
	e.CreatedAt, e.UpdatedAt = now, now
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if err := s.checkSkills(ctx, e); err != nil {
		return Entry{}, err
	}
	existing, err := s.store.ProfileEntries(ctx, person)
	if err != nil {
		return Entry{}, err
	}
	if len(existing) >= MaxEntriesPerPerson {
		var v marketplace.ValidationError
		v.Add("body", "a profile holds at most %d lines", MaxEntriesPerPerson)
		return Entry{}, &v
	}
	if err := s.store.CreateProfileEntry(ctx, e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// UpdateDeclared replaces a declared line; attested lines change only
// through their issuer.
func (s *Service) UpdateDeclared(ctx context.Context, person, id string, e Entry) (Entry, error) {
	old, err := s.store.ProfileEntry(ctx, person, id)
	if err != nil {
		return Entry{}, err
	}
	if old.Evidence != Declared {
		return Entry{}, fmt.Errorf("an attested line is changed only by its issuer: %w", ErrConflict)
	}
	e.ID, e.PersonID, e.Evidence, e.CredentialID, e.IssuerID, e.Revoked = id, person, Declared, "", "", false
	e.Start, e.End = Day(e.Start), Day(e.End)
	e.CreatedAt, e.UpdatedAt = old.CreatedAt, s.clock()
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if err := s.checkSkills(ctx, e); err != nil {
		return Entry{}, err
	}
	if err := s.store.PutProfileEntry(ctx, e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// DeleteDeclared deletes a declared line (the worker's right to erasure);
// attested lines stay, as the issuer's record.
func (s *Service) DeleteDeclared(ctx context.Context, person, id string) error {
	old, err := s.store.ProfileEntry(ctx, person, id)
	if err != nil {
		return err
	}
	if old.Evidence != Declared {
		return fmt.Errorf("an attested line cannot be deleted by the worker; ask its issuer to revoke it: %w", ErrConflict)
	}
	return s.store.DeleteProfileEntry(ctx, person, id)
}

// DeleteAllDeclared deletes every declared line of a person and returns
// how many it deleted.
func (s *Service) DeleteAllDeclared(ctx context.Context, person string) (int, error) {
	es, err := s.store.ProfileEntries(ctx, person)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if e.Evidence != Declared {
			continue
		}
		if err := s.store.DeleteProfileEntry(ctx, person, e.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// checkSkills refuses skill IDs the graph does not know.
func (s *Service) checkSkills(ctx context.Context, e Entry) error {
	if s.graph == nil {
		return nil
	}
	var v marketplace.ValidationError
	ids := e.Skills
	field := "skills[%d]"
	if e.Kind == SkillLine && e.Code != "" {
		ids, field = []string{e.Code}, "code"
	}
	for i, id := range ids {
		if _, err := s.graph.Skill(ctx, id); errors.Is(err, ErrNotFound) {
			f := field
			if strings.Contains(f, "%d") {
				f = fmt.Sprintf(f, i)
			}
			v.Add(f, "no skill %q in the referential", id)
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}

// heldSkills returns the skills a person's lines vouch for, with the
// evidence and level each line gives: an attested, unrevoked line wins
// over a declared one, and the highest level wins.
func heldSkills(es []Entry) map[string]skills.Held {
	out := map[string]skills.Held{}
	for _, e := range es {
		ev := skills.Declared
		if e.Evidence == Attested && !e.Revoked {
			ev = skills.Attested
		} else if e.Evidence == Attested {
			continue // a revoked line vouches for nothing
		}
		level := 2
		ids := e.Skills
		if e.Kind == SkillLine {
			level = e.Level
			if e.Code != "" {
				ids = append([]string{e.Code}, ids...)
			}
		}
		for _, id := range ids {
			h, ok := out[id]
			switch {
			case !ok, h.Evidence == skills.Declared && ev == skills.Attested:
				out[id] = skills.Held{Skill: skills.Skill{ID: id}, Level: level, Evidence: ev}
			case h.Evidence == ev && level > h.Level:
				h.Level = level
				out[id] = h
			}
		}
	}
	return out
}

// syncSkills writes to the skills graph the skills the person's attested
// lines vouch for, as attested evidence (matching and recommendations weigh
// them above declared ones), and withdraws the attested evidence no
// unrevoked line supports any more: the skill stays declared if a declared
// line names it, else it goes. Declared skills are otherwise the skills
// page's business (skills.Graph.SetDeclaredSkills).
func (s *Service) syncSkills(ctx context.Context, person string) error {
	if s.graph == nil {
		return nil
	}
	es, err := s.store.ProfileEntries(ctx, person)
	if err != nil {
		return err
	}
	want := heldSkills(es)
	current, err := s.graph.PersonSkills(ctx, person)
	if err != nil {
		return err
	}
	var b skills.Batch
	held := map[string]skills.Held{}
	for _, h := range current {
		held[h.Skill.ID] = h
		w, ok := want[h.Skill.ID]
		if h.Evidence != skills.Attested || ok && w.Evidence == skills.Attested {
			continue
		}
		if ok { // still declared by a line: keep it as declared
			b.Edges = append(b.Edges, skills.Edge{Rel: skills.HasSkill, From: person, To: h.Skill.ID, Level: w.Level, Evidence: skills.Declared})
		} else {
			b.DeleteEdges = append(b.DeleteEdges, skills.Edge{Rel: skills.HasSkill, From: person, To: h.Skill.ID, Level: h.Level, Evidence: h.Evidence})
		}
	}
	ids := make([]string, 0, len(want))
	for id, w := range want {
		if w.Evidence == skills.Attested {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		w, h := want[id], held[id]
		if h.Evidence == skills.Attested && h.Level == w.Level {
			continue
		}
		if _, err := s.graph.Skill(ctx, id); err != nil {
			continue // a skill the referential does not know: nothing to link
		}
		b.Edges = append(b.Edges, skills.Edge{Rel: skills.HasSkill, From: person, To: id, Level: w.Level, Evidence: skills.Attested})
	}
	if b.Len() == 0 {
		return nil
	}
	_, err = s.graph.Apply(ctx, b)
	return err
}

// MaxShareDays bounds a share link's lifetime.
const MaxShareDays = 365

// MaxSharesPerPerson bounds a person's live links.
const MaxSharesPerPerson = 50

// CreateShare makes a link showing the chosen lines until expires, and
// returns its secret (the link's last segment), which is not stored.
func (s *Service) CreateShare(ctx context.Context, person string, entryIDs []string, expires time.Time, label string) (string, Share, error) {
	now := s.clock()
	var v marketplace.ValidationError
	label = strings.TrimSpace(label)
	text(&v, "label", label, 0, 100)
	switch {
	case expires.IsZero():
		v.Add("expires_at", "is required")
	case !expires.After(now):
		v.Add("expires_at", "must be in the future")
	case expires.After(now.AddDate(0, 0, MaxShareDays)):
		v.Add("expires_at", "must be at most %d days ahead", MaxShareDays)
	}
	if len(entryIDs) == 0 {
		v.Add("entry_ids", "choose at least one line to share")
	}
	own, err := s.store.ProfileEntries(ctx, person)
	if err != nil {
		return "", Share{}, err
	}
	mine := map[string]bool{}
	for _, e := range own {
		mine[e.ID] = true
	}
	seen := map[string]bool{}
	for i, id := range entryIDs {
		switch {
		case !mine[id]:
			v.Add(fmt.Sprintf("entry_ids[%d]", i), "is not a line of your profile")
		case seen[id]:
			v.Add(fmt.Sprintf("entry_ids[%d]", i), "is listed twice")
		}
		seen[id] = true
	}
	if err := v.Err(); err != nil {
		return "", Share{}, err
	}
	live, err := s.store.ShareLinks(ctx, person)
	if err != nil {
		return "", Share{}, err
	}
	n := 0
	for _, sh := range live {
		if !sh.Expired(now) {
			n++
		}
	}
	if n >= MaxSharesPerPerson {
		return "", Share{}, fmt.Errorf("at most %d live share links; delete one first: %w", MaxSharesPerPerson, ErrConflict)
	}
	var raw [18]byte
	rand.Read(raw[:])
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	sh := Share{ID: ShareID(secret), PersonID: person, EntryIDs: slices.Clone(entryIDs), Label: label, Expires: expires.UTC().Truncate(time.Second), Created: now}
	if err := s.store.CreateShareLink(ctx, sh); err != nil {
		return "", Share{}, err
	}
	return secret, sh, nil
}

// ShareID is the stored key of a link's secret.
func ShareID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Shares lists a person's links.
func (s *Service) Shares(ctx context.Context, person string) ([]Share, error) {
	return s.store.ShareLinks(ctx, person)
}

// DeleteShare closes a link at once.
func (s *Service) DeleteShare(ctx context.Context, person, id string) error {
	return s.store.DeleteShareLink(ctx, person, id)
}

// Shared opens a link: the lines it shows as they are now (a line deleted
// since is left out), or ErrNotFound, or ErrExpired.
func (s *Service) Shared(ctx context.Context, secret string) (Share, []Entry, error) {
	if secret == "" || len(secret) > 64 {
		return Share{}, nil, fmt.Errorf("share link: %w", ErrNotFound)
	}
	sh, err := s.store.ShareLink(ctx, ShareID(secret))
	if err != nil {
		return Share{}, nil, err
	}
	if sh.Expired(s.now()) {
		return sh, nil, fmt.Errorf("the link expired on %s: %w", sh.Expires.Format(time.DateOnly), ErrExpired)
	}
	var out []Entry
	for _, id := range sh.EntryIDs {
		e, err := s.store.ProfileEntry(ctx, sh.PersonID, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Share{}, nil, err
		}
		out = append(out, e)
	}
	SortEntries(out)
	return sh, out, nil
}

// SharedCredential returns a credential of a line a live link shows.
func (s *Service) SharedCredential(ctx context.Context, secret, credentialID string) (Credential, error) {
	_, es, err := s.Shared(ctx, secret)
	if err != nil {
		return Credential{}, err
	}
	for _, e := range es {
		if e.CredentialID == credentialID && credentialID != "" {
			return s.store.Credential(ctx, credentialID)
		}
	}
	return Credential{}, fmt.Errorf("credential: %w", ErrNotFound)
}

// PersonCredential returns one of the person's credentials.
func (s *Service) PersonCredential(ctx context.Context, person, id string) (Credential, error) {
	c, err := s.store.Credential(ctx, id)
	if err != nil {
		return Credential{}, err
	}
	if c.PersonID != person || c.State == Draft {
		return Credential{}, fmt.Errorf("credential: %w", ErrNotFound)
	}
	return c, nil
}

// Export is everything the service keeps about a worker's profile.
type Export struct {
	PersonID    string
	ExportedAt  time.Time
	Entries     []Entry
	Credentials []Credential
	Shares      []Share
}

// Export gathers a person's data (GDPR right of access and portability).
func (s *Service) Export(ctx context.Context, person string) (Export, error) {
	x := Export{PersonID: person, ExportedAt: s.clock()}
	var err error
	if x.Entries, err = s.Profile(ctx, person); err != nil {
		return x, err
	}
	cs, err := s.store.Credentials(ctx, person)
	if err != nil {
		return x, err
	}
	for _, c := range cs {
		if c.State != Draft {
			x.Credentials = append(x.Credentials, c)
		}
	}
	x.Shares, err = s.store.ShareLinks(ctx, person)
	return x, err
}

// enrolmentAccounts finds accounts through the enrolment service, which
// holds the NIR lookup key.
type enrolmentAccounts struct{ e *marketplace.EnrolmentService }

// AccountsOf returns the Accounts of the marketplace's training accounts.
func AccountsOf(e *marketplace.EnrolmentService) Accounts { return enrolmentAccounts{e} }

func (a enrolmentAccounts) AccountByNIR(ctx context.Context, nir string) (string, error) {
	acct, err := a.e.Store().AccountByNIR(ctx, a.e.NIRHash(nir))
	return acct.ID, err
}
