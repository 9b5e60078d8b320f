package demo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// Options sizes the demo set.
type Options struct {
	Seed      int64
	Providers int       // e.g. 300; zero or less means DefaultProviders
	Offers    int       // e.g. 20000; zero or less means DefaultOffers
	Now       time.Time // reference instant: Qualiopi expiries, session dates, CreatedAt are relative to it; zero means 2026-01-05 09:00 UTC
}

// The sizes used for zero Options fields, those of the shipped demo mode.
const (
	DefaultProviders = 300
	DefaultOffers    = 20_000
)

// referenceNow is the instant used when Options.Now is zero, so that the
// zero Options still give one fixed catalogue.
var referenceNow = time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)

// pcgStream is the second half of the PCG seed: the Options' seed is the
// first, so that seeds stay small numbers in configuration files.
const pcgStream = 0x7061_7263_6f75_7273 // "parcours"

// Time spans, in milliseconds.
const (
	minute = int64(time.Minute / time.Millisecond)
	hour   = 60 * minute
	day    = 24 * hour
	year   = 365 * day
)

// Catalogue returns the demo set; the same Options always give the same
// catalogue (byte-identical records), whatever the machine. Providers,
// offers and sessions are each sorted by ID, which is creation order. A nil
// places means geo.Default(); a gazetteer without communes of the 101
// departments gives an empty catalogue. Catalogue is safe for concurrent
// use.
func Catalogue(opts Options, places *geo.Gazetteer) marketplace.Catalogue {
	if places == nil {
		places = geo.Default()
	}
	pl := newPlaces(places)
	if len(pl.eligible) == 0 {
		return marketplace.Catalogue{}
	}
	nProviders, nOffers := opts.Providers, opts.Offers
	if nProviders <= 0 {
		nProviders = DefaultProviders
	}
	if nOffers <= 0 {
		nOffers = DefaultOffers
	}
	now := opts.Now
	if now.IsZero() {
		now = referenceNow
	}
	g := &generator{
		r:      rand.New(rand.NewPCG(uint64(opts.Seed), pcgStream)),
		now:    now.UnixMilli(),
		pl:     pl,
		sirens: make(map[string]bool, nProviders),
		ndas:   make(map[string]bool, nProviders),
		names:  make(map[string]bool, nProviders),
		slugs:  make(map[string]bool, nProviders),
	}
	y, m, d := now.UTC().Date()
	g.today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)

	provs := g.providers(nProviders)
	weights := make([]int64, len(provs))
	for i := range provs {
		weights[i] = provs[i].size
	}
	floor := 0
	if nOffers >= nProviders {
		floor = 1 // every provider shows at least one offer
	}
	counts := apportion(nOffers, weights, floor)
	offers, fams := g.offers(provs, counts)
	sessions := g.sessions(offers, fams)

	cat := marketplace.Catalogue{
		Providers: make([]marketplace.Provider, len(provs)),
		Offers:    offers,
		Sessions:  sessions,
	}
	for i := range provs {
		cat.Providers[i] = provs[i].Provider
	}
	return cat
}

// generator holds the state of one Catalogue call. Every random draw goes
// through r, in a fixed order, and no floating-point arithmetic is done
// beyond rounding coordinates (see places), so the output depends on the
// Options only.
type generator struct {
	r     *rand.Rand
	now   int64     // Unix milliseconds
	today time.Time // midnight UTC of the day of now
	pl    *places

	sirens, ndas, names, slugs map[string]bool

	buf []byte // scratch for texts, reused so that each text is allocated once
}

// millis returns the UTC time of Unix milliseconds ms.
func millis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// between returns a uniform instant in [lo, hi), or lo when hi <= lo.
func (g *generator) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.r.Int64N(hi-lo)
}

// intIn returns a uniform int in [r[0], r[1]].
func (g *generator) intIn(r [2]int) int { return r[0] + g.r.IntN(r[1]-r[0]+1) }

// pick returns the index drawn from weights.
func (g *generator) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.r.IntN(total)
	for i, w := range weights {
		x -= w
		if x < 0 {
			return i
		}
	}
	return len(weights) - 1
}

// oneOf returns one of the strings, uniformly.
func (g *generator) oneOf(s []string) string { return s[g.r.IntN(len(s))] }

// increasing makes ts strictly increasing by nudging ties forward by a
// millisecond, so that creation instants, hence IDs, are distinct.
func increasing(ts []int64) {
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			ts[i] = ts[i-1] + 1
		}
	}
}

// stamp is a record's creation instant (Unix milliseconds) and its index
// in generation order, which breaks ties. Records are put in creation
// order by sorting their stamps, cheaper than sorting the records.
type stamp struct {
	ms  int64
	idx int
}

// inOrder sorts stamps by creation instant, then makes the instants
// strictly increasing (see increasing).
func inOrder(st []stamp) {
	slices.SortFunc(st, func(a, b stamp) int {
		if c := cmp.Compare(a.ms, b.ms); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	for i := 1; i < len(st); i++ {
		if st[i].ms <= st[i-1].ms {
			st[i].ms = st[i-1].ms + 1
		}
	}
}

// apportion splits total into parts proportional to weights, each at least
// floor, by the largest-remainder method (ties to the lower index).
func apportion(total int, weights []int64, floor int) []int {
	n := len(weights)
	out := make([]int, n)
	rest := total - floor*n
	if rest < 0 {
		floor, rest = 0, total
	}
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if n == 0 || sum == 0 {
		return out
	}
	rems := make([]int64, n)
	given := 0
	for i, w := range weights {
		q := int64(rest) * w
		out[i] = floor + int(q/sum)
		rems[i] = q % sum
		given += int(q / sum)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rems[b], rems[a]) })
	for _, i := range order[:rest-given] {
		out[i]++
	}
	return out
}

// reach says where a provider teaches.
type reach int

const (
	local    reach = iota // one town, maybe a second site nearby
	regional              // several sites across its region
	network               // a national network of centres in big cities
	online                // distance learning from its head office
	nReaches
)

// reachWeights are per sector, multi last: local, regional, network, online.
var reachWeights = [nSectors + 1][nReaches]int{
	driving:   {85, 12, 3, 0},
	safety:    {45, 40, 15, 0},
	languages: {45, 20, 15, 20},
	office:    {40, 20, 15, 25},
	software:  {35, 30, 20, 15},
	business:  {40, 25, 15, 20},
	care:      {60, 35, 5, 0},
	food:      {60, 35, 5, 0},
	multi:     {25, 75, 0, 0},
}

// sectorWeights say how many providers of each sector, multi last.
var sectorWeights = [nSectors + 1]int{
	driving: 18, safety: 12, languages: 18, office: 15, software: 7,
	business: 14, care: 6, food: 4, multi: 6,
}

// provider is a provider with what the generator needs to give it offers.
type provider struct {
	marketplace.Provider
	sector   sector // or multi
	reach    reach
	dept     int   // index in places.depts of the head office
	home     int   // index in places.communes of the head office
	sites    []int // other communes where it teaches
	families []int // indexes in families, main one first
	size     int64 // relative number of offers
	publish  bool  // its Qualiopi certification is valid at now
}

// providers draws n providers, in creation order.
func (g *generator) providers(n int) []provider {
	pl := g.pl
	// Head offices are spread over the departments in proportion to their
	// weight, with at least one per department when there are enough
	// providers: every department has its training organisations.
	dw := make([]int64, len(pl.depts))
	for i := range pl.depts {
		dw[i] = pl.depts[i].weight
	}
	floor := 0
	if n >= len(pl.depts) {
		floor = 1
	}
	var deptOf []int
	for d, k := range apportion(n, dw, floor) {
		for range k {
			deptOf = append(deptOf, d)
		}
	}
	g.r.Shuffle(len(deptOf), func(i, j int) { deptOf[i], deptOf[j] = deptOf[j], deptOf[i] })

	created := make([]int64, n)
	for i := range created {
		created[i] = g.between(g.now-5*year, g.now-120*day)
	}
	slices.Sort(created)
	increasing(created)

	out := make([]provider, n)
	sw := sectorWeights[:]
	for i := range out {
		p := &out[i]
		p.sector = sector(g.pick(sw))
		p.reach = reach(g.pick(reachWeights[p.sector][:]))
		p.dept = deptOf[i]
		p.home = pl.inDept(g, p.dept)
		p.families = g.chooseFamilies(p.sector)
		p.sites = g.sites(p)
		p.size = g.size(p.reach)
		g.fillProvider(p, created[i])
	}
	return out
}

// chooseFamilies draws the 1 to 3 families a provider teaches (3 or 4 for
// general centres), distinct, weighted by how common they are.
func (g *generator) chooseFamilies(s sector) []int {
	var pool []int
	var k int
	if s == multi {
		for sec := range nSectors {
			if sec != driving {
				pool = append(pool, bySector[sec]...)
			}
		}
		k = 3 + g.r.IntN(2)
	} else {
		pool = bySector[s]
		k = 1 + g.pick([]int{40, 35, 25})
	}
	k = min(k, len(pool))
	w := make([]int, len(pool))
	for i, f := range pool {
		w[i] = families[f].weight
	}
	chosen := make([]int, 0, k)
	for len(chosen) < k {
		j := g.pick(w)
		chosen = append(chosen, pool[j])
		w[j] = 0
	}
	return chosen
}

// sites draws the communes other than its head office where a provider
// teaches: nearby for local ones, across the region for regional ones, in
// big cities for networks.
func (g *generator) sites(p *provider) []int {
	pl := g.pl
	var n int
	switch p.reach {
	case local:
		n = g.r.IntN(3)
	case regional:
		n = 2 + g.r.IntN(4)
	case network:
		n = 4 + g.r.IntN(9)
	}
	var sites []int
	for range n {
		var c int
		x := g.r.IntN(100)
		switch {
		case p.reach == local && x < 60, p.reach == regional && x < 30:
			c = pl.inDept(g, p.dept)
		case p.reach == local, p.reach == regional && x < 70:
			c = pl.inDept(g, pl.nearDept(g, p.dept))
		case p.reach == regional, x < 25:
			c = pl.inDept(g, pl.inRegion(g, p.dept))
		default:
			var ok bool
			if c, ok = pl.city(g); !ok {
				c = pl.inDept(g, p.dept)
			}
		}
		if c != p.home && !slices.Contains(sites, c) {
			sites = append(sites, c)
		}
	}
	return sites
}

// size draws how many offers a provider has, relatively: most have a
// handful, a few have hundreds (networks and online providers run large
// catalogues).
func (g *generator) size(r reach) int64 {
	class := g.pick([]int{45, 30, 18, 7})
	if r == network || r == online {
		class = max(class, g.pick([]int{45, 30, 18, 7}))
	}
	switch class {
	case 0:
		return int64(1 + g.r.IntN(4))
	case 1:
		return int64(5 + g.r.IntN(11))
	case 2:
		return int64(16 + g.r.IntN(35))
	}
	return int64(51 + g.r.IntN(100))
}

// fillProvider sets the marketplace fields of p, created at Unix
// milliseconds created.
func (g *generator) fillProvider(p *provider, created int64) {
	pl := g.pl
	home := &pl.communes[p.home]
	dp := &pl.depts[p.dept]
	p.Commune = home.INSEE
	p.CreatedAt = millis(created)
	p.UpdatedAt = p.CreatedAt
	if g.r.IntN(10) < 6 {
		p.UpdatedAt = millis(g.between(created, g.now-minute))
	}
	p.ID = g.uuid(created)
	p.SIRET = g.siret()
	p.NDA = g.nda(dp.Region, dp.Code)
	p.Name = g.providerName(p, home.Name, dp.Name)
	s := slug(p.Name)
	for k := 2; g.slugs[s]; k++ {
		s = slug(p.Name) + "-" + strconv.Itoa(k)
	}
	g.slugs[s] = true
	p.Website = "https://" + s + ".example"
	p.Email = g.oneOf([]string{"contact", "formation", "accueil", "inscriptions"}) + "@" + s + ".example"

	// About 93 % of providers hold a Qualiopi certificate valid one month
	// to three years from now; the others let theirs expire or never had
	// one, and cannot publish.
	switch x := g.r.IntN(100); {
	case x < 93:
		until := g.today.AddDate(0, 0, 31+g.r.IntN(3*365-31))
		p.Qualiopi = g.qualiopi(until)
		p.publish = true
	case x < 97:
		p.Qualiopi = g.qualiopi(g.today.AddDate(0, 0, -1-g.r.IntN(540)))
	}

	founded := p.CreatedAt.Year() - g.r.IntN(25)
	where := aVille(home.Name)
	if dp.Name != home.Name { // not "à Paris (Paris)"
		where += " (" + dp.Name + ")"
	}
	g.buf = fmt.Appendf(g.buf[:0], "%s est un organisme de formation installé %s depuis %d, spécialisé en %s. ",
		p.Name, where, founded, sectorLabels[p.sector])
	switch p.reach {
	case local:
		g.buf = append(g.buf, "Ses formateurs accueillent les stagiaires en petits groupes et adaptent les horaires aux contraintes de chacun."...)
	case regional:
		g.buf = append(g.buf, "Il accueille ses stagiaires sur plusieurs sites de la région."...)
	case network:
		g.buf = append(g.buf, "Son réseau de centres couvre les principales villes de France."...)
	case online:
		g.buf = append(g.buf, "Ses parcours se suivent surtout à distance, avec un formateur référent pour chaque stagiaire."...)
	}
	if p.publish {
		g.buf = append(g.buf, " Il est certifié Qualiopi au titre des actions de formation."...)
	}
	p.Description = g.text()
}

// qualiopi returns a certificate valid until the given day, issued by a
// certifying body three years before.
func (g *generator) qualiopi(until time.Time) marketplace.Qualiopi {
	w := make([]int, len(certifiers))
	for i, c := range certifiers {
		w[i] = c.weight
	}
	c := certifiers[g.pick(w)]
	return marketplace.Qualiopi{
		Certificate: fmt.Sprintf("%s%d-%05d", c.prefix, until.Year()-3, 1+g.r.IntN(99_999)),
		Certifier:   c.name,
		ValidUntil:  until,
	}
}

// providerName draws a name for p that no other provider has.
func (g *generator) providerName(p *provider, town, department string) string {
	tmpls := nameTemplates[p.sector]
	var name string
	for try := range 8 {
		tmpl := g.oneOf(tmpls)
		q := g.oneOf(qualifiers)
		name = expandName(tmpl, town, department, q)
		if try >= 4 && g.names[name] {
			// Common names get their town to tell them apart.
			if !strings.Contains(name, town) {
				name += " – " + town
			}
		}
		if !g.names[name] {
			break
		}
	}
	for k := 2; g.names[name]; k++ {
		name = fmt.Sprintf("%s (%d)", strings.TrimSuffix(name, fmt.Sprintf(" (%d)", k-1)), k)
	}
	g.names[name] = true
	return name
}

// expandName fills a name template.
func expandName(tmpl, town, department, qualifier string) string {
	return strings.NewReplacer(
		"{V}", town,
		"{deV}", deVille(town),
		"{D}", department,
		"{Q}", qualifier,
	).Replace(tmpl)
}

// offers draws counts[i] offers for each provider i and returns them in
// creation order, with their IDs, and the family of each.
func (g *generator) offers(provs []provider, counts []int) ([]marketplace.Offer, []*family) {
	total := 0
	for _, c := range counts {
		total += c
	}
	drawn := make([]marketplace.Offer, total)
	fams := make([]*family, total)
	st := make([]stamp, total)
	n := 0
	for i := range provs {
		p := &provs[i]
		// The main family weighs 4, the second 2, the others 1.
		fw := make([]int, len(p.families))
		for j := range fw {
			fw[j] = max(1, 4>>j)
		}
		for range counts[i] {
			f := &families[p.families[g.pick(fw)]]
			g.fillOffer(&drawn[n], f, p)
			fams[n] = f
			st[n] = stamp{drawn[n].CreatedAt.UnixMilli(), n}
			n++
		}
	}
	inOrder(st)
	out := make([]marketplace.Offer, total)
	outFams := make([]*family, total)
	for k, s := range st {
		o := &out[k]
		*o = drawn[s.idx]
		o.CreatedAt = millis(s.ms)
		if o.UpdatedAt.Before(o.CreatedAt) {
			o.UpdatedAt = o.CreatedAt
		}
		o.ID = g.uuid(s.ms)
		outFams[k] = fams[s.idx]
	}
	return out, outFams
}

// textVars are what {h}, {ville} and {aville} stand for in texts.
type textVars struct {
	hours, town string
}

// expand appends tmpl to g.buf with its variables replaced.
func (g *generator) expand(tmpl string, v textVars) {
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			g.buf = append(g.buf, tmpl...)
			return
		}
		g.buf = append(g.buf, tmpl[:i]...)
		j := strings.IndexByte(tmpl[i:], '}')
		switch tmpl[i+1 : i+j] {
		case "h":
			g.buf = append(g.buf, v.hours...)
		case "ville":
			g.buf = append(g.buf, v.town...)
		case "aville":
			g.buf = append(g.buf, aVille(v.town)...)
		}
		tmpl = tmpl[i+j+1:]
	}
}

// text returns what was appended to g.buf and empties it.
func (g *generator) text() string {
	s := string(g.buf)
	g.buf = g.buf[:0]
	return s
}

// fillOffer draws the fields of one offer of family f by provider p.
func (g *generator) fillOffer(o *marketplace.Offer, f *family, p *provider) {
	pl := g.pl
	o.ProviderID = p.ID
	o.Certification = f.cert

	// How: online providers teach at a distance what can be; the others
	// follow the family's usual mix.
	if p.reach == online && f.mix[mixDistance] > 0 && g.r.IntN(100) < 85 {
		o.Modality = marketplace.Distance
	} else {
		o.Modality = [...]marketplace.Modality{marketplace.InPerson, marketplace.Distance, marketplace.Mixed}[g.pick(f.mix[:])]
	}

	// Where: distance learning is filed under the head office; the rest
	// takes place at the head office or one of the other sites.
	c := p.home
	if o.Modality != marketplace.Distance && len(p.sites) > 0 {
		homeShare := [nReaches]int{local: 70, regional: 40, network: 25, online: 70}[p.reach]
		if g.r.IntN(100) >= homeShare {
			c = p.sites[g.r.IntN(len(p.sites))]
		}
	}
	commune := &pl.communes[c]
	o.Commune = commune.INSEE
	o.Department, o.Region, o.Lat, o.Lon = commune.Department, commune.Region, commune.Lat, commune.Lon

	// How long and how much: the price follows the hours, with some
	// spread; distance learning is cheaper.
	lo, hi := f.hours[0]/f.step, f.hours[1]/f.step
	o.Hours = f.step * (lo + g.r.IntN(hi-lo+1))
	var along int
	if f.hours[1] > f.hours[0] {
		along = (o.Hours - f.hours[0]) * 1000 / (f.hours[1] - f.hours[0])
	}
	mix := (along*6 + g.r.IntN(1001)*4) / 10
	eur := f.price[0] + (f.price[1]-f.price[0])*mix/1000
	if o.Modality == marketplace.Distance {
		eur = eur * 85 / 100
	}
	eur = (eur + 5) / 10 * 10
	if eur%100 == 0 && g.r.IntN(3) == 0 {
		eur -= 10 // 1 490 EUR rather than 1 500
	}
	eur = min(max(eur, f.price[0]), f.price[1])
	o.PriceCents = int64(eur) * 100

	v := textVars{hours: strconv.Itoa(o.Hours), town: commune.Name}
	o.Title = g.title(f, o.Modality, v)
	o.Description = g.description(f, o.Modality, v)
	o.Objectives = g.objectives(f)
	o.Skills = g.skills(f)

	// Status: an offer is published when its provider may publish, 95 %
	// of the time; otherwise it is a draft or was withdrawn.
	x := g.r.IntN(100)
	switch {
	case p.publish && x < 95:
		o.Status = marketplace.Published
	case p.publish && x < 98, !p.publish && x < 60:
		o.Status = marketplace.Draft
	default:
		o.Status = marketplace.Unpublished
	}

	created := g.between(p.CreatedAt.UnixMilli()+day, g.now-hour)
	o.CreatedAt = millis(created)
	o.UpdatedAt = o.CreatedAt
	if o.Status == marketplace.Unpublished || g.r.IntN(2) == 0 {
		o.UpdatedAt = millis(g.between(created+1, g.now-minute))
	}
}

// title draws an offer's title: a family template and, often, a word on
// where or how it is taught.
func (g *generator) title(f *family, m marketplace.Modality, v textVars) string {
	tmpl := g.oneOf(f.titles)
	var suffix string
	switch m {
	case marketplace.InPerson:
		suffix = g.oneOf([]string{" {aville}", " ({ville})", ""})
	case marketplace.Mixed:
		suffix = g.oneOf([]string{" en formule mixte", " (présentiel et distanciel)", ""})
	case marketplace.Distance:
		suffix = g.oneOf([]string{" à distance", " (100 % en ligne)", " – {h} h à distance", ""})
		if strings.HasPrefix(suffix, " –") && (strings.Contains(tmpl, "–") || strings.Contains(tmpl, "{h}")) {
			suffix = " à distance"
		}
	}
	g.expand(tmpl, v)
	g.expand(suffix, v)
	return g.text()
}

// description draws two to four sentences: what the training is, how and
// where it is taught, and maybe a detail and a closing word.
func (g *generator) description(f *family, m marketplace.Modality, v textVars) string {
	g.expand(g.oneOf(f.intros), v)
	g.buf = append(g.buf, ' ')
	switch {
	case m == marketplace.InPerson && f.inPerson != nil:
		g.expand(g.oneOf(f.inPerson), v)
	case m == marketplace.InPerson:
		g.expand(g.oneOf(inPersonSentences), v)
	case m == marketplace.Mixed:
		g.expand(g.oneOf(mixedSentences), v)
	default:
		g.expand(g.oneOf(distanceSentences), v)
	}
	if g.r.IntN(10) < 7 {
		g.buf = append(g.buf, ' ')
		g.expand(g.oneOf(f.details), v)
	}
	if g.r.IntN(10) < 4 {
		g.buf = append(g.buf, ' ')
		g.expand(g.oneOf(closings), v)
	}
	return g.text()
}

// objectives draws two or three of the family's goals, in order.
func (g *generator) objectives(f *family) string {
	k := 2 + g.r.IntN(2)
	need := min(k, len(f.goals))
	for i, s := range f.goals {
		if g.r.IntN(len(f.goals)-i) < need {
			if len(g.buf) > 0 {
				g.buf = append(g.buf, ' ')
			}
			g.buf = append(g.buf, s...)
			need--
		}
	}
	return g.text()
}

// skills draws three or more of the family's skills, in order.
func (g *generator) skills(f *family) []string {
	n := len(f.skills)
	need := 3 + g.r.IntN(n-2)
	out := make([]string, 0, need)
	for i, s := range f.skills {
		if g.r.IntN(n-i) < need {
			out = append(out, s)
			need--
		}
	}
	return out
}

// Sessions start on a Monday between firstStart and nine months from now.
const firstStart = 15 // days from today, above the 11 working days CPF asks

// sessions draws the sessions of the offers, in creation order, with their
// IDs.
func (g *generator) sessions(offers []marketplace.Offer, fams []*family) []marketplace.Session {
	first := g.today.AddDate(0, 0, firstStart)
	first = first.AddDate(0, 0, (8-int(first.Weekday()))%7) // next Monday, or itself
	last := g.today.AddDate(0, 9, 0)
	maxWeek := int(last.Sub(first) / (7 * 24 * time.Hour))

	counts := make([]uint8, len(offers))
	total := 0
	for i := range offers {
		counts[i] = uint8(g.sessionCount(&offers[i]))
		total += int(counts[i])
	}
	drawn := make([]marketplace.Session, 0, total)
	st := make([]stamp, 0, total)
	var weeks []int
	for i := range offers {
		o, f := &offers[i], fams[i]
		n := int(counts[i])
		weeks = weeks[:0]
		if o.Modality == marketplace.Distance {
			// Rolling entries: a start every four weeks.
			for w := g.r.IntN(6); len(weeks) < n && w <= maxWeek; w += 4 {
				weeks = append(weeks, w)
			}
		} else {
			for len(weeks) < n {
				w := g.r.IntN(maxWeek + 1)
				if !slices.Contains(weeks, w) {
					weeks = append(weeks, w)
				}
			}
			slices.Sort(weeks)
		}
		perWeek := f.weekly
		if o.Modality == marketplace.Distance {
			perWeek = 4 + g.r.IntN(5)
			if o.Hours >= 300 {
				perWeek = 28
			}
		}
		stage := 0
		if f.stage[1] > 0 {
			stage = g.intIn(f.stage)
		}
		created := o.CreatedAt.UnixMilli()
		for _, w := range weeks {
			start := first.AddDate(0, 0, 7*w)
			ms := g.between(max(created+1, g.now-150*day), g.now-minute)
			st = append(st, stamp{ms, len(drawn)})
			drawn = append(drawn, marketplace.Session{
				OfferID: o.ID,
				Start:   start,
				End:     end(start, o.Hours, perWeek).AddDate(0, 0, 7*stage),
				Seats:   g.intIn(f.seats),
			})
		}
	}
	inOrder(st)
	out := make([]marketplace.Session, len(drawn))
	for k, s := range st {
		out[k] = drawn[s.idx]
		out[k].CreatedAt = millis(s.ms)
		out[k].ID = g.uuid(s.ms)
	}
	return out
}

// sessionCount draws how many sessions an offer has: up to four, more for
// distance learning with its rolling entries, fewer for long courses and
// for offers not on sale.
func (g *generator) sessionCount(o *marketplace.Offer) int {
	var w []int
	switch {
	case o.Status == marketplace.Draft:
		w = []int{60, 40}
	case o.Status == marketplace.Unpublished:
		w = []int{50, 30, 20}
	case o.Hours >= 400:
		w = []int{10, 60, 30}
	case o.Modality == marketplace.Distance:
		w = []int{3, 10, 20, 30, 37}
	default:
		w = []int{10, 35, 30, 17, 8}
	}
	return g.pick(w)
}

// end returns the last day of a session starting on Monday start: full
// time (7 hours a day, Monday to Friday) when perWeek is 35 or more,
// otherwise perWeek hours a week, ending on a Friday.
func end(start time.Time, hours, perWeek int) time.Time {
	if perWeek >= 35 {
		days := (hours + 6) / 7 // working days
		weeks, rest := (days-1)/5, (days-1)%5
		return start.AddDate(0, 0, 7*weeks+rest)
	}
	weeks := (hours + perWeek - 1) / perWeek
	return start.AddDate(0, 0, 7*weeks-3)
}
