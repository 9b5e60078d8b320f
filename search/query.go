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
func (ix *Index) textMatches(terms []qterm) []scored {
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
			lists[i] = list{mergeAlts(ix, t.alts), 3}
		}
	}
	sort.Slice(lists, func(a, b int) bool { return len(lists[a].p) < len(lists[b].p) })
	pos := make([]int, len(lists))
	out := make([]scored, 0, len(lists[0].p))
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
// document the best points, scaled by the kind of match.
func mergeAlts(ix *Index, alts []alt) []post {
	best := map[int32]uint8{}
	for _, a := range alts {
		num := howNum[a.how]
		for _, p := range ix.postings[a.id] {
			w := uint8(int(p.w) * num / 3)
			if w > best[p.doc] {
				best[p.doc] = w
			}
		}
	}
	out := make([]post, 0, len(best))
	for d, w := range best {
		out = append(out, post{d, w})
	}
	slices.SortFunc(out, func(a, b post) int { return int(a.doc - b.doc) })
	return out
}

// cand is a matching document with its sort keys.
type cand struct {
	k1, k2 uint64 // primary key (by the chosen sort), tie-break
	doc    int32
	pts    int32
	tier   int8
	dist   float32
}

func (a *cand) less(b *cand) bool {
	if a.k1 != b.k1 {
		return a.k1 < b.k1
	}
	if a.k2 != b.k2 {
		return a.k2 < b.k2
	}
	return a.doc < b.doc
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
// the client address, the normalised query and the offer (see Keys), and
// the offers of one provider for one certification are grouped into one
// result. A page shows at most Options.ProviderCap results of one provider
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
	res, err := ix.search(&q, terms, rk, cur)
	ix.mu.RUnlock()
	if err != nil {
		return Result{}, err
	}
	if cur.offset+q.Limit < res.Total {
		res.Next = cursor{period: cur.period, offset: cur.offset + q.Limit}.String()
	}
	if ix.log != nil && q.After == "" {
		ix.log.add(q, terms)
	}
	return res, nil
}

// scratch holds per-search arrays indexed by group, reused.
type scratch struct {
	stamp []uint32
	best  []int32 // index in cands of the group's best
	count []int32
	gen   uint32
}

// groupKey is the key under which a document's results are grouped.
func (ix *Index) groupKey(q *Query, d int32) int32 {
	if q.Ungrouped {
		return d
	}
	return ix.group[d]
}

// search runs a checked query; the caller holds ix.mu.
func (ix *Index) search(q *Query, terms []qterm, rk requestKey, cur cursor) (Result, error) {
	f := ix.compileFilter(q)
	var res Result
	if f.impossible {
		res.Facets = ix.facets(nil, nil, nil, nil, nil)
		return res, nil
	}
	var maxPts int32
	var matches []scored
	hasText := len(terms) > 0
	if hasText {
		maxPts = int32(strongPoints * len(terms))
		matches = ix.textMatches(terms)
	}

	cands := make([]cand, 0, 1024)
	var fm [4]int
	var fk [3]int
	fr := make([]int, len(ix.regions.names))
	fp := make([]int, len(priceBuckets))
	fh := make([]int, len(hoursBuckets))
	visit := func(d int32, pts int32) {
		if !ix.alive[d] || !f.pass(ix, d) {
			return
		}
		var dist float32
		if q.Near != nil {
			km := geo.DistanceKm(q.Near.Lat, q.Near.Lon, ix.lat[d], ix.lon[d])
			if km > q.RadiusKm {
				return
			}
			dist = float32(km)
		}
		tier := tierOf(pts, maxPts)
		c := cand{k2: rk.tie(ix.seed[d]), doc: d, pts: pts, tier: tier, dist: dist}
		rel := uint64(4 - tier)
		switch q.Sort {
		case SortRelevance:
			c.k1 = rel
		case SortPrice:
			c.k1 = uint64(ix.price[d])<<3 | rel
		case SortDistance:
			c.k1 = uint64(dist*1000)<<3 | rel
		case SortStartDate:
			c.k1 = uint64(f.nextStart(ix, d))<<3 | rel
		}
		cands = append(cands, c)
		fm[ix.mod[d]]++
		fk[ix.kind[d]]++
		fr[ix.region[d]]++
		fp[ix.priceBk[d]]++
		fh[ix.hoursBk[d]]++
	}
	switch {
	case hasText:
		for _, m := range matches {
			if f.inBox(ix, m.doc) {
				visit(m.doc, m.pts)
			}
		}
	case q.Near != nil:
		for _, cell := range f.cells {
			for _, d := range ix.grid[cell] {
				if f.inBox(ix, d) {
					visit(d, 0)
				}
			}
		}
	default:
		for d := range ix.docs {
			visit(int32(d), 0)
		}
	}
	res.TotalOffers = len(cands)
	res.Facets = ix.facets(fm[:], fk[:], fr, fp, fh)

	// One result per group: its best member in the chosen order.
	ngroups := int(ix.nGroups)
	if q.Ungrouped {
		ngroups = len(ix.docs)
	}
	sc := scratchPool.get(ngroups)
	defer scratchPool.put(sc)
	reps := make([]int32, 0, min(len(cands), ngroups))
	for i := range cands {
		g := ix.groupKey(q, cands[i].doc)
		if sc.stamp[g] != sc.gen {
			sc.stamp[g] = sc.gen
			sc.best[g] = int32(i)
			sc.count[g] = 1
			reps = append(reps, g)
			continue
		}
		sc.count[g]++
		if cands[i].less(&cands[sc.best[g]]) {
			sc.best[g] = int32(i)
		}
	}
	res.Total = len(reps)
	if cur.offset >= len(reps) {
		return res, nil
	}
	// A group's place among the others is drawn by the keyed hash of the
	// group (provider and certification), not of its best member: the
	// least of many members' hashes would put a provider that publishes
	// one training in many towns ahead of the others.
	items := make([]int32, len(reps)) // indexes in cands
	for i, g := range reps {
		b := sc.best[g]
		if q.Ungrouped {
			cands[b].k2 = rk.tie(ix.seed[g])
		} else {
			cands[b].k2 = rk.tie(ix.groupSeed[g])
		}
		items[i] = b
	}

	capped := q.Sort == SortRelevance && ix.opts.ProviderCap > 0 && q.ProviderID == "" && !q.Ungrouped
	want := cur.offset + q.Limit
	if q.all {
		want = len(items)
	}
	var order []int32
	for m := max(2*want+64, 256); ; m *= 4 {
		top := selectTop(cands, items, m)
		if !capped {
			order = top[:min(len(top), want)]
			break
		}
		var exhausted bool
		order, exhausted = ix.layout(cands, top, q.Limit, ix.opts.ProviderCap, want)
		if !exhausted || len(top) == len(items) {
			break
		}
	}
	if cur.offset >= len(order) {
		return res, nil
	}
	page := order[cur.offset:min(len(order), want)]

	// Tier sizes, for explanations.
	var tierSize [5]int
	if q.Explain {
		for _, g := range reps {
			tierSize[cands[sc.best[g]].tier]++
		}
	}
	res.Hits = make([]Hit, len(page))
	anyOthers := false
	for i, ci := range page {
		c := &cands[ci]
		dd := &ix.docs[c.doc]
		h := Hit{Offer: dd.offer, Sessions: dd.sessions, Tier: int(c.tier), Score: 1}
		h.Offer.Skills = slices.Clone(h.Offer.Skills)
		if maxPts > 0 {
			h.Score = math.Round(float64(c.pts)/float64(maxPts)*1000) / 1000
		}
		if q.Near != nil {
			h.DistanceKm, h.HasDistance = math.Round(float64(c.dist)*10)/10, true
		}
		h.Others = int(sc.count[ix.groupKey(q, c.doc)]) - 1
		anyOthers = anyOthers || h.Others > 0
		if q.Explain {
			h.Explanation = ix.explain(terms, c, maxPts, tierSize[c.tier], q.Sort)
		}
		res.Hits[i] = h
	}
	if anyOthers {
		ix.otherCommunes(q, cands, page, res.Hits, sc)
	}
	return res, nil
}

// otherCommunes fills the communes of the other members of the page's
// groups. It reuses the group stamps with a new generation.
func (ix *Index) otherCommunes(q *Query, cands []cand, page []int32, hits []Hit, sc *scratch) {
	sc.next()
	for i, ci := range page {
		g := ix.groupKey(q, cands[ci].doc)
		sc.stamp[g] = sc.gen
		sc.best[g] = int32(i)
	}
	for i := range cands {
		d := cands[i].doc
		g := ix.groupKey(q, d)
		if sc.stamp[g] != sc.gen {
			continue
		}
		h := &hits[sc.best[g]]
		if d == ix.byID[h.Offer.ID] || len(h.OtherCommunes) >= 5 {
			continue
		}
		cm := ix.docs[d].offer.Commune
		if cm != h.Offer.Commune && !contains(h.OtherCommunes, cm) {
			h.OtherCommunes = append(h.OtherCommunes, cm)
		}
	}
	for i := range hits {
		slices.Sort(hits[i].OtherCommunes)
	}
}

// selectTop returns the m first items (indexes in cands) in order.
func selectTop(cands []cand, items []int32, m int) []int32 {
	less := func(a, b int32) int {
		if cands[a].less(&cands[b]) {
			return -1
		}
		if cands[b].less(&cands[a]) {
			return 1
		}
		return 0
	}
	if len(items) <= m {
		out := slices.Clone(items)
		slices.SortFunc(out, less)
		return out
	}
	// A max-heap of the m best seen so far.
	h := slices.Clone(items[:m])
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && cands[h[l]].less(&cands[h[r]]) {
				l = r
			}
			if !cands[h[i]].less(&cands[h[l]]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, it := range items[m:] {
		if cands[it].less(&cands[h[0]]) {
			h[0] = it
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
// reports whether it reached the end of top while more results may
// follow (the caller then gives it a longer top).
func (ix *Index) layout(cands []cand, top []int32, per, capN, want int) ([]int32, bool) {
	out := make([]int32, 0, want)
	var waiting []int32
	i := 0
	count := map[int32]int{}
	for len(out) < want && (i < len(top) || len(waiting) > 0) {
		start := len(out)
		clear(count)
		take := func(ci int32) {
			out = append(out, ci)
			count[ix.prov[cands[ci].doc]]++
		}
		room := func() bool { return len(out)-start < per && len(out) < want }
		// Waiting results first, in order; one that must wait again
		// holds back the lower tiers behind it.
		var still []int32
		block := int8(-1)
		for _, ci := range waiting {
			c := &cands[ci]
			if room() && count[ix.prov[c.doc]] < capN && c.tier >= block {
				take(ci)
			} else {
				if block < 0 {
					block = c.tier
				}
				still = append(still, ci)
			}
		}
		waiting = still
		for room() && i < len(top) {
			c := &cands[top[i]]
			if len(waiting) > 0 && c.tier < cands[waiting[0]].tier {
				break
			}
			i++
			if count[ix.prov[c.doc]] < capN {
				take(top[i-1])
			} else {
				waiting = append(waiting, top[i-1])
			}
		}
		for room() && len(waiting) > 0 && (i >= len(top) || cands[top[i]].tier < cands[waiting[0]].tier) {
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
func (ix *Index) explain(terms []qterm, c *cand, maxPts int32, tierSize int, s Sort) *Explanation {
	e := &Explanation{Points: int(c.pts), MaxPoints: int(maxPts), Tier: int(c.tier), TierSize: tierSize, Sort: s}
	dt := ix.docs[c.doc].terms
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
func (ix *Index) facets(fm, fk, fr, fp, fh []int) Facets {
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
		s.best = make([]int32, len(s.stamp))
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
