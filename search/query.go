package search

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// Sort is the order of results the user chose.
type Sort string

// The orders of results. Relevance is the default; the others are
// explicit choices, in which relevance only breaks ties (then the random
// tie-break does).
const (
	SortRelevance Sort = "relevance"
	SortPrice     Sort = "price"      // cheapest first
	SortDistance  Sort = "distance"   // nearest first; needs a place
	SortStartDate Sort = "start_date" // earliest next session first; offers without one last
)

// Valid reports whether s is a known order ("" is relevance).
func (s Sort) Valid() bool {
	return s == "" || s == SortRelevance || s == SortPrice || s == SortDistance || s == SortStartDate
}

// Point is a place in WGS 84 degrees.
type Point struct{ Lat, Lon float64 }

// Limits of queries.
const (
	MaxQueryRunes = 200
	MaxRadiusKm   = 1000
	// DefaultRadiusKm is the radius around a place when none is given.
	DefaultRadiusKm = 30
)

// Query is what a search asks for. Empty fields select everything.
type Query struct {
	Text string
	// Near, when set, keeps the offers within RadiusKm of it (0 means
	// DefaultRadiusKm).
	Near     *Point
	RadiusKm float64

	Modality          marketplace.Modality
	PriceMaxCents     *int64
	HoursMin          int // 0: no minimum
	HoursMax          int // 0: no maximum
	Certification     string
	CertificationKind marketplace.CertificationKind
	// StartAfter and StartBefore keep offers with a session starting in
	// the window (inclusive days; zero for an open end). Past sessions
	// never count.
	StartAfter, StartBefore time.Time
	Region                  string
	Department              string
	ProviderID              string

	Sort  Sort
	After string // cursor of the previous page
	Limit int    // page size; 0 means the default
	// Explain asks for each hit's score broken into its parts.
	Explain bool
	// Client is the client's IP address, input of the tie-break.
	Client string
	// Ungrouped lists every offer on its own, even those of one provider
	// for one certification (a provider's own page).
	Ungrouped bool

	all bool // every result at once (Ranking)
}

// Hit is one result: an offer and why it is where it is.
type Hit struct {
	Offer    marketplace.Offer // without Description and Objectives
	Sessions []marketplace.Session
	// Score is the text relevance, from 0 to 1 (1 when the query has no
	// text); Tier is its quantised level, 1 to 4, higher is more relevant.
	Score float64
	Tier  int
	// DistanceKm is the distance to Query.Near, when set.
	DistanceKm  float64
	HasDistance bool
	// Others counts the other offers of the same provider for the same
	// certification that match the query ("also in 14 other places"), and
	// OtherCommunes names up to five of their communes (INSEE codes).
	Others        int
	OtherCommunes []string
	// Explanation is set when the query asked for it.
	Explanation *Explanation
}

// Explanation breaks a hit's rank into its parts.
type Explanation struct {
	Terms []TermMatch
	// Points and MaxPoints give Score = Points / MaxPoints.
	Points, MaxPoints int
	Tier              int
	// TierSize is how many results share the tier: the hit's place among
	// them is drawn at random, by a keyed hash of the client address, the
	// query and the offer.
	TierSize int
	Sort     Sort
}

// TermMatch says how one query word matched.
type TermMatch struct {
	Term    string // the word as the query gave it, folded
	Matched string // the indexed stem it matched
	Field   string // "strong" (title, certification, skills) or "text" (description, objectives)
	How     string // "exact", "synonym", "typo" or "prefix"
	Points  int
	Max     int
}

// Result is one page of hits.
type Result struct {
	Hits []Hit
	// Total counts the results (offers of one provider for one
	// certification count once); TotalOffers counts the matching offers.
	Total       int
	TotalOffers int
	Facets      Facets
	Next        string

	ranked []Ranked // the whole order, for Ranking
}

// Facets count the matching offers by modality, region, certification
// kind, price and duration.
type Facets struct {
	Modality          []FacetCount
	Region            []FacetCount
	CertificationKind []FacetCount
	Price             []BucketCount // cents
	Duration          []BucketCount // hours
}

// FacetCount is a value and its number of offers.
type FacetCount struct {
	Value string
	Count int
}

// BucketCount is a range [Min, Max) of values and its number of offers;
// Max 0 means no upper bound.
type BucketCount struct {
	Key      string
	Min, Max int64
	Count    int
}

// The price (cents) and duration (hours) buckets of facets: lower bounds.
var (
	priceBuckets = []int64{0, 500_00, 1000_00, 2000_00, 5000_00}
	hoursBuckets = []int64{0, 35, 100, 400}
)

func bucketOf(bounds []int64, v int64) uint8 {
	i := 0
	for i+1 < len(bounds) && v >= bounds[i+1] {
		i++
	}
	return uint8(i)
}

// invalid returns a validation error naming the query parameter at fault.
func invalid(field, format string, args ...any) error {
	var v marketplace.ValidationError
	v.Add(field, format, args...)
	return &v
}

// check validates q, naming the API's parameters; it fills defaults.
func (ix *Index) check(q *Query) error {
	var v marketplace.ValidationError
	if !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > MaxQueryRunes {
		v.Add("q", "must be at most %d characters of valid UTF-8", MaxQueryRunes)
	}
	if q.Near != nil {
		if math.IsNaN(q.Near.Lat) || q.Near.Lat < -90 || q.Near.Lat > 90 {
			v.Add("lat", "must be a latitude from -90 to 90")
		}
		if math.IsNaN(q.Near.Lon) || q.Near.Lon < -180 || q.Near.Lon > 180 {
			v.Add("lon", "must be a longitude from -180 to 180")
		}
	}
	switch {
	case math.IsNaN(q.RadiusKm) || q.RadiusKm < 0 || q.RadiusKm > MaxRadiusKm:
		v.Add("radius_km", "must be a number of kilometres from 0 to %d", MaxRadiusKm)
	case q.RadiusKm > 0 && q.Near == nil:
		v.Add("radius_km", "needs a place: commune, or lat and lon")
	case q.RadiusKm == 0 && q.Near != nil:
		q.RadiusKm = DefaultRadiusKm
	}
	if q.Modality != "" && !q.Modality.Valid() {
		v.Add("modality", "must be in_person, distance or mixed")
	}
	if q.PriceMaxCents != nil && (*q.PriceMaxCents < 0 || *q.PriceMaxCents > marketplace.MaxPriceCents) {
		v.Add("price_max", "must be a number of cents from 0 to %d", marketplace.MaxPriceCents)
	}
	if q.HoursMin < 0 || q.HoursMin > marketplace.MaxHours {
		v.Add("hours_min", "must be from 0 to %d", marketplace.MaxHours)
	}
	if q.HoursMax < 0 || q.HoursMax > marketplace.MaxHours {
		v.Add("hours_max", "must be from 0 to %d", marketplace.MaxHours)
	} else if q.HoursMax > 0 && q.HoursMax < q.HoursMin {
		v.Add("hours_max", "must not be below hours_min")
	}
	if q.CertificationKind != "" && q.CertificationKind != marketplace.RNCP && q.CertificationKind != marketplace.RS {
		v.Add("certification_type", "must be RNCP or RS")
	}
	if !q.StartAfter.IsZero() && !q.StartBefore.IsZero() && q.StartBefore.Before(q.StartAfter) {
		v.Add("start_before", "must not be before start_after")
	}
	if !q.Sort.Valid() {
		v.Add("sort", "must be relevance, price, distance or start_date")
	} else if q.Sort == SortDistance && q.Near == nil {
		v.Add("sort", "distance needs a place: commune, or lat and lon")
	}
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	switch {
	case q.Limit == 0:
		q.Limit = ix.opts.DefaultPerPage
	case q.Limit < 1 || q.Limit > ix.opts.MaxPerPage:
		v.Add("per_page", "must be from 1 to %d", ix.opts.MaxPerPage)
	}
	return v.Err()
}

// cursor is a position in one ordering: the key period it was drawn in
// and the number of results before it.
type cursor struct {
	period int64
	offset int
}

// maxCursorAge is how many periods a cursor stays usable: a learner
// paging across the key rotation keeps the order they started with.
const maxCursorAge = 7

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte("1." + strconv.FormatInt(c.period, 10) + "." + strconv.Itoa(c.offset)))
}

func parseCursor(s string, now int64) (cursor, error) {
	bad := invalid("cursor", "is not a cursor this service returned, or has expired; start again from the first page")
	if len(s) > 200 {
		return cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != "1" {
		return cursor{}, bad
	}
	p, err1 := strconv.ParseInt(parts[1], 10, 64)
	o, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || o < 0 || o > 1_000_000 || p > now || p < now-maxCursorAge {
		return cursor{}, bad
	}
	return cursor{period: p, offset: o}, nil
}

// qterm is one query word and the indexed terms that answer it.
type qterm struct {
	text string // as typed, folded
	stem string
	alts []alt
}

type alt struct {
	id  uint32
	how uint8 // howExact...
}

const (
	howExact = iota
	howSynonym
	howTypo
	howPrefix
)

var howNames = [...]string{"exact", "synonym", "typo", "prefix"}

// num is the share of the points (out of 3) a match of each kind earns:
// a word found only through typo tolerance or as a prefix earns two
// thirds of an exact one, so that an exact answer ranks above a guess.
var howNum = [...]int{3, 3, 2, 2}

// terms analyses the query text; the caller holds ix.mu.
func (ix *Index) queryTerms(text string) []qterm {
	ws := words(text)
	var out []qterm
	seen := map[string]bool{}
	for _, w := range ws {
		s := stem(w)
		if salesStems[s] || seen[s] {
			continue
		}
		seen[s] = true
		t := qterm{text: w, stem: s}
		add := func(id uint32, how uint8) {
			for _, a := range t.alts {
				if a.id == id {
					return
				}
			}
			t.alts = append(t.alts, alt{id, how})
		}
		if id, ok := ix.termID[s]; ok && len(ix.postings[id]) > 0 {
			add(id, howExact)
		}
		for _, syn := range synonyms[s] {
			if id, ok := ix.termID[syn]; ok && len(ix.postings[id]) > 0 {
				add(id, howSynonym)
			}
		}
		if len(t.alts) == 0 {
			for _, id := range ix.fuzzy(s) {
				add(id, howTypo)
			}
			if s != w {
				for _, id := range ix.fuzzy(w) {
					add(id, howTypo)
				}
			}
			for _, id := range ix.prefixed(w) {
				add(id, howPrefix)
			}
		}
		out = append(out, t)
	}
	return out
}

// canonical is the normalised query: its stems, sorted, and its filters.
// It keys the tie-break, so that the same question asked again, however
// worded ("Anglais, Lyon" or "lyon anglais"), meets the same order.
func (q *Query) canonical(terms []qterm) string {
	stems := make([]string, len(terms))
	for i, t := range terms {
		stems[i] = t.stem
	}
	slices.Sort(stems)
	var b strings.Builder
	b.WriteString(strings.Join(stems, " "))
	b.WriteString("|")
	if q.Near != nil {
		fmt.Fprintf(&b, "%.4f,%.4f,%g", q.Near.Lat, q.Near.Lon, q.RadiusKm)
	}
	pm := int64(-1)
	if q.PriceMaxCents != nil {
		pm = *q.PriceMaxCents
	}
	fmt.Fprintf(&b, "|%s|%d|%d|%d|%s|%s|%s|%s|%s|%s|%s|%s|%t",
		q.Modality, pm, q.HoursMin, q.HoursMax, q.Certification, q.CertificationKind,
		dateKey(q.StartAfter), dateKey(q.StartBefore), q.Region, q.Department, q.ProviderID, q.Sort, q.Ungrouped)
	return b.String()
}

func dateKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// scored is a document that matches the text, with its points.
type scored struct {
	doc int32
	pts int32
}

// textMatches returns the documents holding every query term, by document
// number, with their points; the caller holds ix.mu.
func (ix *Index) textMatches(terms []qterm, sc *scratch) []scored {
	type list struct {
		p   []post
		num int // points share, out of 3, when p is a raw postings list
	}
	lists := make([]list, len(terms))
	for i, t := range terms {
		switch len(t.alts) {
		case 0:
			return nil
		case 1:
			lists[i] = list{ix.postings[t.alts[0].id], howNum[t.alts[0].how]}
		default:
			for len(sc.merged) <= i {
				sc.merged = append(sc.merged, [2][]post{})
			}
			lists[i] = list{mergeAlts(ix, t.alts, &sc.merged[i]), 3}
		}
	}
	sort.Slice(lists, func(a, b int) bool { return len(lists[a].p) < len(lists[b].p) })
	pos := make([]int, len(lists))
	out := sc.matches[:0]
	defer func() { sc.matches = out }()
next:
	for _, e := range lists[0].p {
		pts := int32(int(e.w) * lists[0].num / 3)
		for j := 1; j < len(lists); j++ {
			l := lists[j].p
			i := pos[j]
			// Gallop to the first entry >= e.doc.
			step := 1
			for i+step < len(l) && l[i+step].doc < e.doc {
				i += step
				step *= 2
			}
			i += sort.Search(min(len(l), i+step+1)-i, func(k int) bool { return l[i+k].doc >= e.doc })
			pos[j] = i
			if i >= len(l) {
				break next
			}
			if l[i].doc != e.doc {
				continue next
			}
			pts += int32(int(l[i].w) * lists[j].num / 3)
		}
		out = append(out, scored{e.doc, pts})
	}
	return out
}

// mergeAlts merges the postings of a term's alternatives, keeping for each
// document the best points, scaled by the kind of match. It merges into
// the two buffers bufs in turn, and keeps them for the next search.
func mergeAlts(ix *Index, alts []alt, bufs *[2][]post) []post {
	var out []post
	for k, a := range alts {
		num := howNum[a.how]
		src := ix.postings[a.id]
		merged := bufs[k%2][:0]
		i, j := 0, 0
		for i < len(out) || j < len(src) {
			switch {
			case j >= len(src) || i < len(out) && out[i].doc < src[j].doc:
				merged = append(merged, out[i])
				i++
			case i >= len(out) || src[j].doc < out[i].doc:
				merged = append(merged, post{src[j].doc, uint8(int(src[j].w) * num / 3)})
				j++
			default:
				merged = append(merged, post{out[i].doc, max(out[i].w, uint8(int(src[j].w)*num/3))})
				i++
				j++
			}
		}
		bufs[k%2] = merged
		out = merged
	}
	return out
}

// tierOf quantises points into the tiers 1 to 4: tier = ceil(4 * points /
// maxPoints). A query with no text puts every offer in tier 4.
func tierOf(pts, maxPts int32) int8 {
	if maxPts == 0 {
		return 4
	}
	t := (4*pts + maxPts - 1) / maxPts
	return int8(min(max(t, 1), 4))
}

// Search returns one page of the offers matching q. Relevance is the
// text's: each query word earns the points of the best field it is found
// in (see indexTerms), Score is points over the most a query of that
// length can earn, and Tier quantises it. In relevance order, a higher
// tier always comes first; inside a tier, the order is a keyed hash of
// the client address, the normalised query and the result (see Keys).
// The offers of one provider for one certification are grouped into one
// result, placed by the keyed hash of the group, and shown by its best
// member (the one with the least keyed hash among those of its best
// tier). A page shows at most Options.ProviderCap results of one provider
// when other results of the same tier can take their place.
func (ix *Index) Search(q Query) (Result, error) {
	if err := ix.check(&q); err != nil {
		return Result{}, err
	}
	period := ix.keys.current()
	cur := cursor{period: period}
	if q.After != "" {
		c, err := parseCursor(q.After, period)
		if err != nil {
			return Result{}, err
		}
		cur = c
	}
	ix.mu.RLock()
	terms := ix.queryTerms(q.Text)
	canon := q.canonical(terms)
	rk := ix.keys.request(cur.period, q.Client, canon)
	res := ix.search(&q, terms, rk, cur)
	ix.mu.RUnlock()
	if cur.offset+q.Limit < res.Total && !q.all {
		res.Next = cursor{period: cur.period, offset: cur.offset + q.Limit}.String()
	}
	if ix.log != nil && q.After == "" {
		ix.log.add(q, terms)
	}
	return res, nil
}

// scratch holds per-search arrays indexed by group, reused.
type scratch struct {
	matches []scored
	merged  [][2][]post // per query term
	reps    []int32
	entries []gentry
	stamp   []uint32
	count   []int32
	best    []uint64 // least primary key among the group's matching members
	gen     uint32
}

// gentry is a result (a group) with its sort keys.
type gentry struct {
	k1, k2 uint64 // primary key (by the chosen sort), tie-break
	g      int32  // group, or document when ungrouped
	tier   int8
	prov   int32
}

func (a *gentry) less(b *gentry) bool {
	if a.k1 != b.k1 {
		return a.k1 < b.k1
	}
	if a.k2 != b.k2 {
		return a.k2 < b.k2
	}
	return a.g < b.g
}

// run is one search being evaluated; the caller holds ix.mu.
type run struct {
	ix      *Index
	q       *Query
	f       *filter
	rk      requestKey
	hasText bool
	maxPts  int32
	matches []scored
}

// key returns the primary sort key of a matching document.
func (r *run) key(d int32, tier int8, dist float32) uint64 {
	rel := uint64(4 - tier)
	switch r.q.Sort {
	case SortPrice:
		return uint64(r.ix.price[d])<<3 | rel
	case SortDistance:
		return uint64(dist*1000)<<3 | rel
	case SortStartDate:
		return uint64(r.f.nextStart(r.ix, d))<<3 | rel
	}
	return rel
}

// match evaluates one document: whether it matches, its points, tier and
// distance.
func (r *run) match(d int32) (ok bool, pts int32, tier int8, dist float32) {
	ix := r.ix
	if !ix.alive[d] || !r.f.inBox(ix, d) || !r.f.pass(ix, d) {
		return false, 0, 0, 0
	}
	if r.hasText {
		i, found := slices.BinarySearchFunc(r.matches, d, func(m scored, d int32) int { return int(m.doc - d) })
		if !found {
			return false, 0, 0, 0
		}
		pts = r.matches[i].pts
	}
	if r.q.Near != nil {
		km := geo.DistanceKm(r.q.Near.Lat, r.q.Near.Lon, ix.lat[d], ix.lon[d])
		if km > r.q.RadiusKm {
			return false, 0, 0, 0
		}
		dist = float32(km)
	}
	return true, pts, tierOf(pts, r.maxPts), dist
}

// search runs a checked query; the caller holds ix.mu.
func (ix *Index) search(q *Query, terms []qterm, rk requestKey, cur cursor) Result {
	f := ix.compileFilter(q)
	var res Result
	if f.impossible {
		res.Facets = ix.facets(&facetCounts{})
		return res
	}
	ngroups := int(ix.nGroups)
	if q.Ungrouped {
		ngroups = len(ix.docs)
	}
	// The per-search arrays are recycled: a search allocates little, so
	// that garbage collection, which shares the core, seldom runs.
	sc := scratchPool.get(ngroups)
	defer scratchPool.put(sc)
	r := &run{ix: ix, q: q, f: f, rk: rk, hasText: len(terms) > 0}
	if r.hasText {
		r.maxPts = int32(strongPoints * len(terms))
		r.matches = ix.textMatches(terms, sc)
	}

	var fc facetCounts
	fc.region = make([]int, len(ix.regions.names))
	reps := sc.reps[:0]
	defer func() { sc.reps = reps }()
	total := 0
	// visit counts a matching document into its group and the facets.
	// The document's own tie-break is not needed here: only the group's
	// best primary key is, and the page's groups find their best member
	// afterwards.
	visit := func(d int32, pts int32) {
		var dist float32
		if q.Near != nil {
			km := geo.DistanceKm(q.Near.Lat, q.Near.Lon, ix.lat[d], ix.lon[d])
			if km > q.RadiusKm {
				return
			}
			dist = float32(km)
		}
		k1 := r.key(d, tierOf(pts, r.maxPts), dist)
		g := d
		if !q.Ungrouped {
			g = ix.group[d]
		}
		if sc.stamp[g] != sc.gen {
			sc.stamp[g], sc.count[g], sc.best[g] = sc.gen, 1, k1
			reps = append(reps, g)
		} else {
			sc.count[g]++
			sc.best[g] = min(sc.best[g], k1)
		}
		total++
		fc.mod[ix.mod[d]]++
		fc.kind[ix.kind[d]]++
		fc.region[ix.region[d]]++
		fc.price[ix.priceBk[d]]++
		fc.hours[ix.hoursBk[d]]++
	}
	scan := func(docs []int32) {
		for _, d := range docs {
			if ix.alive[d] && f.inBox(ix, d) && f.pass(ix, d) {
				visit(d, 0)
			}
		}
	}
	switch {
	case r.hasText:
		for _, m := range r.matches {
			if ix.alive[m.doc] && f.inBox(ix, m.doc) && f.pass(ix, m.doc) {
				visit(m.doc, m.pts)
			}
		}
	case q.Near != nil:
		for _, cell := range f.cells {
			scan(ix.grid[cell])
		}
	case f.none() && q.Sort == SortRelevance && !q.Ungrouped:
		// Everything, by relevance: every group holds tier 4, and the
		// counts are the index's own.
		for g, m := range ix.members {
			if len(m) > 0 {
				sc.stamp[g], sc.count[g], sc.best[g] = sc.gen, int32(len(m)), 0
				reps = append(reps, int32(g))
			}
		}
		total = ix.n
		fc = ix.all
	case f.cert >= 0 || f.dept >= 0 || f.region >= 0:
		// The shortest list of documents a filter names.
		var docs []int32
		for _, l := range [][]int32{listOf(ix.byCert, f.cert), listOf(ix.byDept, f.dept), listOf(ix.byRegion, f.region)} {
			if l != nil && (docs == nil || len(l) < len(docs)) {
				docs = l
			}
		}
		scan(docs)
	default:
		alive := ix.alive
		for d := range alive {
			if alive[d] && f.pass(ix, int32(d)) {
				visit(int32(d), 0)
			}
		}
	}
	res.TotalOffers = total
	res.Facets = ix.facets(&fc)
	res.Total = len(reps)
	if cur.offset >= len(reps) {
		return res
	}

	// A group's place among the others is drawn by the keyed hash of the
	// group (provider and certification), not of its members: the least
	// of many members' hashes would put a provider that publishes one
	// training in many towns ahead of the others.
	entries := slices.Grow(sc.entries[:0], len(reps))[:len(reps)]
	sc.entries = entries
	var tierSize [5]int
	for i, g := range reps {
		e := gentry{k1: sc.best[g], g: g, tier: int8(4 - sc.best[g]&7)}
		if q.Ungrouped {
			e.k2, e.prov = rk.tie(ix.seed[g]), ix.prov[g]
		} else {
			e.k2, e.prov = rk.tie(ix.groupSeed[g]), ix.groupProv[g]
		}
		tierSize[e.tier]++
		entries[i] = e
	}

	capped := q.Sort == SortRelevance && ix.opts.ProviderCap > 0 && q.ProviderID == "" && !q.Ungrouped
	want := cur.offset + q.Limit
	if q.all {
		want = len(entries)
	}
	var order []gentry
	for m := max(2*want+64, 256); ; m *= 4 {
		top := selectTop(entries, m)
		if !capped {
			order = top[:min(len(top), want)]
			break
		}
		var exhausted bool
		order, exhausted = layout(top, q.Limit, ix.opts.ProviderCap, want)
		if !exhausted || len(top) == len(entries) {
			break
		}
	}
	if cur.offset >= len(order) {
		return res
	}
	page := order[cur.offset:min(len(order), want)]
	if q.all && !q.Ungrouped {
		// The neutrality measure needs the order only: name the groups,
		// without choosing their members.
		res.ranked = make([]Ranked, len(page))
		for i, e := range page {
			p := ix.providers.names[ix.groupProv[e.g]]
			res.ranked[i] = Ranked{ID: p + "/" + ix.certs.names[ix.groupCert[e.g]], Provider: p, Tier: int(e.tier)}
		}
		return res
	}
	res.Hits = make([]Hit, len(page))
	for i := range page {
		res.Hits[i] = r.hit(&page[i], int(sc.count[page[i].g])-1, terms, tierSize[page[i].tier])
	}
	return res
}

// hit builds the result of a group: its best member, the communes of the
// others, and the explanation when asked.
func (r *run) hit(e *gentry, others int, terms []qterm, tierSize int) Hit {
	ix, q := r.ix, r.q
	members := []int32{e.g}
	if !q.Ungrouped {
		members = ix.members[e.g]
	}
	best, bestTie := int32(-1), uint64(0)
	var bestPts int32
	var bestDist float32
	var communes []string
	for _, d := range members {
		ok, pts, tier, dist := r.match(d)
		if !ok {
			continue
		}
		if len(members) > 1 {
			communes = append(communes, ix.docs[d].offer.Commune)
		}
		if r.key(d, tier, dist) != e.k1 {
			continue
		}
		t := r.rk.tie(ix.seed[d])
		if best < 0 || t < bestTie || t == bestTie && d < best {
			best, bestTie, bestPts, bestDist = d, t, pts, dist
		}
	}
	if best < 0 {
		// Cannot happen: the group's key came from a member that matched.
		// Show the first member rather than fail the page.
		best = members[0]
	}
	dd := &ix.docs[best]
	h := Hit{Offer: dd.offer, Sessions: dd.sessions, Tier: int(e.tier), Score: 1, Others: others}
	h.Offer.Skills = slices.Clone(h.Offer.Skills)
	if r.maxPts > 0 {
		h.Score = math.Round(float64(bestPts)/float64(r.maxPts)*1000) / 1000
	}
	if q.Near != nil {
		h.DistanceKm, h.HasDistance = math.Round(float64(bestDist)*10)/10, true
	}
	if others > 0 {
		slices.Sort(communes)
		communes = slices.Compact(communes)
		for _, c := range communes {
			if c != h.Offer.Commune && len(h.OtherCommunes) < 5 {
				h.OtherCommunes = append(h.OtherCommunes, c)
			}
		}
	}
	if q.Explain {
		h.Explanation = ix.explain(terms, best, bestPts, r.maxPts, int(e.tier), tierSize, q.Sort)
	}
	return h
}

// selectTop returns the m first entries in order.
func selectTop(entries []gentry, m int) []gentry {
	less := func(a, b gentry) int {
		if a.less(&b) {
			return -1
		}
		if b.less(&a) {
			return 1
		}
		return 0
	}
	if len(entries) <= m {
		out := slices.Clone(entries)
		slices.SortFunc(out, less)
		return out
	}
	// A max-heap of the m best seen so far.
	h := slices.Clone(entries[:m])
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && h[l].less(&h[r]) {
				l = r
			}
			if !h[i].less(&h[l]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for i := m; i < len(entries); i++ {
		if entries[i].less(&h[0]) {
			h[0] = entries[i]
			down(0)
		}
	}
	slices.SortFunc(h, less)
	return h
}

// layout cuts the ranked results into pages of size per with at most
// capN results of one provider per page, and returns the first want
// results in page order. A result over the cap waits for the next page,
// but never behind a result of a lower tier: when only lower tiers are
// left to fill a page, the waiting results fill it, over the cap. It
// reports whether it reached the end of top (the caller then gives it a
// longer top, unless top holds every result).
func layout(top []gentry, per, capN, want int) ([]gentry, bool) {
	out := make([]gentry, 0, want)
	var waiting []gentry
	i := 0
	count := map[int32]int{}
	for len(out) < want && (i < len(top) || len(waiting) > 0) {
		start := len(out)
		clear(count)
		take := func(e gentry) {
			out = append(out, e)
			count[e.prov]++
		}
		room := func() bool { return len(out)-start < per && len(out) < want }
		// Waiting results first, in order; one that must wait again
		// holds back the lower tiers behind it.
		var still []gentry
		block := int8(-1)
		for _, e := range waiting {
			if room() && count[e.prov] < capN && e.tier >= block {
				take(e)
			} else {
				if block < 0 {
					block = e.tier
				}
				still = append(still, e)
			}
		}
		waiting = still
		for room() && i < len(top) {
			e := top[i]
			if len(waiting) > 0 && e.tier < waiting[0].tier {
				break
			}
			i++
			if count[e.prov] < capN {
				take(e)
			} else {
				waiting = append(waiting, e)
			}
		}
		for room() && len(waiting) > 0 && (i >= len(top) || top[i].tier < waiting[0].tier) {
			take(waiting[0])
			waiting = waiting[1:]
		}
		if len(out) == start {
			break // cannot happen: a page always takes something
		}
	}
	return out, i == len(top)
}

// explain details a candidate's points; the caller holds ix.mu.
func (ix *Index) explain(terms []qterm, d, pts, maxPts int32, tier, tierSize int, s Sort) *Explanation {
	e := &Explanation{Points: int(pts), MaxPoints: int(maxPts), Tier: tier, TierSize: tierSize, Sort: s}
	dt := ix.docs[d].terms
	for _, t := range terms {
		tm := TermMatch{Term: t.text, Max: strongPoints}
		for _, a := range t.alts {
			i, ok := slices.BinarySearchFunc(dt, int32(a.id), func(p post, id int32) int { return int(p.doc - id) })
			if !ok {
				continue
			}
			pts := int(dt[i].w) * howNum[a.how] / 3
			if pts > tm.Points {
				tm.Points, tm.Matched, tm.How = pts, ix.terms[a.id], howNames[a.how]
				tm.Field = "text"
				if dt[i].w > weakPoints {
					tm.Field = "strong"
				}
			}
		}
		e.Terms = append(e.Terms, tm)
	}
	return e
}

// facets turns the counters into facets; nil counters give empty facets.
func (ix *Index) facets(c *facetCounts) Facets {
	fm, fk, fr, fp, fh := c.mod[:], c.kind[:], c.region, c.price[:], c.hours[:]
	f := Facets{Modality: []FacetCount{}, Region: []FacetCount{}, CertificationKind: []FacetCount{}, Price: []BucketCount{}, Duration: []BucketCount{}}
	for i, m := range modalities {
		if fm != nil && fm[i] > 0 {
			f.Modality = append(f.Modality, FacetCount{string(m), fm[i]})
		}
	}
	for i, k := range kinds {
		if fk != nil && fk[i] > 0 {
			f.CertificationKind = append(f.CertificationKind, FacetCount{string(k), fk[i]})
		}
	}
	for i, n := range fr {
		if n > 0 {
			f.Region = append(f.Region, FacetCount{ix.regions.names[i], n})
		}
	}
	sort.Slice(f.Region, func(a, b int) bool {
		if f.Region[a].Count != f.Region[b].Count {
			return f.Region[a].Count > f.Region[b].Count
		}
		return f.Region[a].Value < f.Region[b].Value
	})
	buckets := func(bounds []int64, counts []int, unit int64, suffix string) []BucketCount {
		out := []BucketCount{}
		for i, lo := range bounds {
			if counts == nil || counts[i] == 0 {
				continue
			}
			b := BucketCount{Min: lo, Count: counts[i]}
			if i+1 < len(bounds) {
				b.Max = bounds[i+1]
				b.Key = strconv.FormatInt(lo/unit, 10) + "-" + strconv.FormatInt(b.Max/unit, 10) + suffix
			} else {
				b.Key = strconv.FormatInt(lo/unit, 10) + suffix + "+"
			}
			out = append(out, b)
		}
		return out
	}
	f.Price = buckets(priceBuckets, fp, 100, "eur")
	f.Duration = buckets(hoursBuckets, fh, 1, "h")
	return f
}

// filter is a query's filters compiled against the index's codes.
type filter struct {
	impossible bool // a value no offer has: nothing matches
	mod        int  // -1: any
	kind       int
	region     int
	dept       int
	cert       int
	prov       int32
	priceMax   int64 // -1: none
	hoursMin   int32
	hoursMax   int32
	after      int32 // day numbers; 0: open
	before     int32
	today      int32
	dates      bool
	box        bool
	minLat     float64
	maxLat     float64
	minLon     float64
	maxLon     float64
	cells      []int32
}

func (ix *Index) compileFilter(q *Query) *filter {
	f := &filter{mod: -1, kind: -1, region: -1, dept: -1, cert: -1, prov: -1, priceMax: -1, hoursMin: int32(q.HoursMin), hoursMax: int32(q.HoursMax)}
	f.today = dayNumber(ix.now())
	lookup := func(s *strIntern, v string, dst *int) {
		if v == "" {
			return
		}
		id, ok := s.lookup(v)
		if !ok {
			f.impossible = true
			return
		}
		*dst = int(id)
	}
	lookup(&ix.regions, q.Region, &f.region)
	lookup(&ix.depts, q.Department, &f.dept)
	lookup(&ix.certs, q.Certification, &f.cert)
	if q.ProviderID != "" {
		id, ok := ix.providers.lookup(q.ProviderID)
		if !ok {
			f.impossible = true
		}
		f.prov = id
	}
	if q.Modality != "" {
		f.mod = int(modCode(q.Modality))
	}
	if q.CertificationKind != "" {
		f.kind = int(kindCode(q.CertificationKind))
	}
	if q.PriceMaxCents != nil {
		f.priceMax = *q.PriceMaxCents
	}
	if !q.StartAfter.IsZero() || !q.StartBefore.IsZero() {
		f.dates = true
		f.after = max(f.today, dayNumber(q.StartAfter))
		f.before = math.MaxInt32
		if !q.StartBefore.IsZero() {
			f.before = dayNumber(q.StartBefore)
		}
	}
	if q.Near != nil {
		f.box = true
		// A degree of latitude is 111.2 km; a degree of longitude shrinks
		// with the cosine of the latitude (taken at the box's edge nearest
		// a pole). A margin of 1 % covers rounding; DistanceKm decides.
		dLat := q.RadiusKm / 111.19 * 1.01
		f.minLat, f.maxLat = q.Near.Lat-dLat, q.Near.Lat+dLat
		edge := math.Min(89.9, math.Max(math.Abs(f.minLat), math.Abs(f.maxLat)))
		dLon := 180.0
		if c := math.Cos(edge * math.Pi / 180); c > 0 {
			dLon = math.Min(180, q.RadiusKm/(111.19*c)*1.01)
		}
		f.minLon, f.maxLon = q.Near.Lon-dLon, q.Near.Lon+dLon
		if f.minLon < -180 || f.maxLon > 180 {
			f.minLon, f.maxLon = -180, 180 // across the antimeridian: no box on longitude
		}
		for la := int32(math.Floor(f.minLat * 2)); la <= int32(math.Floor(f.maxLat*2)); la++ {
			for lo := int32(math.Floor(f.minLon * 2)); lo <= int32(math.Floor(f.maxLon*2)); lo++ {
				if _, ok := ix.grid[la*1000+lo]; ok {
					f.cells = append(f.cells, la*1000+lo)
				}
			}
		}
	}
	return f
}

// none reports whether the filter keeps every document.
func (f *filter) none() bool {
	return f.mod < 0 && f.kind < 0 && f.region < 0 && f.dept < 0 && f.cert < 0 && f.prov < 0 && f.priceMax < 0 &&
		f.hoursMin == 0 && f.hoursMax == 0 && !f.dates && !f.box
}

// listOf returns lists[i], or nil when i is negative; an empty list is
// not nil, so that it still wins as the shortest.
func listOf(lists [][]int32, i int) []int32 {
	if i < 0 {
		return nil
	}
	if i >= len(lists) || lists[i] == nil {
		return []int32{}
	}
	return lists[i]
}

func (f *filter) inBox(ix *Index, d int32) bool {
	if !f.box {
		return true
	}
	la, lo := ix.lat[d], ix.lon[d]
	return la >= f.minLat && la <= f.maxLat && lo >= f.minLon && lo <= f.maxLon
}

func (f *filter) pass(ix *Index, d int32) bool {
	switch {
	case f.mod >= 0 && int(ix.mod[d]) != f.mod,
		f.kind >= 0 && int(ix.kind[d]) != f.kind,
		f.region >= 0 && int(ix.region[d]) != f.region,
		f.dept >= 0 && int(ix.dept[d]) != f.dept,
		f.cert >= 0 && int(ix.cert[d]) != f.cert,
		f.prov >= 0 && ix.prov[d] != f.prov,
		f.priceMax >= 0 && int64(ix.price[d]) > f.priceMax,
		f.hoursMin > 0 && ix.hours[d] < f.hoursMin,
		f.hoursMax > 0 && ix.hours[d] > f.hoursMax:
		return false
	}
	if f.dates {
		ss := ix.starts[d]
		i, _ := slices.BinarySearch(ss, f.after)
		if i >= len(ss) || ss[i] > f.before {
			return false
		}
	}
	return true
}

// nextStart returns the day of the offer's next session (today or later),
// or the largest day number when it has none.
func (f *filter) nextStart(ix *Index, d int32) int32 {
	ss := ix.starts[d]
	i, _ := slices.BinarySearch(ss, f.today)
	if i >= len(ss) {
		return math.MaxInt32
	}
	return ss[i]
}

// scratchPool recycles the per-group arrays of searches.
var scratchPool = &scratchRecycler{}

type scratchRecycler struct {
	mu   sync.Mutex
	free []*scratch
}

func (r *scratchRecycler) get(n int) *scratch {
	r.mu.Lock()
	var s *scratch
	if k := len(r.free); k > 0 {
		s, r.free = r.free[k-1], r.free[:k-1]
	}
	r.mu.Unlock()
	if s == nil {
		s = &scratch{}
	}
	if len(s.stamp) < n {
		s.stamp = make([]uint32, n+n/4)
		s.best = make([]uint64, len(s.stamp))
		s.count = make([]int32, len(s.stamp))
		s.gen = 0
	}
	s.next()
	return s
}

// next starts a new generation of stamps.
func (s *scratch) next() {
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could collide
		clear(s.stamp)
		s.gen = 1
	}
}

func (r *scratchRecycler) put(s *scratch) {
	r.mu.Lock()
	if len(r.free) < 16 {
		r.free = append(r.free, s)
	}
	r.mu.Unlock()
}
