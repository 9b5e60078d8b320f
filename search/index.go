package search

import (
	"context"
	"encoding/base64"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
)

// Index holds the published offers. It is safe for concurrent use; the
// zero value is not usable, call New.
type Index struct {
	mu     sync.RWMutex
	docs   map[string]*doc
	seed   maphash.Seed
	certs  map[string]*CertificationCount
	region map[string]int
}

type doc struct {
	offer    marketplace.Offer
	sessions []marketplace.Session
	strong   []string // folded words of title, certification title and skills
	weak     []string // folded words of description and objectives
}

var _ marketplace.Observer = (*Index)(nil)

// New returns an empty index.
func New() *Index {
	return &Index{docs: map[string]*doc{}, seed: maphash.MakeSeed(), certs: map[string]*CertificationCount{}, region: map[string]int{}}
}

// Build fills the index with every published offer of the store.
func (ix *Index) Build(ctx context.Context, store marketplace.OfferStore) error {
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		offers, next, err := store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, page)
		if err != nil {
			return err
		}
		for _, o := range offers {
			sessions, err := store.Sessions(ctx, o.ID)
			if err != nil {
				return err
			}
			ix.OfferSaved(o, sessions)
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

// OfferSaved implements marketplace.Observer: a published offer is
// (re)indexed, any other is removed.
func (ix *Index) OfferSaved(o marketplace.Offer, sessions []marketplace.Session) {
	if o.Status != marketplace.Published {
		ix.OfferDeleted(o.ID)
		return
	}
	d := &doc{offer: o, sessions: sessions}
	d.strong = words(o.Title, o.Certification.Title, o.Certification.Code, strings.Join(o.Skills, " "))
	d.weak = words(o.Description, o.Objectives)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(o.ID)
	ix.docs[o.ID] = d
	c := ix.certs[o.Certification.Code]
	if c == nil {
		c = &CertificationCount{Code: o.Certification.Code, Kind: string(o.Certification.Kind), Title: o.Certification.Title}
		ix.certs[o.Certification.Code] = c
	}
	c.Offers++
	ix.region[o.Region]++
}

// OfferDeleted implements marketplace.Observer.
func (ix *Index) OfferDeleted(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id string) {
	d, ok := ix.docs[id]
	if !ok {
		return
	}
	delete(ix.docs, id)
	if c := ix.certs[d.offer.Certification.Code]; c != nil {
		if c.Offers--; c.Offers == 0 {
			delete(ix.certs, d.offer.Certification.Code)
		}
	}
	if ix.region[d.offer.Region]--; ix.region[d.offer.Region] == 0 {
		delete(ix.region, d.offer.Region)
	}
}

// words returns the sorted distinct folded words of the texts.
func words(texts ...string) []string {
	var out []string
	for _, t := range texts {
		out = append(out, fold.Words(t)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Query is what a search asks for. Empty fields select everything.
type Query struct {
	Text          string
	Region        string
	Department    string
	Certification string // code
	Modality      marketplace.Modality
	ProviderID    string
	After         string // cursor from the previous page
	Limit         int
}

// Hit is one matching offer with its relevance score (higher is better).
type Hit struct {
	Offer    marketplace.Offer
	Sessions []marketplace.Session
	Score    float64
}

// Result is one page of hits.
type Result struct {
	Hits  []Hit
	Total int
	Next  string
}

// stopWords are French words too common to tell offers apart.
var stopWords = map[string]bool{
	"a": true, "au": true, "aux": true, "de": true, "des": true, "du": true, "en": true, "et": true,
	"l": true, "la": true, "le": true, "les": true, "d": true, "un": true, "une": true, "pour": true,
	"sur": true, "par": true, "avec": true, "dans": true, "ou": true, "formation": true,
}

// Search returns the offers matching q: every significant query word must
// appear (a word of 4 letters or more also matches as a prefix). Matches in
// the title, certification or skills weigh three times those in the
// description. Equal scores are ordered by a keyed hash of query and offer.
func (ix *Index) Search(q Query) (Result, error) {
	offset := 0
	if q.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			var v marketplace.ValidationError
			v.Add("cursor", "is not a cursor this service returned")
			return Result{}, &v
		}
		offset = n
	}
	limit := q.Limit
	if limit <= 0 || limit > marketplace.MaxPageSize {
		limit = marketplace.DefaultPageSize
	}
	var terms []string
	for _, w := range fold.Words(q.Text) {
		if !stopWords[w] {
			terms = append(terms, w)
		}
	}
	qkey := fold.String(q.Text)

	ix.mu.RLock()
	type scored struct {
		d     *doc
		score float64
		tie   uint64
	}
	var hits []scored
	for _, d := range ix.docs {
		o := &d.offer
		if (q.Region != "" && o.Region != q.Region) || (q.Department != "" && o.Department != q.Department) ||
			(q.Certification != "" && o.Certification.Code != q.Certification) ||
			(q.Modality != "" && o.Modality != q.Modality) || (q.ProviderID != "" && o.ProviderID != q.ProviderID) {
			continue
		}
		score, ok := match(d, terms)
		if !ok {
			continue
		}
		var h maphash.Hash
		h.SetSeed(ix.seed)
		h.WriteString(qkey)
		h.WriteString(o.ID)
		hits = append(hits, scored{d: d, score: score, tie: h.Sum64()})
	}
	ix.mu.RUnlock()

	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].tie < hits[j].tie
	})
	res := Result{Total: len(hits)}
	if offset < len(hits) {
		end := min(offset+limit, len(hits))
		for _, h := range hits[offset:end] {
			res.Hits = append(res.Hits, Hit{Offer: h.d.offer, Sessions: h.d.sessions, Score: h.score})
		}
		if end < len(hits) {
			res.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		}
	}
	return res, nil
}

// match scores a document against the query terms; every term must match.
func match(d *doc, terms []string) (float64, bool) {
	score := 0.0
	for _, t := range terms {
		switch {
		case has(d.strong, t):
			score += 3
		case has(d.weak, t):
			score++
		default:
			return 0, false
		}
	}
	return score, true
}

// has reports whether the sorted words hold t, or a word starting with t
// when t has at least 4 letters.
func has(words []string, t string) bool {
	i, found := slices.BinarySearch(words, t)
	if found {
		return true
	}
	return len(t) >= 4 && i < len(words) && strings.HasPrefix(words[i], t)
}

// CertificationCount is a certification with its number of published offers.
type CertificationCount struct {
	Code   string
	Kind   string
	Title  string
	Offers int
}

// Certifications returns the certifications with published offers, most
// offered first, then by code.
func (ix *Index) Certifications() []CertificationCount {
	ix.mu.RLock()
	out := make([]CertificationCount, 0, len(ix.certs))
	for _, c := range ix.certs {
		out = append(out, *c)
	}
	ix.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Offers != out[j].Offers {
			return out[i].Offers > out[j].Offers
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// RegionCounts returns the number of published offers per region code.
func (ix *Index) RegionCounts() map[string]int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make(map[string]int, len(ix.region))
	for k, v := range ix.region {
		out[k] = v
	}
	return out
}

// Len returns the number of indexed offers.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

// Offer returns an indexed (published) offer by ID.
func (ix *Index) Offer(id string) (Hit, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d, ok := ix.docs[id]
	if !ok {
		return Hit{}, false
	}
	return Hit{Offer: d.offer, Sessions: d.sessions}, true
}
