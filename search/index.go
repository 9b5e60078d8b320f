package search

import (
	"context"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Index holds the published offers, in memory, in the layout the ranking
// reads: one document number per offer, columns of the fields filters
// read, and for every stem the sorted list of the documents that hold it
// with the points a match earns. Writes update it in place (no rebuild).
// It is safe for concurrent use: searches share a read lock, writes take
// the write lock for the few microseconds an offer's update takes. The
// zero value is not usable, call New or NewWithOptions.
type Index struct {
	opts Options
	keys *Keys
	log  *QueryLog
	now  func() time.Time

	mu   sync.RWMutex
	byID map[string]int32
	free []int32 // document numbers of removed offers, reused first

	// Per document number.
	docs    []docData
	alive   []bool
	price   []int32 // cents
	hours   []int32
	mod     []uint8 // modality code
	kind    []uint8 // certification kind code
	region  []uint16
	dept    []uint16
	cert    []uint16
	group   []int32 // (provider, certification) group
	prov    []int32
	lat     []float64
	lon     []float64
	seed    []uint64 // hash of the offer ID, input of the tie-break
	starts  [][]int32
	priceBk []uint8
	hoursBk []uint8

	// Terms.
	terms    []string
	termID   map[string]uint32
	postings [][]post
	deletes  map[string][]uint32

	// Interned values.
	regions, depts, certs strIntern
	providers             strIntern
	groups                map[[2]int32]int32
	nGroups               int32
	groupSeed             []uint64  // hash of provider ID and certification code, per group
	groupProv             []int32   // provider of each group
	groupCert             []int32   // certification of each group
	members               [][]int32 // documents of each group, sorted
	grid                  map[int32][]int32
	// Documents by region, department and certification (sorted), and
	// the facet counts of the whole index, kept on every write so that
	// broad queries read them rather than every document.
	byRegion, byDept, byCert [][]int32
	all                      facetCounts

	certCounts map[string]*CertificationCount
	regionN    map[string]int
	n          int
}

// docData is what the index keeps of one offer besides its columns.
type docData struct {
	offer    marketplace.Offer // without Description and Objectives
	sessions []marketplace.Session
	terms    []post // the offer's stems (term ids) and points, for removal and explanations
}

// post is one entry of a postings list: a document number and the points
// a query word earns by matching it (see points).
type post struct {
	doc int32
	w   uint8
}

// strIntern numbers distinct strings.
type strIntern struct {
	ids   map[string]int32
	names []string
}

func (s *strIntern) id(v string) int32 {
	if s.ids == nil {
		s.ids = map[string]int32{}
	}
	if id, ok := s.ids[v]; ok {
		return id
	}
	id := int32(len(s.names))
	s.ids[v] = id
	s.names = append(s.names, v)
	return id
}

func (s *strIntern) lookup(v string) (int32, bool) {
	id, ok := s.ids[v]
	return id, ok
}

// Options tune the index. The zero value of a field means its default.
type Options struct {
	// ProviderCap is the most results of one provider on one page of a
	// relevance-ordered search (default 3; negative: no cap).
	ProviderCap int
	// DefaultPerPage and MaxPerPage bound page sizes (default 20 and 100).
	DefaultPerPage, MaxPerPage int
	// Keys makes the tie-break keys; nil means random keys rotated daily.
	Keys *Keys
	// QueryLog, when set, receives the anonymised queries of first pages,
	// for the neutrality job.
	QueryLog *QueryLog
	// Now is the clock (session dates); nil means time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultProviderCap = 3
	DefaultPerPage     = 20
	MaxPerPage         = 100
)

var _ marketplace.Observer = (*Index)(nil)

// New returns an empty index with default options.
func New() *Index { return NewWithOptions(Options{}) }

// NewWithOptions returns an empty index.
func NewWithOptions(o Options) *Index {
	if o.ProviderCap == 0 {
		o.ProviderCap = DefaultProviderCap
	}
	if o.MaxPerPage <= 0 {
		o.MaxPerPage = MaxPerPage
	}
	if o.DefaultPerPage <= 0 {
		o.DefaultPerPage = min(DefaultPerPage, o.MaxPerPage)
	}
	if o.Keys == nil {
		o.Keys = RandomKeys(24 * time.Hour)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Index{
		opts: o, keys: o.Keys, log: o.QueryLog, now: o.Now,
		byID: map[string]int32{}, termID: map[string]uint32{}, deletes: map[string][]uint32{},
		groups: map[[2]int32]int32{}, grid: map[int32][]int32{},
		certCounts: map[string]*CertificationCount{}, regionN: map[string]int{},
	}
}

// Options returns the options in force, defaults filled in.
func (ix *Index) Options() Options { return ix.opts }

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

// Field weights: a query word found in the title, the certification or the
// skills earns strongPoints, one found only in the description or the
// objectives weakPoints. Each field counts a word once however often it
// is repeated (term frequency capped at one), and a field holding more
// distinct words than its allowance below has its points scaled down by
// allowance/words: stuffing a title or the skills with keywords lowers
// what each keyword earns.
const (
	strongPoints = 30
	weakPoints   = 10

	titleAllowance  = 12
	certAllowance   = 16
	skillsAllowance = 40
	textAllowance   = 150
)

// indexTerms returns the stems of an offer with their points.
func indexTerms(o *marketplace.Offer) map[string]uint8 {
	out := make(map[string]uint8, 64)
	put := func(stems []string, base, allowance int) {
		slices.Sort(stems)
		stems = slices.Compact(stems)
		w := base
		if len(stems) > allowance {
			w = base * allowance / len(stems)
		}
		w = max(w, 1)
		for _, s := range stems {
			if uint8(w) > out[s] {
				out[s] = uint8(w)
			}
		}
	}
	title := analyze(o.Title)
	cert := append(analyze(o.Certification.Title), analyze(o.Certification.Code)...)
	var skills []string
	for _, s := range o.Skills {
		skills = append(skills, analyze(s)...)
	}
	// Acronyms and their phrases, as strong as the field they come from;
	// found on the words in order, before put sorts them.
	title = append(title, expandAbbreviations(title)...)
	cert = append(cert, expandAbbreviations(cert)...)
	skills = append(skills, expandAbbreviations(skills)...)
	text := append(analyze(o.Description), analyze(o.Objectives)...)
	text = append(text, expandAbbreviations(text)...)
	put(title, strongPoints, titleAllowance)
	put(cert, strongPoints, certAllowance)
	put(skills, strongPoints, skillsAllowance)
	put(text, weakPoints, textAllowance)
	return out
}

// Codes of the modality and certification kind columns.
var (
	modalities = []marketplace.Modality{marketplace.InPerson, marketplace.Distance, marketplace.Mixed}
	kinds      = []marketplace.CertificationKind{marketplace.RNCP, marketplace.RS}
)

func modCode(m marketplace.Modality) uint8 {
	for i, x := range modalities {
		if x == m {
			return uint8(i)
		}
	}
	return uint8(len(modalities))
}

func kindCode(k marketplace.CertificationKind) uint8 {
	for i, x := range kinds {
		if x == k {
			return uint8(i)
		}
	}
	return uint8(len(kinds))
}

// gridCell returns the cell of the 0.5° grid that holds a point.
func gridCell(lat, lon float64) int32 {
	return int32(math.Floor(lat*2))*1000 + int32(math.Floor(lon*2))
}

// OfferSaved implements marketplace.Observer: a published offer is
// (re)indexed, any other is removed.
func (ix *Index) OfferSaved(o marketplace.Offer, sessions []marketplace.Session) {
	if o.Status != marketplace.Published {
		ix.OfferDeleted(o.ID)
		return
	}
	// Analysis happens before the lock: it is most of the cost.
	terms := indexTerms(&o)
	o.Description, o.Objectives = "", ""
	sessions = slices.Clone(sessions)
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].Start.Before(sessions[j].Start) })
	starts := make([]int32, len(sessions))
	for i, s := range sessions {
		starts[i] = dayNumber(s.Start)
	}
	h := fnv.New64a()
	h.Write([]byte(o.ID))
	seed := h.Sum64()

	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(o.ID)
	var d int32
	if n := len(ix.free); n > 0 {
		d, ix.free = ix.free[n-1], ix.free[:n-1]
	} else {
		d = int32(len(ix.docs))
		ix.docs = append(ix.docs, docData{})
		ix.alive = append(ix.alive, false)
		ix.price = append(ix.price, 0)
		ix.hours = append(ix.hours, 0)
		ix.mod = append(ix.mod, 0)
		ix.kind = append(ix.kind, 0)
		ix.region = append(ix.region, 0)
		ix.dept = append(ix.dept, 0)
		ix.cert = append(ix.cert, 0)
		ix.group = append(ix.group, 0)
		ix.prov = append(ix.prov, 0)
		ix.lat = append(ix.lat, 0)
		ix.lon = append(ix.lon, 0)
		ix.seed = append(ix.seed, 0)
		ix.starts = append(ix.starts, nil)
		ix.priceBk = append(ix.priceBk, 0)
		ix.hoursBk = append(ix.hoursBk, 0)
	}
	ix.byID[o.ID] = d
	ix.alive[d] = true
	ix.price[d] = int32(o.PriceCents)
	ix.hours[d] = int32(o.Hours)
	ix.mod[d] = modCode(o.Modality)
	ix.kind[d] = kindCode(o.Certification.Kind)
	ix.region[d] = uint16(ix.regions.id(o.Region))
	ix.dept[d] = uint16(ix.depts.id(o.Department))
	ix.cert[d] = uint16(ix.certs.id(o.Certification.Code))
	p := ix.providers.id(o.ProviderID)
	ix.prov[d] = p
	gk := [2]int32{p, int32(ix.cert[d])}
	g, ok := ix.groups[gk]
	if !ok {
		g = ix.nGroups
		ix.nGroups++
		ix.groups[gk] = g
		gh := fnv.New64a()
		gh.Write([]byte(o.ProviderID + "\x00" + o.Certification.Code))
		ix.groupSeed = append(ix.groupSeed, gh.Sum64())
		ix.groupProv = append(ix.groupProv, p)
		ix.groupCert = append(ix.groupCert, int32(ix.cert[d]))
		ix.members = append(ix.members, nil)
	}
	ix.group[d] = g
	ix.members[g] = insertSorted(ix.members[g], d)
	ix.byRegion = addTo(ix.byRegion, int(ix.region[d]), d)
	ix.byDept = addTo(ix.byDept, int(ix.dept[d]), d)
	ix.byCert = addTo(ix.byCert, int(ix.cert[d]), d)
	ix.lat[d], ix.lon[d] = o.Lat, o.Lon
	ix.seed[d] = seed
	ix.starts[d] = starts
	ix.priceBk[d] = bucketOf(priceBuckets, int64(o.PriceCents))
	ix.hoursBk[d] = bucketOf(hoursBuckets, int64(o.Hours))
	ix.all.add(ix, d, 1)
	cell := gridCell(o.Lat, o.Lon)
	ix.grid[cell] = insertSorted(ix.grid[cell], d)

	dt := make([]post, 0, len(terms))
	for t, w := range terms {
		id, ok := ix.termID[t]
		if !ok {
			t = strings.Clone(t) // not a window on the offer's text
			id = uint32(len(ix.terms))
			ix.terms = append(ix.terms, t)
			ix.termID[t] = id
			ix.postings = append(ix.postings, nil)
			ix.addDeletes(t, id)
		}
		dt = append(dt, post{doc: int32(id), w: w})
		ix.postings[id] = insertPost(ix.postings[id], post{doc: d, w: w})
	}
	slices.SortFunc(dt, func(a, b post) int { return int(a.doc - b.doc) }) // by term id, for explanations
	ix.docs[d] = docData{offer: o, sessions: sessions, terms: dt}

	c := ix.certCounts[o.Certification.Code]
	if c == nil {
		c = &CertificationCount{Code: o.Certification.Code, Kind: string(o.Certification.Kind), Title: o.Certification.Title}
		ix.certCounts[o.Certification.Code] = c
	}
	c.Offers++
	ix.regionN[o.Region]++
	ix.n++
}

// OfferDeleted implements marketplace.Observer.
func (ix *Index) OfferDeleted(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

// remove takes an offer out of every structure; the caller holds the write lock.
func (ix *Index) remove(id string) {
	d, ok := ix.byID[id]
	if !ok {
		return
	}
	delete(ix.byID, id)
	dd := &ix.docs[d]
	for _, t := range dd.terms {
		ix.postings[t.doc] = removePost(ix.postings[t.doc], d)
	}
	ix.members[ix.group[d]] = removeSorted(ix.members[ix.group[d]], d)
	ix.byRegion[ix.region[d]] = removeSorted(ix.byRegion[ix.region[d]], d)
	ix.byDept[ix.dept[d]] = removeSorted(ix.byDept[ix.dept[d]], d)
	ix.byCert[ix.cert[d]] = removeSorted(ix.byCert[ix.cert[d]], d)
	ix.all.add(ix, d, -1)
	cell := gridCell(ix.lat[d], ix.lon[d])
	if l := removeSorted(ix.grid[cell], d); len(l) == 0 {
		delete(ix.grid, cell)
	} else {
		ix.grid[cell] = l
	}
	o := &dd.offer
	if c := ix.certCounts[o.Certification.Code]; c != nil {
		if c.Offers--; c.Offers == 0 {
			delete(ix.certCounts, o.Certification.Code)
		}
	}
	if ix.regionN[o.Region]--; ix.regionN[o.Region] == 0 {
		delete(ix.regionN, o.Region)
	}
	*dd = docData{}
	ix.alive[d] = false
	ix.starts[d] = nil
	ix.free = append(ix.free, d)
	ix.n--
}

// addTo adds d to the sorted list lists[i], growing lists as needed.
func addTo(lists [][]int32, i int, d int32) [][]int32 {
	for len(lists) <= i {
		lists = append(lists, nil)
	}
	lists[i] = insertSorted(lists[i], d)
	return lists
}

// facetCounts count documents by modality, certification kind, region,
// price and duration bucket.
type facetCounts struct {
	mod    [4]int
	kind   [3]int
	region []int
	price  [8]int
	hours  [8]int
}

func (c *facetCounts) add(ix *Index, d int32, n int) {
	c.mod[ix.mod[d]] += n
	c.kind[ix.kind[d]] += n
	for len(c.region) <= int(ix.region[d]) {
		c.region = append(c.region, 0)
	}
	c.region[ix.region[d]] += n
	c.price[ix.priceBk[d]] += n
	c.hours[ix.hoursBk[d]] += n
}

func insertPost(l []post, p post) []post {
	if len(l) == 0 || l[len(l)-1].doc < p.doc {
		return append(l, p) // the usual case: new documents get new numbers
	}
	i, found := slices.BinarySearchFunc(l, p.doc, func(e post, d int32) int { return int(e.doc - d) })
	if found {
		l[i] = p
		return l
	}
	return slices.Insert(l, i, p)
}

func removePost(l []post, d int32) []post {
	i, found := slices.BinarySearchFunc(l, d, func(e post, d int32) int { return int(e.doc - d) })
	if !found {
		return l
	}
	return slices.Delete(l, i, i+1)
}

func insertSorted(l []int32, d int32) []int32 {
	if len(l) == 0 || l[len(l)-1] < d {
		return append(l, d)
	}
	i, found := slices.BinarySearch(l, d)
	if found {
		return l
	}
	return slices.Insert(l, i, d)
}

func removeSorted(l []int32, d int32) []int32 {
	i, found := slices.BinarySearch(l, d)
	if !found {
		return l
	}
	return slices.Delete(l, i, i+1)
}

// dayNumber returns the days since 1970-01-01 of t's UTC day.
func dayNumber(t time.Time) int32 {
	return int32(t.UTC().Unix() / 86400)
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
	out := make([]CertificationCount, 0, len(ix.certCounts))
	for _, c := range ix.certCounts {
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
	out := make(map[string]int, len(ix.regionN))
	for k, v := range ix.regionN {
		out[k] = v
	}
	return out
}

// Len returns the number of indexed offers.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.n
}

// Offer returns an indexed (published) offer by ID, without its
// Description and Objectives, which the index does not keep: read them
// from the store.
func (ix *Index) Offer(id string) (Hit, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d, ok := ix.byID[id]
	if !ok {
		return Hit{}, false
	}
	return Hit{Offer: ix.docs[d].offer, Sessions: ix.docs[d].sessions}, true
}
