package demo

import (
	"math"

	"github.com/parcours/parcours/geo"
)

// places holds the sampling tables over the communes where the demo set
// puts providers and sessions. All the arithmetic is on integers, so that
// the same seed picks the same communes on every machine (floating-point
// results may differ where a compiler fuses multiply-adds).
type places struct {
	communes []geo.Commune // the gazetteer's, shared: never modified
	eligible []int32       // indexes in communes of those that can be drawn, in INSEE order, hence grouped by department
	cum      []int64       // cum[i] is the total weight of eligible[:i+1]

	depts []dept // in code order
	// regionDepts lists, per region code, the indexes of its departments.
	regionDepts map[string][]int

	cities   []int   // indexes in communes of those of 100,000 inhabitants or more
	citiesCm []int64 // cumulative populations of cities
}

// dept is one department with its run of places.eligible.
type dept struct {
	geo.Department
	lo, hi     int   // its communes are eligible[lo:hi]
	weight     int64 // total weight of its communes
	latE4      int64 // population-weighted centroid, in 1e-4 degrees
	lonE4      int64
	neighbours []int // other departments of the same region whose centroid is near
}

// weight is how likely a commune is to host a training organisation or a
// session. Training takes place in towns: below 2,000 inhabitants the
// population counts for a quarter, below 500 for a tenth.
func weight(population int) int64 {
	p := int64(population)
	switch {
	case p >= 2000:
		return p
	case p >= 500:
		return p / 4
	default:
		return p / 10
	}
}

// Big cities are where national networks open their centres.
const bigCity = 100_000

// neighbourE4 is the greatest distance between the centroids of two
// neighbouring departments, in 1e-4 degrees of latitude (about 155 km).
const neighbourE4 = 14_000

// newPlaces builds the tables over the communes of the 101 departments
// (metropolitan and overseas departments, whose regions have two-digit
// codes). The overseas collectivities (Saint-Pierre-et-Miquelon,
// Polynesia, New Caledonia…) are left out: the training account and its
// catalogue do not cover most of them.
func newPlaces(g *geo.Gazetteer) *places {
	pl := &places{communes: g.Communes(), regionDepts: make(map[string][]int)}
	pl.eligible = make([]int32, 0, len(pl.communes))
	pl.cum = make([]int64, 0, len(pl.communes))
	var total int64
	byDept := make(map[string]int)
	for k, c := range pl.communes {
		if len(c.Region) != 2 {
			continue
		}
		w := weight(c.Population)
		if w == 0 {
			continue
		}
		d, ok := byDept[c.Department]
		if !ok {
			gd, _ := g.Department(c.Department)
			d = len(pl.depts)
			byDept[c.Department] = d
			pl.depts = append(pl.depts, dept{Department: gd, lo: len(pl.eligible)})
			pl.regionDepts[c.Region] = append(pl.regionDepts[c.Region], d)
		}
		i := len(pl.eligible)
		total += w
		pl.eligible = append(pl.eligible, int32(k))
		pl.cum = append(pl.cum, total)
		dp := &pl.depts[d]
		dp.hi = i + 1
		dp.weight += w
		p := int64(c.Population)
		dp.latE4 += p * int64(math.Round(c.Lat*1e4))
		dp.lonE4 += p * int64(math.Round(c.Lon*1e4))
		if c.Population >= bigCity {
			var prev int64
			if n := len(pl.citiesCm); n > 0 {
				prev = pl.citiesCm[n-1]
			}
			pl.cities = append(pl.cities, k)
			pl.citiesCm = append(pl.citiesCm, prev+p)
		}
	}
	for i := range pl.depts {
		d := &pl.depts[i]
		var pop int64
		for _, k := range pl.eligible[d.lo:d.hi] {
			pop += int64(pl.communes[k].Population)
		}
		d.latE4 /= pop
		d.lonE4 /= pop
	}
	for i := range pl.depts {
		d := &pl.depts[i]
		for _, j := range pl.regionDepts[d.Region] {
			if j == i {
				continue
			}
			e := &pl.depts[j]
			// A degree of longitude is about 0.7 of a degree of latitude
			// at the latitudes of metropolitan France.
			dy, dx := d.latE4-e.latE4, (d.lonE4-e.lonE4)*7/10
			if dy*dy+dx*dx <= neighbourE4*neighbourE4 {
				d.neighbours = append(d.neighbours, j)
			}
		}
	}
	return pl
}

// search returns the first index i in [lo, hi) with cum[i] > x.
func search(cum []int64, lo, hi int, x int64) int {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// inDept draws a commune of department d, weighted by population, and
// returns its index in communes.
func (pl *places) inDept(g *generator, d int) int {
	dp := &pl.depts[d]
	var base int64
	if dp.lo > 0 {
		base = pl.cum[dp.lo-1]
	}
	x := base + g.r.Int64N(pl.cum[dp.hi-1]-base)
	return int(pl.eligible[search(pl.cum, dp.lo, dp.hi, x)])
}

// nearDept draws a neighbour of department d, weighted by weight, or d
// itself when it has none (Paris has its petite couronne, La Réunion has
// nothing).
func (pl *places) nearDept(g *generator, d int) int {
	nb := pl.depts[d].neighbours
	if len(nb) == 0 {
		return d
	}
	var total int64
	for _, j := range nb {
		total += pl.depts[j].weight
	}
	x := g.r.Int64N(total)
	for _, j := range nb {
		x -= pl.depts[j].weight
		if x < 0 {
			return j
		}
	}
	return nb[len(nb)-1]
}

// inRegion draws a department of the region of department d, weighted.
func (pl *places) inRegion(g *generator, d int) int {
	ds := pl.regionDepts[pl.depts[d].Region]
	var total int64
	for _, j := range ds {
		total += pl.depts[j].weight
	}
	x := g.r.Int64N(total)
	for _, j := range ds {
		x -= pl.depts[j].weight
		if x < 0 {
			return j
		}
	}
	return ds[len(ds)-1]
}

// city draws a big city, weighted by population, and returns its index in
// communes; ok is false when there is none.
func (pl *places) city(g *generator) (int, bool) {
	n := len(pl.citiesCm)
	if n == 0 {
		return 0, false
	}
	x := g.r.Int64N(pl.citiesCm[n-1])
	return pl.cities[search(pl.citiesCm, 0, n, x)], true
}
